import { expect } from 'chai';
import type { CallRecord } from '@voicebridge/protocol';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBridge, type RunningBridge } from '../src/bridge-harness.ts';
import { linesWithDtmf } from '../src/dtmf-in-logs.ts';
import { writeRtpPcap, type PcapPacket } from '../src/rtp-pcap.ts';
import { describeRun, endedRecord, runSipp, SCENARIOS_DIR } from '../src/sipp.ts';

/** The demo's echo number. */
const NUMBER = '+15550199';

const VOICE_PT = 0;
const EVENT_PT = 101;
const SSRC = 0x5151_0001;

interface Key {
  event: number;
  /** False: every end packet of this press is lost on the way. */
  ends: boolean;
}

/**
 * The RTP of a phone whose user presses `keys`: 20 ms PCMU silence, and for each key an RFC 4733
 * event (updates every 50 ms for 200 ms, then three end packets unless lost) pausing the voice,
 * then 300 ms of voice before the next key.
 */
function keyPresses(keys: Key[], leadMs: number, tailMs: number): PcapPacket[] {
  const packets: PcapPacket[] = [];
  let seq = 1000;
  let atMs = 0;
  const rtp = (pt: number, marker: boolean, payload: Buffer, timestamp: number): Buffer => {
    const header = Buffer.alloc(12);
    header[0] = 0x80;
    header[1] = (marker ? 0x80 : 0) | pt;
    header.writeUInt16BE(seq++ & 0xffff, 2);
    header.writeUInt32BE(timestamp >>> 0, 4);
    header.writeUInt32BE(SSRC, 8);
    return Buffer.concat([header, payload]);
  };
  const voice = (ms: number): void => {
    for (const end = atMs + ms; atMs < end; atMs += 20)
      packets.push({ atMs, payload: rtp(VOICE_PT, false, Buffer.alloc(160, 0xff), atMs * 8) });
  };
  voice(leadMs);
  for (const key of keys) {
    const timestamp = atMs * 8;
    const event = (end: boolean, durationSamples: number): Buffer =>
      Buffer.from([key.event, (end ? 0x80 : 0) | 10, durationSamples >> 8, durationSamples & 0xff]);
    for (let i = 1; i <= 4; i++)
      packets.push({ atMs: atMs + 50 * (i - 1), payload: rtp(EVENT_PT, i === 1, event(false, 400 * i), timestamp) });
    for (let i = 0; i < 3; i++) {
      if (key.ends)
        packets.push({ atMs: atMs + 200 + 20 * i, payload: rtp(EVENT_PT, false, event(true, 1600), timestamp) });
    }
    atMs += 260;
    voice(300);
  }
  voice(tailMs);
  return packets;
}

describe('SIPp: DTMF (RFC 4733) pressed in a real call reaches the agent once per press, never a log (uac-dtmf.xml)', function () {
  this.timeout(60_000);
  let bridge: RunningBridge;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vb-dtmf-'));
    bridge = await startBridge();
  });
  after(async () => {
    await bridge?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** One SIPp call pressing 1, 5, 5, 9 (the first 5 and the 9 with every end packet lost); its ended record. */
  async function pressKeys(): Promise<CallRecord> {
    const pcap = join(dir, 'keys.pcap');
    await writeRtpPcap(
      pcap,
      keyPresses(
        [
          { event: 1, ends: true },
          { event: 5, ends: false }, // reported when the next press starts
          { event: 5, ends: true }, // the same key again: a second press
          { event: 9, ends: false }, // reported by the receiver's timeout
        ],
        1000,
        1500,
      ),
    );
    const scenario = join(dir, 'uac-dtmf.xml');
    await writeFile(
      scenario,
      (await readFile(join(SCENARIOS_DIR, 'uac-dtmf.xml'), 'utf8')).replaceAll('PCAP_FILE', pcap),
    );
    const run = await runSipp({
      scenario,
      target: `127.0.0.1:${bridge.sipPort}`,
      service: NUMBER,
      pauseMs: 5500,
      timeoutMs: 30_000,
    });
    expect(run.code, describeRun(run)).to.equal(0);
    const record = await endedRecord(bridge, run.sipCallIds[0] as string, 10_000);
    expect(record.verdict?.reason).to.equal('caller-bye');
    return record;
  }

  const keysOf = (record: CallRecord): string[] =>
    record.transcript
      .filter((entry) => entry.speaker === 'caller' && entry.text.startsWith('[DTMF'))
      .map((e) => e.text);

  it('keys 1, 5, 5, 9 — two with every end packet lost — each show once in the record, masked by default', async () => {
    const record = await pressKeys();
    expect(keysOf(record), JSON.stringify(record.transcript)).to.deep.equal(Array(4).fill('[DTMF masked]'));
  });

  it('with --dtmf-in-records digits the record shows the keys themselves', async () => {
    const set = await bridge.cli(['numbers', 'set', NUMBER, '--dtmf-in-records', 'digits']);
    expect(set.code, set.stderr).to.equal(0);
    const record = await pressKeys();
    expect(keysOf(record), JSON.stringify(record.transcript)).to.deep.equal([
      '[DTMF 1]',
      '[DTMF 5]',
      '[DTMF 5]',
      '[DTMF 9]',
    ]);
  });

  it('no log line of either call (debug level, redaction off) carries a key', () => {
    expect(
      bridge.logs.some((line) => line.includes('DTMF received')),
      'the presses were logged as events',
    ).to.equal(true);
    expect(linesWithDtmf(bridge.logs, '1559')).to.deep.equal([]);
  });
});
