import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { CallRecord } from '@voicebridge/protocol';
import { spokenWav } from '../src/audio-fixtures.ts';
import { baresipCall, type BaresipCall } from '../src/baresip.ts';
import { bargeInTiming, VOICED_DB } from '../src/barge-in-timing.ts';
import { startBridge, type RunningBridge } from '../src/bridge-harness.ts';
import { RtpTap } from '../src/rtp-tap.ts';
import { waitFor } from '../../test/support/wait-for.ts';

const run = promisify(execFile);
const TAP_ADDRESS = '127.0.0.2';

/**
 * Barge-in on a real softphone call: the real bridge (`voicebridge start`) and baresip, with an RTP
 * tap between them so both streams are timed packet by packet on the wire. The demo number's
 * greeting (about 7 s) is talked over, as a caller who already knows what they want does.
 */
describe('barge-in on a real baresip call, timed from both RTP streams', function () {
  this.timeout(120_000);
  let bridge: RunningBridge;
  let tap: RtpTap;
  let dir: string;
  const calls: BaresipCall[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vb-barge-in-baresip-'));
    bridge = await startBridge({
      env: { GREETING_DELAY_MS: '200', STT_POOL_SIZE: '1', RTP_ADVERTISED_ADDRESS: TAP_ADDRESS },
      rtpPorts: 10,
    });
    tap = await RtpTap.start({ tapAddress: TAP_ADDRESS, bridgeAddress: '127.0.0.1', ports: bridge.rtpRange });
  });
  after(async () => {
    tap?.close();
    for (const call of calls) await call.cleanup();
    await bridge?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function lastRecord(): Promise<CallRecord> {
    return waitFor(
      'the call record ended',
      15_000,
      async () => {
        const list = await bridge.cli(['calls', 'list', '--json']);
        const record = (JSON.parse(list.stdout) as CallRecord[])[0];
        return record?.status === 'ended' ? record : undefined;
      },
      { everyMs: 200 },
    );
  }

  it("the caller talks over the greeting at phone level: the agent's last voiced packet within 300 ms of the onset", async () => {
    const mic = join(dir, 'hold-on.wav');
    await spokenWav(`${mic}.raw.wav`, 'Hold on, hold on please, I have another question.', 5, 8);
    // Peak at -18 dBFS: an ordinary voice on a phone line (active level near -26 dB), not a loud one.
    await run('sox', [`${mic}.raw.wav`, mic, 'gain', '-n', '-18']);
    const startMs = performance.now();
    const call = await baresipCall({ uri: `sip:+15550100@127.0.0.1:${bridge.sipPort}`, micWav: mic, maxSeconds: 40 });
    calls.push(call);
    const packets = tap.packets.filter((p) => p.atMs > startMs);
    const agentVoiced = packets.filter((p) => p.from === 'agent' && p.levelDb >= VOICED_DB);
    expect(agentVoiced.length, 'the greeting reached the caller').to.be.greaterThan(50);
    // The caller starts once the greeting has been playing for a while.

    const timing = bargeInTiming(packets, agentVoiced[0]!.atMs + 1000);
    expect(timing, 'the caller talked and the agent fell silent').to.not.equal(undefined);
    // Talked over: the agent's voice was flowing when the caller started (not a pause between sentences).
    const talkedOver = agentVoiced.filter((p) => p.atMs > timing!.onsetMs - 100 && p.atMs <= timing!.onsetMs);
    expect(talkedOver.length, 'agent voiced packets in the 100 ms before the onset').to.be.at.least(2);
    const callerLevels = packets.filter((p) => p.from === 'caller' && p.levelDb >= VOICED_DB).map((p) => p.levelDb);
    process.stdout.write(
      `      caller onset → agent's last voiced packet: ${timing!.yieldMs.toFixed(0)} ms (caller voiced packets ${callerLevels.length}, loudest ${Math.max(...callerLevels).toFixed(1)} dBFS)\n`,
    );
    expect(timing!.yieldMs).to.be.at.most(300);
    const record = await lastRecord();
    const greetingLine = record.transcript.find((line) => line.speaker === 'agent');
    expect(greetingLine?.text).to.match(/\[interrupted; estimated heard text\]$/);
  });

  it('a 150 ms cough over the greeting pauses it; the greeting resumes and is played out whole', async () => {
    const mic = join(dir, 'cough.wav');
    // 5 s in (the greeting is playing), 150 ms of pink noise peaking at -6 dBFS, then quiet.
    await run('sox', [
      '-n',
      '-r',
      '8000',
      '-c',
      '1',
      '-b',
      '16',
      `${mic}.burst.wav`,
      'synth',
      '0.15',
      'pinknoise',
      'gain',
      '-n',
      '-6',
    ]);
    await run('sox', [`${mic}.burst.wav`, mic, 'pad', '5', '12']);
    const startMs = performance.now();
    const call = await baresipCall({ uri: `sip:+15550100@127.0.0.1:${bridge.sipPort}`, micWav: mic, maxSeconds: 40 });
    calls.push(call);
    const packets = tap.packets.filter((p) => p.atMs > startMs);
    const agentVoiced = packets.filter((p) => p.from === 'agent' && p.levelDb >= VOICED_DB);
    expect(agentVoiced.length, 'the greeting reached the caller').to.be.greaterThan(50);
    // The agent fell silent for a second or more after the burst (the judge's window) ...
    const timing = bargeInTiming(packets, agentVoiced[0]!.atMs + 1000);
    expect(timing, 'the burst paused the agent').to.not.equal(undefined);
    // ... and then spoke again: the rest of the greeting.
    const resumed = agentVoiced.filter((p) => p.atMs > timing!.lastVoicedMs + 1000);
    process.stdout.write(
      `      burst onset → agent paused after ${timing!.yieldMs.toFixed(0)} ms, then ${resumed.length} voiced packets of the resumed greeting\n`,
    );
    expect(resumed.length, 'voiced agent packets after the pause').to.be.greaterThan(25);
    const record = await lastRecord();
    const greetingLine = record.transcript.find((line) => line.speaker === 'agent');
    expect(greetingLine?.text, JSON.stringify(record.transcript)).not.to.match(/\[interrupted/);
    expect(greetingLine?.cut).to.equal(undefined);
  });
});
