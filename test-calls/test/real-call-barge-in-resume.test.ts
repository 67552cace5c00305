import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readWavPcm, spokenWav } from '../src/audio-fixtures.ts';
import { InProcessCall } from '../src/in-process-call.ts';
import { waitFor } from '../../test/support/wait-for.ts';
import { streamText } from '../../packages/agent/test/llm/fake-openai-server.ts';

const run = promisify(execFile);

const ANSWER = [
  'First, our opening hours are nine to five on weekdays.',
  ' Second, on Saturdays we open at ten.',
  ' Third, on Sundays we are closed all day.',
];
const FULL = ANSWER.join('');

/**
 * A barge-in that was only noise or a backchannel (ADR 0023): the reply pauses, then resumes and
 * is played out whole, and no turn is answered for it. Real media worker (UDP RTP to a caller
 * socket), llm agent, real flite, a local OpenAI-compatible server; the noise is sox pink noise.
 */
describe('barge-in recovery: noise or a backchannel over the reply (real media worker, llm agent)', function () {
  this.timeout(90_000);
  let call: InProcessCall | undefined;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vb-barge-resume-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await call?.close();
    call = undefined;
  });

  /** Starts the call, asks, and waits until 1.5 s of the answer reached the caller. */
  async function answerPlaying(): Promise<InProcessCall> {
    call = await InProcessCall.start();
    const c = call;
    c.server.respondWith(streamText(ANSWER));
    await waitFor('the agent to listen after its greeting', 30_000, () => c.stt.listening);
    const askedAtMs = performance.now();
    c.stt.hear('tell me about your hours');
    await waitFor(
      '1.5 s of the answer',
      30_000,
      () => c.caller.received.filter((p) => p.voiced && p.atMs > askedAtMs).length >= 75,
    );
    return c;
  }

  /** The reply paused at the clear, then voice came back to the caller and the whole answer played out. */
  async function resumedAndPlayedOut(c: InProcessCall): Promise<void> {
    await waitFor('the clear at the media worker', 10_000, () => c.clearsAtMedia.length > 0);
    const clearAtMs = c.clearsAtMedia[0]!;
    await waitFor(
      'the reply resuming',
      10_000,
      () => c.caller.received.filter((p) => p.voiced && p.atMs > clearAtMs + 300).length >= 25,
    );
    await waitFor('the whole answer played out', 40_000, () => c.transcript.includes(`agent: ${FULL}`));
    // Media fades out the frame after the clear; then nothing until the judge let the reply resume.
    const paused = c.caller.received.filter((p) => p.atMs > clearAtMs + 60 && p.atMs < clearAtMs + 300);
    expect(
      paused.filter((p) => p.voiced),
      'voiced packets while the barge-in was judged',
    ).to.deep.equal([]);
    expect(c.clearsAtMedia).to.have.length(1);
    await waitFor('the turn record', 30_000, () => c.turns.length >= 1 && c.turns[0]!.falseBargeIns === 1);
    expect(c.turns[0]!.interruptions).to.equal(0);
    expect(c.entries.find((e) => e.speaker === 'agent' && e.text === FULL)?.cut).to.equal(undefined);
  }

  it('a 150 ms noise burst mid-reply pauses it, then the reply resumes and is played out whole', async () => {
    const cough = join(dir, 'cough.wav');
    await run('sox', [
      '-n',
      '-r',
      '8000',
      '-c',
      '1',
      '-b',
      '16',
      cough,
      'synth',
      '0.15',
      'pinknoise',
      'gain',
      '-n',
      '-6',
    ]);
    const pcm = await readWavPcm(cough);
    const c = await answerPlaying();
    c.caller.say(pcm);
    await resumedAndPlayedOut(c);
    expect(c.server.requests, 'model requests').to.have.length(1);
  });

  it('"uh-huh" mid-reply, recognised as such: the reply resumes, and the backchannel is not answered as a turn', async () => {
    const speech = join(dir, 'uh-huh.wav');
    await spokenWav(speech, 'uh huh', 0, 0);
    const pcm = await readWavPcm(speech);
    const c = await answerPlaying();
    c.caller.say(pcm);
    await waitFor('the clear at the media worker', 10_000, () => c.clearsAtMedia.length > 0);
    c.stt.hear('uh huh');
    await resumedAndPlayedOut(c);
    expect(c.server.requests, 'model requests').to.have.length(1);
    expect(c.transcript).not.to.include('caller: uh huh');
  });
});
