import { expect } from 'chai';
import { CachingTts } from '../../src/tts/caching-tts.ts';
import type { SynthesizeOptions, TextToSpeech } from '../../src/tts/text-to-speech.ts';

/** Counts syntheses; produces audio derived from the text so results are checkable. */
class CountingTts implements TextToSpeech {
  calls = 0;
  async *synthesize(text: string, options: SynthesizeOptions): AsyncGenerator<Int16Array> {
    this.calls++;
    for (let i = 0; i < 3; i++) {
      options.signal.throwIfAborted();
      yield Int16Array.from([text.length, i, options.voice?.length ?? 0]);
    }
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

async function collect(tts: TextToSpeech, text: string, voice?: string): Promise<number[][]> {
  const out: number[][] = [];
  for await (const chunk of tts.synthesize(text, { sampleRateHz: 8000, voice, signal: new AbortController().signal }))
    out.push([...chunk]);
  return out;
}

describe('CachingTts', () => {
  it('synthesises a repeated text once per voice and plays back the same audio', async () => {
    const inner = new CountingTts();
    const tts = new CachingTts(inner);
    const first = await collect(tts, 'Hello there.');
    const second = await collect(tts, 'Hello there.');
    await collect(tts, 'Hello there.', 'kal');
    expect(second).to.deep.equal(first);
    expect(inner.calls).to.equal(2);
    expect(tts.hits).to.equal(1);
  });

  it('hands out copies: a caller changing its chunk does not change the cache', async () => {
    const tts = new CachingTts(new CountingTts());
    await collect(tts, 'abc');
    for await (const chunk of tts.synthesize('abc', { sampleRateHz: 8000, signal: new AbortController().signal }))
      chunk.fill(0);
    expect((await collect(tts, 'abc'))[0]).to.deep.equal([3, 0, 0]);
  });

  it('does not cache long texts, aborted syntheses, or beyond its size bound (least recently used first)', async () => {
    const inner = new CountingTts();
    // Each synthesis here is 3 chunks of 3 samples: room for two entries.
    const tts = new CachingTts(inner, { maxTextLength: 5, maxSamples: 18 });
    await collect(tts, 'a long text');
    await collect(tts, 'a long text');
    expect(inner.calls).to.equal(2);
    const abort = new AbortController();
    for await (const _ of tts.synthesize('ab', { sampleRateHz: 8000, signal: abort.signal })) {
      abort.abort(new Error('barge-in'));
      break;
    }
    await collect(tts, 'ab');
    expect(inner.calls).to.equal(4); // the aborted one was not kept
    await collect(tts, 'cd');
    await collect(tts, 'cd');
    await collect(tts, 'ab');
    expect(inner.calls).to.equal(5); // both cached
    await collect(tts, 'ef'); // a third entry evicts the least recently used: cd
    await collect(tts, 'ef');
    await collect(tts, 'ab');
    expect(inner.calls).to.equal(6);
    await collect(tts, 'cd');
    expect(inner.calls).to.equal(7);
  });
});
