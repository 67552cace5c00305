import { expect } from 'chai';
import { EngineError } from '../../src/stt/engine-error.ts';
import { captureLog } from '../log-capture.ts';
import { PocketsphinxPool } from '../../src/stt/pocketsphinx-pool.ts';
import { PocketsphinxStt } from '../../src/stt/pocketsphinx-stt.ts';
import type { Transcript } from '../../src/stt/speech-to-text.ts';
import { FliteTts } from '../../src/tts/flite-tts.ts';
import { childPids, concat, frames, muLawRoundTrip, silence, synthesizeAll } from './audio-helpers.ts';

const KEYWORDS = ['hours', 'price', 'address'];

/** What the caller's phone delivers: flite's voice through G.711 μ-law, with a little lead-in. */
async function phoneAudio(tts: FliteTts, text: string): Promise<Int16Array> {
  return muLawRoundTrip(concat([silence(300), await synthesizeAll(tts, text)]));
}

async function transcribeAll(
  stt: PocketsphinxStt,
  audio: AsyncIterable<Int16Array>,
  signal = AbortSignal.timeout(30_000),
): Promise<Transcript[]> {
  const transcripts: Transcript[] = [];
  for await (const transcript of stt.transcribe(audio, { sampleRateHz: 8000, keywords: KEYWORDS, signal }))
    transcripts.push(transcript);
  return transcripts;
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** Audio that never ends by itself: the sentence, then nothing until the test lets go. */
function openEnded(audio: Int16Array, release: Promise<void>): AsyncIterable<Int16Array> {
  return (async function* () {
    yield* frames(audio);
    await release;
  })();
}

describe('PocketsphinxStt (real pocketsphinx)', function () {
  this.timeout(60_000);
  let tts: FliteTts;
  let pool: PocketsphinxPool;
  let stt: PocketsphinxStt;
  let onStream: ((pid: number) => void) | undefined;
  const { log, lines: logged } = captureLog((line) => {
    if (line.msg === 'stream on decoder') onStream?.(line['pid'] as number);
  });
  const streamPids = (): number[] =>
    logged.filter((entry) => entry.msg === 'stream on decoder').map((entry) => entry['pid'] as number);
  let hours: Int16Array;
  let address: Int16Array;

  before(async () => {
    tts = new FliteTts();
    hours = await phoneAudio(tts, 'What are your opening hours?');
    address = await phoneAudio(tts, 'Please tell me your address.');
    pool = new PocketsphinxPool({ size: 1, log });
    stt = new PocketsphinxStt({ pool, log });
    await pool.warmUp(AbortSignal.timeout(30_000));
  });
  after(async () => {
    await stt.close();
    await pool.close();
    await tts.close();
  });
  beforeEach(() => {
    logged.length = 0;
  });

  it('hears the keyword in a flite sentence sent through G.711 μ-law', async () => {
    const transcripts = await transcribeAll(stt, frames(hours));
    expect(transcripts.map((t) => t.text).join(' | ')).to.match(/\bhours\b/);
    for (const transcript of transcripts) {
      expect(transcript.final).to.equal(true);
      expect(transcript.startMs).to.be.within(0, transcript.endMs);
      expect(transcript.endMs).to.be.at.most((hours.length / 8000) * 1000 + 100);
    }
  });

  it('hears no keyword in silence', async () => {
    const transcripts = await transcribeAll(stt, frames(silence(3000)));
    expect(transcripts.map((t) => t.text).join(' ')).not.to.match(/\b(hours|price|address)\b/);
  });

  it('gives one transcript per utterance, in order, from one decoder', async () => {
    const transcripts = await transcribeAll(stt, frames(concat([hours, silence(1500), address, silence(500)])));
    const text = transcripts.map((t) => t.text);
    expect(text.findIndex((t) => /\bhours\b/.test(t))).to.be.within(
      0,
      text.findIndex((t) => /\baddress\b/.test(t)) - 1,
    );
    for (let i = 1; i < transcripts.length; i++)
      expect(transcripts[i]!.startMs).to.be.at.least(transcripts[i - 1]!.endMs);
    expect(streamPids()).to.have.length(1);
  });

  it('reuses the warm decoder across streams: same pid, one process', async () => {
    await transcribeAll(stt, frames(hours));
    const second = await transcribeAll(stt, frames(address));
    expect(second.map((t) => t.text).join(' ')).to.match(/\baddress\b/);
    const [first, again] = streamPids();
    expect(again).to.equal(first);
    expect(await childPids('pocketsphinx')).to.deep.equal([first]);
  });

  it('times transcripts from the start of each stream, also on a reused decoder', async () => {
    const transcripts = await transcribeAll(stt, frames(concat([silence(4000), hours])));
    const heard = transcripts.find((t) => /\bhours\b/.test(t.text));
    expect(heard, 'keyword transcript').to.not.equal(undefined);
    // The sentence starts 4.3 s into the stream (4 s + the 0.3 s lead-in); flite adds ~0.1 s of silence.
    expect(heard!.startMs).to.be.within(4000, 4900);
    expect(heard!.endMs).to.be.within(heard!.startMs + 500, 4000 + (hours.length / 8000) * 1000 + 100);
  });

  it('ends a stream with the signal reason on abort, and the decoder is cleaned for the next stream', async () => {
    const abort = new AbortController();
    let release = (): void => {};
    const started = new Promise<number>((resolve) => (onStream = resolve));
    const stream = transcribeAll(
      stt,
      openEnded(hours, new Promise<void>((resolve) => (release = resolve))),
      abort.signal,
    );
    await started;
    const reason = new Error('caller hung up');
    abort.abort(reason);
    expect(await caught(stream)).to.equal(reason);
    release();
    const next = await transcribeAll(stt, frames(address));
    expect(next.map((t) => t.text).join(' ')).to.match(/\baddress\b/);
    expect(next.map((t) => t.text).join(' ')).not.to.match(/\bhours\b/);
    const [first, second] = streamPids();
    expect(second).to.equal(first);
  });

  it('fails the stream with a retryable EngineError when the decoder dies, and the pool replaces it', async () => {
    let release = (): void => {};
    const started = new Promise<number>((resolve) => (onStream = resolve));
    const stream = transcribeAll(stt, openEnded(hours, new Promise<void>((resolve) => (release = resolve))));
    const pid = await started;
    process.kill(pid, 'SIGKILL');
    const error = await caught(stream);
    release();
    expect(error).to.be.instanceOf(EngineError);
    expect((error as EngineError).code).to.equal('VB_ENGINE_FAILED');
    expect((error as EngineError).retryable).to.equal(true);
    const next = await transcribeAll(stt, frames(hours));
    expect(next.map((t) => t.text).join(' ')).to.match(/\bhours\b/);
    const replacement = streamPids().at(-1);
    expect(replacement).to.not.equal(pid);
    expect(await childPids('pocketsphinx')).to.deep.equal([replacement]);
  });

  it('warns about keywords its dictionary cannot produce', async () => {
    const transcripts = stt.transcribe(frames(silence(200)), {
      sampleRateHz: 8000,
      keywords: ['hours', 'zzqxv'],
      signal: AbortSignal.timeout(30_000),
    });
    for await (const _ of transcripts);
    const warning = logged.find((entry) => entry.level === 'warn' && /cannot hear/.test(entry.msg));
    expect(warning?.['missing']).to.deep.equal(['zzqxv']);
  });

  it('close() kills every decoder it owns, busy or idle', async () => {
    const own = new PocketsphinxStt({ size: 2 });
    await own.pool.warmUp(AbortSignal.timeout(30_000));
    const pids = await childPids('pocketsphinx');
    expect(pids).to.have.length(3); // the shared pool's one and these two
    const busy = caught(transcribeAll(own, openEnded(hours, new Promise<void>(() => {}))));
    await own.close();
    await own.close();
    const error = await busy;
    expect((error as EngineError).code).to.equal('VB_CLOSED');
    expect(await childPids('pocketsphinx')).to.have.length(1);
  });

  it("without procfs, ends each stream by ending the decoder's input, and a fresh decoder serves the next", async () => {
    const pids: number[] = [];
    const portable = new PocketsphinxStt({
      size: 1,
      probe: async () => undefined,
      log: captureLog((line) => {
        if (line.msg === 'stream on decoder') pids.push(line['pid'] as number);
      }).log,
    });
    try {
      const first = await transcribeAll(portable, frames(hours));
      expect(first.map((t) => t.text).join(' ')).to.match(/\bhours\b/);
      const second = await transcribeAll(portable, frames(address));
      expect(second.map((t) => t.text).join(' ')).to.match(/\baddress\b/);
      expect(pids).to.have.length(2);
      expect(pids[1]).to.not.equal(pids[0]);
    } finally {
      await portable.close();
    }
  });

  it('reports a missing binary as a configuration error, not a retryable one', async () => {
    const broken = new PocketsphinxStt({ binaryPath: '/nonexistent/pocketsphinx_continuous' });
    try {
      const error = await caught(transcribeAll(broken, frames(hours)));
      expect(error).to.be.instanceOf(EngineError);
      expect((error as EngineError).code).to.equal('VB_CONFIG_INVALID');
      expect((error as EngineError).retryable).to.equal(false);
    } finally {
      await broken.close();
    }
  });
});
