import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSocket } from 'node:dgram';
import type { CallRecord } from '@voicebridge/protocol';
import { durationS, rmsDb, spokenWav, toneWav } from '../src/audio-fixtures.ts';
import { baresipCall, type BaresipCall } from '../src/baresip.ts';
import { startBridge, type RunningBridge } from '../src/bridge-harness.ts';
import { recognizeWav } from '../src/recognize.ts';

/**
 * Real calls: the real bridge (`voicebridge start`: supervisor, signaling, media, agent processes)
 * called by a real SIP user agent (baresip), checking the audio itself with offline recognition.
 */
describe('real calls with baresip', function () {
  this.timeout(120_000);
  let bridge: RunningBridge;
  let dir: string;
  const calls: BaresipCall[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vb-real-call-'));
    bridge = await startBridge({ env: { GREETING_DELAY_MS: '200', STT_POOL_SIZE: '2' } });
  });

  after(async () => {
    for (const call of calls) await call.cleanup();
    await bridge?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function lastRecord(): Promise<CallRecord> {
    const list = await bridge.cli(['calls', 'list', '--json']);
    expect(list.code, list.stderr).to.equal(0);
    const records = JSON.parse(list.stdout) as CallRecord[];
    expect(records.length).to.be.greaterThan(0);
    return records[0] as CallRecord;
  }

  async function settledRecord(): Promise<CallRecord> {
    for (let i = 0; i < 100; i++) {
      const r = await lastRecord();
      if (r.status === 'ended') return r;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the call record never ended');
  }

  it('the scripted demo greets, answers a question with its keyword, and the caller hangs up', async () => {
    const mic = join(dir, 'question.wav');
    // Silence while the greeting plays (~7 s), the question, then silence while the answer plays.
    await spokenWav(mic, 'What are your opening hours?', 8, 9, 'rms');
    const call = await baresipCall({ uri: `sip:+15550100@127.0.0.1:${bridge.sipPort}`, micWav: mic, maxSeconds: 40 });
    calls.push(call);
    const heard = (await recognizeWav(call.heardWav, ['hello', 'demo', 'hours', 'prices', 'address', 'nine', 'morning', 'five', 'evening', 'monday', 'friday'])).join(' ');
    expect(heard, 'greeting').to.match(/\b(hello|demo|prices|address)\b/);
    expect(heard, 'answer').to.match(/\b(nine|morning|evening|monday|friday)\b/);

    const record = await settledRecord();
    expect(record.number).to.equal('+15550100');
    expect(record.verdict).to.deep.include({ by: 'caller', reason: 'caller-bye' });
    const show = await bridge.cli(['calls', 'show', record.callId, '--json']);
    expect(show.code, show.stderr).to.equal(0);
    const full = JSON.parse(show.stdout) as CallRecord;
    const agentLines = full.transcript.filter((t) => t.speaker === 'agent').map((t) => t.text);
    const callerLines = full.transcript.filter((t) => t.speaker === 'caller').map((t) => t.text);
    expect(agentLines[0]).to.match(/voice bridge demo/);
    expect(callerLines.join(' ')).to.match(/\bhours?\b/);
    expect(agentLines).to.include('We are open from nine in the morning to five in the evening, Monday to Friday.');
    expect(full.codec).to.equal('PCMU');
    expect(full.answeredAtMs).to.be.a('number');
  });

  it('saying goodbye makes the bridge hang up (BYE from the bridge, verdict agent-hangup)', async () => {
    const mic = join(dir, 'goodbye.wav');
    await spokenWav(mic, 'Goodbye.', 8, 20, 'rms');
    const call = await baresipCall({ uri: `sip:+15550100@127.0.0.1:${bridge.sipPort}`, micWav: mic, maxSeconds: 40 });
    calls.push(call);
    // The microphone file is 29 s long: a call that ended well before it was ended by the bridge.
    expect(await durationS(call.heardWav)).to.be.lessThan(25);
    const record = await settledRecord();
    expect(record.verdict).to.deep.include({ by: 'agent', reason: 'agent-hangup' });
    expect(call.stdout).to.match(/terminated|closed/i);
  });

  it('the echo number plays the caller back to itself', async () => {
    const mic = join(dir, 'tone.wav');
    // The greeting lasts ~3 s; then 3 s of 1 kHz tone, then silence until the file ends.
    await toneWav(mic, 3, 1000, 5);
    const call = await baresipCall({ uri: `sip:+15550199@127.0.0.1:${bridge.sipPort}`, micWav: mic, maxSeconds: 30 });
    calls.push(call);
    const tone = await rmsDb(call.heardWav, 5.8, 1.5);
    const after = await rmsDb(call.heardWav, 8.6, 0.3);
    expect(tone, 'echoed tone level').to.be.greaterThan(-20);
    expect(after, 'silence after the tone').to.be.lessThan(-40);
    const record = await settledRecord();
    expect(record.verdict).to.deep.include({ by: 'caller', reason: 'caller-bye' });
  });

  it('leaves no live record, no job, no key without a TTL, and every RTP port free', async () => {
    const live = (JSON.parse((await bridge.cli(['calls', 'list', '--json'])).stdout) as CallRecord[]).filter((r) => r.status !== 'ended');
    expect(live).to.deep.equal([]);
    for (const list of ['wait', 'active', 'paused']) expect(await bridge.redis.llen(`${bridge.prefix}:bull:calls:${list}`), list).to.equal(0);
    for (const key of [...(await bridge.redis.keys(`${bridge.prefix}:call:*`)), ...(await bridge.redis.keys(`${bridge.prefix}:sipcall:*`))]) expect(await bridge.redis.ttl(key), key).to.be.greaterThan(0);
    // Past the quarantine (1 s in the harness), every port of the range can be bound again.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const busy: number[] = [];
    for (let port = bridge.rtpRange.min; port <= bridge.rtpRange.max; port++) {
      const socket = createSocket('udp4');
      const free = await new Promise<boolean>((resolve) => {
        socket.once('error', () => resolve(false));
        socket.bind(port, '127.0.0.1', () => resolve(true));
      });
      socket.close();
      if (!free) busy.push(port);
    }
    expect(busy).to.deep.equal([]);
  });
});
