import { expect } from 'chai';
import { EngineError } from '../../src/stt/engine-error.ts';
import { FliteTts } from '../../src/tts/flite-tts.ts';
import { childPids, rms, synthesizeAll } from './audio-helpers.ts';

describe('FliteTts (real flite)', function () {
  this.timeout(30_000);
  let tts: FliteTts;

  beforeEach(() => {
    tts = new FliteTts({ chunkSamples: 1600 });
  });
  afterEach(async () => {
    await tts.close();
  });

  it('synthesizes a sentence as audible 8 kHz chunks of a plausible duration', async () => {
    const chunks: Int16Array[] = [];
    for await (const chunk of tts.synthesize('What are your opening hours?', {
      sampleRateHz: 8000,
      signal: AbortSignal.timeout(20_000),
    }))
      chunks.push(chunk);
    const samples = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    expect(chunks.every((chunk) => chunk instanceof Int16Array && chunk.length <= 1600)).to.equal(true);
    // Six words at a speaking rate: between one and four seconds at 8,000 samples per second.
    expect(samples / 8000).to.be.within(1, 4);
    expect(rms(Int16Array.from(chunks.flatMap((chunk) => Array.from(chunk))))).to.be.above(500);
  });

  it('speaks with each built-in voice, 8 kHz (kal) and 16 kHz (rms, slt) alike', async () => {
    for (const voice of ['kal', 'rms', 'slt']) {
      const audio = await synthesizeAll(tts, 'Hello there.', { voice });
      expect(audio.length / 8000, voice).to.be.within(0.4, 2.5);
      expect(rms(audio), voice).to.be.above(300);
    }
  });

  it('synthesizes the next clause while the first is being played', async () => {
    const text = 'Our opening hours are nine to five, Monday to Friday. On Saturdays we open at ten.';
    const iterator = tts
      .synthesize(text, { sampleRateHz: 8000, signal: AbortSignal.timeout(20_000) })
      [Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.done).to.equal(false);
    expect(tts.runningProcesses).to.equal(1);
    let rest = 0;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) rest += next.value.length;
    expect(rest).to.be.above(8000);
    expect(tts.runningProcesses).to.equal(0);
  });

  it('kills the running flite when the signal aborts and ends the stream with the reason', async () => {
    const abort = new AbortController();
    const text = 'This is the first clause of a long answer, and this is the second one that will never be heard.';
    const iterator = tts.synthesize(text, { sampleRateHz: 8000, signal: abort.signal })[Symbol.asyncIterator]();
    await iterator.next();
    // Checked and aborted in the same turn: the second clause's flite cannot have been reaped yet.
    expect(tts.runningProcesses).to.equal(1);
    const reason = new Error('caller barged in');
    abort.abort(reason);
    let error: unknown;
    try {
      await iterator.next();
    } catch (caught) {
      error = caught;
    }
    expect(error).to.equal(reason);
    expect(tts.runningProcesses).to.equal(0);
    expect(await childPids('flite')).to.deep.equal([]);
  });

  it('refuses an unknown voice, including a path or URL flite would load, without retrying', async () => {
    for (const voice of ['nosuchvoice', '/tmp/evil.flitevox', 'http://example.com/x.flitevox']) {
      let error: unknown;
      try {
        await synthesizeAll(tts, 'Hello.', { voice });
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(EngineError);
      expect((error as EngineError).code).to.equal('VB_CONFIG_INVALID');
      expect((error as EngineError).retryable).to.equal(false);
    }
  });

  it('reports a missing flite binary as a configuration error', async () => {
    const broken = new FliteTts({ binaryPath: '/nonexistent/flite' });
    try {
      let error: unknown;
      try {
        await synthesizeAll(broken, 'Hello.');
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(EngineError);
      expect((error as EngineError).code).to.equal('VB_CONFIG_INVALID');
    } finally {
      await broken.close();
    }
  });

  it('yields nothing for empty text and refuses work once closed', async () => {
    expect(await synthesizeAll(tts, '   ')).to.have.length(0);
    await tts.close();
    let error: unknown;
    try {
      await synthesizeAll(tts, 'Hello.');
    } catch (caught) {
      error = caught;
    }
    expect((error as EngineError).code).to.equal('VB_CLOSED');
  });
});
