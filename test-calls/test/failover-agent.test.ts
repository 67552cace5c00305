import { expect } from 'chai';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallRecord } from '@voicebridge/protocol';
import { spokenWav } from '../src/audio-fixtures.ts';
import { baresipCall } from '../src/baresip.ts';
import { startBridge, type RunningBridge } from '../src/bridge-harness.ts';
import { answeredCallId, pidThatLogged, readyPids } from '../src/bridge-processes.ts';
import { assertBridgeIdle, callRecords } from '../src/sipp.ts';
import { waitFor } from '../../test/support/wait-for.ts';

const WINDOW_MS = 100;
/** The scripted agent's first words after a takeover (scripted-resume.ts). */
const RESUME_LINE = /^(Back to \w+\.|Sorry, I'm back\.)/;

/** Agent processes alive now (ready logged, pid still running). */
async function agentPidsAliveIn(bridge: RunningBridge): Promise<number[]> {
  return readyPids(bridge, 'agent').filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
}
const SILENT_DBFS = -45;

/** Levels of a 16-bit mono WAV in 100 ms windows, dBFS. */
async function windowLevels(path: string): Promise<{ rateHz: number; levels: number[] }> {
  const wav = await readFile(path);
  const rateHz = wav.readUInt32LE(24);
  let offset = 12;
  while (offset + 8 <= wav.length && wav.toString('ascii', offset, offset + 4) !== 'data')
    offset += 8 + wav.readUInt32LE(offset + 4);
  const samples = new Int16Array(
    wav.buffer.slice(wav.byteOffset + offset + 8, wav.byteOffset + wav.length - ((wav.length - offset - 8) % 2)),
  );
  const per = (rateHz * WINDOW_MS) / 1000;
  const levels: number[] = [];
  for (let start = 0; start + per <= samples.length; start += per) {
    let sum = 0;
    for (let i = start; i < start + per; i++) sum += (samples[i] as number) ** 2;
    const rms = Math.sqrt(sum / per) / 32768;
    levels.push(rms > 0 ? 20 * Math.log10(rms) : -120);
  }
  return { rateHz, levels };
}

/** The longest run of silent windows between two times (ms from the start of the recording). */
function longestSilenceMs(levels: number[], fromMs: number, toMs: number): number {
  let longest = 0;
  let run = 0;
  for (
    let w = Math.max(0, Math.floor(fromMs / WINDOW_MS));
    w < Math.min(levels.length, Math.ceil(toMs / WINDOW_MS));
    w++
  ) {
    run = (levels[w] as number) < SILENT_DBFS ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  return longest * WINDOW_MS;
}

/**
 * A real call (baresip) to the scripted demo through the real bridge with two agent
 * processes; the one driving the call is SIGKILLed while its answer plays. The other takes the call
 * over (BullMQ stalled check, owner epoch 2), restores the conversation from Redis and goes on.
 */
describe('failover: SIGKILL of the agent process mid-answer', function () {
  this.timeout(180_000);
  let bridge: RunningBridge;
  let dir: string;
  const agentPidsAlive = (): Promise<number[]> => agentPidsAliveIn(bridge);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vb-failover-agent-'));
    bridge = await startBridge({ env: { AGENT_PROCESSES: '2', STT_POOL_SIZE: '1', GREETING_DELAY_MS: '200' } });
  });
  after(async () => {
    await bridge?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('another agent takes the call over within seconds and its next words show the earlier turn', async () => {
    await waitFor('two agent processes', 30_000, () => readyPids(bridge, 'agent').length >= 2);
    const mic = join(dir, 'question.wav');
    // The greeting (~7 s), the question, then silence while the answer, the takeover and the
    // resumed agent's words play; baresip hangs up when the file ends.
    await spokenWav(mic, 'What are your opening hours?', 8, 32, 'rms');
    const calling = baresipCall({ uri: `sip:+15550100@127.0.0.1:${bridge.sipPort}`, micWav: mic, maxSeconds: 70 });
    const callId = await answeredCallId(bridge);
    const records = callRecords(bridge);
    const agentSaid = async (pattern: RegExp): Promise<boolean> =>
      ((await records.get(callId))?.transcript ?? []).some((t) => t.speaker === 'agent' && pattern.test(t.text));

    await waitFor('the answer about opening hours', 40_000, () => agentSaid(/nine in the morning/));
    const owner = pidThatLogged(bridge, callId, 'agent on the call');
    expect(owner, 'the pid of the agent on the call').to.be.a('number');
    const killedAtMs = Date.now();
    process.kill(owner as number, 'SIGKILL');

    await waitFor('the resumed agent to speak', 30_000, () => agentSaid(RESUME_LINE));
    const call = await calling;
    let record: CallRecord | undefined;
    await waitFor('the record to end', 15_000, async () => (record = await records.get(callId))?.status === 'ended');

    const transcript = record!.transcript;
    const agentLines = transcript.filter((t) => t.speaker === 'agent');
    const callerLines = transcript.filter((t) => t.speaker === 'caller');
    const resumed = agentLines.find((t) => RESUME_LINE.test(t.text))!;
    // Context: the new owner knows the caller asked about the hours before the kill, and says only that.
    expect(callerLines.length).to.be.at.least(1);
    expect(resumed.text).to.equal('Back to hours.');
    // One greeting: the new owner did not start the conversation over.
    expect(agentLines.filter((t) => /voice bridge demo/.test(t.text))).to.have.length(1);
    const takeoverLog = bridge.logs.find(
      (l) => l.includes(callId) && l.includes('"taking over a call: resuming its conversation"'),
    );
    expect(takeoverLog, 'the takeover log line').to.be.a('string');
    expect(JSON.parse(takeoverLog!)).to.deep.include({ epoch: 2, turns: 1 });
    expect(record!.verdict).to.deep.include({ by: 'caller', reason: 'caller-bye' });

    // What the caller heard: the rest of the answer (media had it queued), then silence until
    // the new owner spoke. The recording starts at the answer.
    const { levels } = await windowLevels(call.heardWav);
    const killAtMs = killedAtMs - record!.answeredAtMs!;
    const silenceMs = longestSilenceMs(levels, killAtMs, resumed.atMs + 1500);
    const firstWordsAfterKillMs = resumed.atMs - killAtMs;
    process.stdout.write(
      `      agent SIGKILL → resumed agent speaks after ${firstWordsAfterKillMs} ms; longest silence the caller heard ${silenceMs} ms\n`,
    );
    await call.cleanup();
    expect(silenceMs, 'longest silence after the kill (ms)').to.be.at.most(5000);
  });

  it('an agent stopped with SIGTERM hands its call back: another one resumes it without waiting for the lock', async () => {
    await waitFor('two agent processes again', 30_000, async () => (await agentPidsAlive()).length >= 2);
    const mic = join(dir, 'question-2.wav');
    await spokenWav(mic, 'What are your opening hours?', 8, 24, 'rms');
    const calling = baresipCall({ uri: `sip:+15550100@127.0.0.1:${bridge.sipPort}`, micWav: mic, maxSeconds: 60 });
    const callId = await answeredCallId(bridge);
    const records = callRecords(bridge);
    const agentSaid = async (pattern: RegExp): Promise<boolean> =>
      ((await records.get(callId))?.transcript ?? []).some((t) => t.speaker === 'agent' && pattern.test(t.text));
    await waitFor('the answer about opening hours', 40_000, () => agentSaid(/nine in the morning/));
    const owner = pidThatLogged(bridge, callId, 'agent on the call');
    const stoppedAtMs = Date.now();
    process.kill(owner as number, 'SIGTERM');
    await waitFor('the resumed agent to speak', 30_000, () => agentSaid(RESUME_LINE));
    const call = await calling;
    await call.cleanup();
    let record: CallRecord | undefined;
    await waitFor('the record to end', 15_000, async () => (record = await records.get(callId))?.status === 'ended');
    const resumed = record!.transcript.find((t) => t.speaker === 'agent' && RESUME_LINE.test(t.text))!;
    expect(resumed.text).to.equal('Back to hours.');
    expect(bridge.logs.some((l) => l.includes(callId) && l.includes('"call handed back to the queue"'))).to.equal(true);
    expect(record!.verdict).to.deep.include({ by: 'caller', reason: 'caller-bye' });
    process.stdout.write(
      `      agent SIGTERM → resumed agent speaks after ${resumed.atMs - (stoppedAtMs - record!.answeredAtMs!)} ms\n`,
    );
  });

  it('leaves no live record, no unfinished job, no key without TTL and no RTP port bound', async () => {
    await assertBridgeIdle(bridge, 15_000);
  });
});
