import { expect } from 'chai';
import { AlignedWords, charAlignment, wordTimestamps } from '../../src/engines/aligned-words.ts';
import { CartesiaTts } from '../../src/engines/cartesia-tts.ts';
import { ElevenLabsTts } from '../../src/engines/elevenlabs-tts.ts';
import { CachingTts } from '../../src/tts/caching-tts.ts';
import type { TextToSpeech, WordTiming } from '../../src/tts/text-to-speech.ts';
import { CartesiaWireServer } from './cartesia-wire-server.ts';
import { ElevenLabsWireServer } from './elevenlabs-wire-server.ts';

const TEXT = 'Hello there, how are you?';
/** Both wire servers speak 20 ms per character: each word ends where its last character does. */
const TIMED = [
  { word: 'Hello', startMs: 0, endMs: 100 },
  { word: 'there,', startMs: 120, endMs: 240 },
  { word: 'how', startMs: 260, endMs: 320 },
  { word: 'are', startMs: 340, endMs: 400 },
  { word: 'you?', startMs: 420, endMs: 500 },
];

async function timingsOf(tts: TextToSpeech, text: string): Promise<{ samples: number; words: WordTiming[] }> {
  const words: WordTiming[] = [];
  let samples = 0;
  for await (const chunk of tts.synthesize(text, {
    sampleRateHz: 8000,
    signal: AbortSignal.timeout(10_000),
    onWords: (timed) => words.push(...timed),
  }))
    samples += chunk.length;
  const rounded = words.map((w) => ({ word: w.word, startMs: Math.round(w.startMs), endMs: Math.round(w.endMs) }));
  return { samples, words: rounded };
}

describe('word timings from the TTS engines that align their audio (local wire servers)', () => {
  const closers: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c.close();
  });

  it("ElevenLabs: each message's character alignment, timed from its own audio, becomes words timed from the reply's start", async () => {
    const server = await ElevenLabsWireServer.start();
    closers.push(server);
    const tts = new ElevenLabsTts({ url: server.origin, apiKey: server.key, keyName: 'ELEVENLABS_API_KEY' });
    closers.push(tts);
    const { samples, words } = await timingsOf(tts, TEXT);
    expect(samples).to.equal(TEXT.length * 20 * 8);
    expect(words).to.deep.equal(TIMED);
    // The alignment really came in pieces (100 ms of audio per message), each timed from 0.
    const connection = server.connections[0];
    expect(connection?.url.searchParams.get('sync_alignment')).to.equal('true');
  });

  it('Cartesia: word_timestamps (seconds) become word timings in milliseconds; add_timestamps is asked for', async () => {
    const server = await CartesiaWireServer.start();
    closers.push(server);
    const tts = new CartesiaTts({ url: server.origin, apiKey: server.key, keyName: 'CARTESIA_API_KEY' });
    closers.push(tts);
    const { samples, words } = await timingsOf(tts, TEXT);
    expect(samples).to.equal(TEXT.length * 20 * 8);
    expect(words).to.deep.equal(TIMED);
    expect(server.connections[0]?.texts[0]).to.include({ add_timestamps: true });
  });

  it('a cached reply gives the same word timings again, with the same audio, without asking the provider', async () => {
    const server = await ElevenLabsWireServer.start();
    closers.push(server);
    const tts = new CachingTts(
      new ElevenLabsTts({ url: server.origin, apiKey: server.key, keyName: 'ELEVENLABS_API_KEY' }),
    );
    closers.push(tts);
    expect((await timingsOf(tts, TEXT)).words).to.deep.equal(TIMED);
    const again = await timingsOf(tts, TEXT);
    expect(again).to.deep.equal({ samples: TEXT.length * 20 * 8, words: TIMED });
    expect(tts.hits).to.equal(1);
  });

  it('a word split across two alignment messages is reported once, whole, when the space after it arrives', () => {
    const words = new AlignedWords();
    expect(words.add(['H', 'e', 'l'], [0, 10, 20], [10, 10, 10])).to.deep.equal([]);
    expect(words.add(['l', 'o', ' ', 'y'], [30, 40, 50, 60], [10, 10, 10, 10])).to.deep.equal([
      { word: 'Hello', startMs: 0, endMs: 50 },
    ]);
    expect(words.end()).to.deep.equal([{ word: 'y', startMs: 60, endMs: 70 }]);
    expect(words.end(), 'nothing twice').to.deep.equal([]);
  });

  it('malformed alignments and timestamps are ignored (the audio is kept, the timing lost)', () => {
    expect(charAlignment({ chars: ['a'], charStartTimesMs: [0, 1], charDurationsMs: [1] })).to.equal(undefined);
    expect(charAlignment({ chars: [1], charStartTimesMs: [0], charDurationsMs: [1] })).to.equal(undefined);
    expect(charAlignment({ chars: ['a'], charStartTimesMs: [-1], charDurationsMs: [1] })).to.equal(undefined);
    expect(charAlignment(null)).to.equal(undefined);
    expect(charAlignment({ chars: ['a'], charStartTimesMs: [0], charDurationsMs: [5] })).to.deep.equal({
      chars: ['a'],
      startsMs: [0],
      durationsMs: [5],
    });
    expect(wordTimestamps({ words: ['a'], start: [0.5], end: [0.2] })).to.equal(undefined);
    expect(wordTimestamps({ words: ['a'], start: ['0'], end: [1] })).to.equal(undefined);
    expect(wordTimestamps({ words: ['a', 'b'], start: [0], end: [1] })).to.equal(undefined);
    expect(wordTimestamps({ words: ['a'], start: [0.25], end: [0.5] })).to.deep.equal([
      { word: 'a', startMs: 250, endMs: 500 },
    ]);
  });
});
