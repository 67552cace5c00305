import { expect } from 'chai';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBridge, type RunningBridge } from '../src/bridge-harness.ts';
import { toneStream, writeRtpPcap } from '../src/rtp-pcap.ts';
import { describeRun, endedRecord, runSipp, SCENARIOS_DIR } from '../src/sipp.ts';
import { waitFor } from '../../test/support/wait-for.ts';

function onset(data: Buffer, channel: number, threshold: number): number {
  for (let frame = 0; frame * 4 + 4 <= data.length; frame++)
    if (Math.abs(data.readInt16LE(frame * 4 + channel * 2)) > threshold) return frame;
  return -1;
}

describe('SIPp: a recorded real call (number with recording on, echo agent)', function () {
  this.timeout(60_000);
  let bridge: RunningBridge;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vb-recording-'));
    bridge = await startBridge({ env: { RECORDINGS_DIR: join(dir, 'recordings') } });
    const set = await bridge.cli([
      'numbers',
      'set',
      '+15550199',
      '--greeting',
      '',
      '--record',
      '--retention-days',
      '3',
    ]);
    expect(set.code, set.stderr).to.equal(0);
  });
  after(async () => {
    await bridge?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('the record names a stereo WAV with the caller’s tone on the left and its echo on the right, shortly after', async () => {
    const pcap = join(dir, 'tone.pcap');
    await writeRtpPcap(pcap, toneStream(1500, 400, 4000));
    const scenario = join(dir, 'uac-pcap.xml');
    await writeFile(
      scenario,
      (await readFile(join(SCENARIOS_DIR, 'uac-dtmf.xml'), 'utf8')).replaceAll('PCAP_FILE', pcap),
    );
    const run = await runSipp({
      scenario,
      target: `127.0.0.1:${bridge.sipPort}`,
      service: '+15550199',
      pauseMs: 4500,
      timeoutMs: 30_000,
    });
    expect(run.code, describeRun(run)).to.equal(0);
    const record = await endedRecord(bridge, run.sipCallIds[0] as string, 10_000);
    const recording = record.media?.recording;
    expect(recording?.path, JSON.stringify(record.media)).to.match(/recordings\/\d{8}T\d{6}Z-.+\.r3d\.wav$/);
    let wav = Buffer.alloc(0);
    // The media worker finishes the file (last audio, header sizes) just after the call's close.
    await waitFor('the WAV header to be final', 5000, async () => {
      wav = await readFile(recording!.path).catch(() => Buffer.alloc(0));
      return wav.length > 44 && wav.readUInt32LE(40) === wav.length - 44;
    });
    expect([wav.readUInt16LE(22), wav.readUInt32LE(24), wav.readUInt16LE(34)]).to.deep.equal([2, 8000, 16]);
    const seconds = (wav.length - 44) / 32_000;
    expect(Math.abs(seconds * 1000 - recording!.durationMs)).to.be.lessThan(5);
    expect(seconds, 'the recording spans the call').to.be.within(4, 12);
    const data = wav.subarray(44);
    const left = onset(data, 0, 3000);
    const right = onset(data, 1, 3000);
    expect(left, 'the caller’s tone on the left').to.be.greaterThan(0);
    expect(right, 'its echo on the right').to.be.greaterThan(left);
    // The echo goes through the jitter buffer, the agent process and the send queue: in-order caller
    // frames reach the agent on arrival and a reply's first frame is sent at once, so a few to tens
    // of ms, not seconds.
    const echoMs = (right - left) / 8;
    expect(echoMs).to.be.within(1, 500);
  });
});
