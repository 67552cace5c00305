import { expect } from 'chai';
import { createSocket } from 'node:dgram';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallRecord } from '@voicebridge/protocol';
import { startBridge, type RunningBridge } from '../src/bridge-harness.ts';
import { toneStream, writeRtpPcap } from '../src/rtp-pcap.ts';
import { callRecords, describeRun, endedRecord, runSipp, SCENARIOS_DIR } from '../src/sipp.ts';
import { sendPaced, waitFor } from '../../test/support/wait-for.ts';

/** The bridge's `media closed` log line of a call (JSON, with the session's counters). */
function mediaClosedLine(bridge: RunningBridge, callId: string): Record<string, unknown> | undefined {
  for (const line of bridge.logs) {
    if (!line.includes('"media closed"') || !line.includes(callId)) continue;
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      // not JSON: ignore
    }
  }
  return undefined;
}

/**
 * Strict symmetric RTP in real calls: a softphone behind a NAT (its SDP names an
 * address it does not send from) is latched and heard; a stranger who finds the call's RTP port
 * mid-call is neither heard nor answered.
 */
describe('SIPp: NATed softphone and foreign RTP injection against the real bridge', function () {
  this.timeout(60_000);
  let bridge: RunningBridge;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vb-nat-'));
    bridge = await startBridge();
  });
  after(async () => {
    await bridge?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function scenario(name: string, sdpAddress?: string): Promise<string> {
    const pcap = join(dir, `${name}.pcap`);
    await writeRtpPcap(pcap, toneStream(500, 1000, 3000)); // 150 packets over 3 s
    let xml = (await readFile(join(SCENARIOS_DIR, 'uac-dtmf.xml'), 'utf8')).replaceAll('PCAP_FILE', pcap);
    if (sdpAddress) xml = xml.replace('c=IN IP[media_ip_type] [media_ip]', `c=IN IP4 ${sdpAddress}`);
    const path = join(dir, `${name}.xml`);
    await writeFile(path, xml);
    return path;
  }

  it('a softphone whose SDP says 127.0.0.5 while its RTP comes from 127.0.0.1 is latched: its audio reaches the bridge', async () => {
    const run = await runSipp({
      scenario: await scenario('nat', '127.0.0.5'),
      target: `127.0.0.1:${bridge.sipPort}`,
      service: '+15550199',
      pauseMs: 3500,
    });
    expect(run.code, describeRun(run)).to.equal(0);
    const record = await endedRecord(bridge, run.sipCallIds[0] as string, 10_000);
    // The record keeps both: where the SDP said (a claim) and the source that latched (where audio went).
    expect(record.sdpRtp?.address).to.equal('127.0.0.5');
    expect(record.remoteRtp?.address).to.equal('127.0.0.1');
    // Before the latch, packets from an address the SDP did not name are dropped: two of them.
    expect(record.media?.packetsReceived, JSON.stringify(record.media)).to.be.within(140, 150);
    const closed = mediaClosedLine(bridge, record.callId);
    expect(closed?.foreignDropped, JSON.stringify(closed)).to.be.within(1, 5);
  });

  it('RTP injected mid-call from another port is dropped, and the injector is sent nothing', async () => {
    const injector = createSocket('udp4');
    await new Promise<void>((resolve) => injector.bind(0, '127.0.0.1', resolve));
    let answered = 0;
    injector.on('message', () => answered++);
    const sipp = runSipp({
      scenario: await scenario('inject'),
      target: `127.0.0.1:${bridge.sipPort}`,
      service: '+15550199',
      pauseMs: 3500,
    });
    let live: CallRecord | undefined;
    await waitFor('the call to be answered', 15_000, async () => {
      live = (await callRecords(bridge).listLive()).find((r) => r.status === 'answered' && r.localRtp !== undefined);
      return live !== undefined;
    });
    const port = live!.localRtp!.port;
    // Mid-call: SIPp's stream (from the ACK on) has been latched for a while before the stranger starts.
    // eslint-disable-next-line no-restricted-globals -- where in the call the stranger starts is the scenario
    await new Promise((resolve) => setTimeout(resolve, 700));
    // A well-formed, in-sequence PCMU stream of its own, 50 packets 20 ms apart.
    await sendPaced(50, 20, (i) => {
      const packet = Buffer.alloc(12 + 160, 0x55);
      packet[0] = 0x80;
      packet[1] = 0; // PCMU, as negotiated
      packet.writeUInt16BE(30_000 + i, 2);
      packet.writeUInt32BE(900_000 + 160 * i, 4);
      packet.writeUInt32BE(0xbad0_0001, 8);
      injector.send(packet, port, '127.0.0.1');
    });
    const run = await sipp;
    injector.close();
    expect(run.code, describeRun(run)).to.equal(0);
    const record = await endedRecord(bridge, run.sipCallIds[0] as string, 10_000);
    expect(answered, 'packets sent to the injector').to.equal(0);
    expect(record.media?.packetsReceived, JSON.stringify(record.media)).to.be.within(140, 150);
    const closed = mediaClosedLine(bridge, record.callId);
    expect(closed?.foreignDropped, JSON.stringify(closed)).to.equal(50);
  });
});
