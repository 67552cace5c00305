import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { useBridge } from '../src/bridge-fixture.ts';
import type { RunningBridge } from '../src/bridge-harness.ts';
import { optionsStatus, waitForOptionsStatus } from '../src/sip-probe.ts';
import {
  assertBridgeIdle,
  callRecords,
  cseqMethod,
  describeRun,
  endedRecord,
  headerValues,
  listedCalls,
  runSipp,
  statusOf,
  unfinishedJobs,
  type SippOptions,
  type SippResult,
} from '../src/sipp.ts';
import { waitFor, holdsFor, sendPaced, schedule } from '../../test/support/wait-for.ts';

/** The trunk's own address and a second loopback address that belongs to no trunk. */
const TRUNK_IP = '127.0.0.1';
const STRANGER_IP = '127.0.0.2';
const TRUNK_RATE = 2;
/** The line signaling logs once per admitted INVITE to a number nobody configured. */
const NOT_FOUND_LINE = 'no agent for the dialled number: 404"';

function logLines(bridge: RunningBridge, ending: string): string[] {
  return bridge.logs.filter((line) => line.includes(ending));
}

/** INVITEs (uac-invite-final.xml, no ringing pause) from STRANGER_IP, a source outside every trunk. */
function inviteFromStranger(
  bridge: RunningBridge,
  options: Pick<SippOptions, 'calls' | 'rate' | 'timeoutMs'>,
): Promise<SippResult> {
  return runSipp({
    scenario: 'uac-invite-final.xml',
    target: `127.0.0.1:${bridge.sipPort}`,
    service: '+15550199',
    localIp: STRANGER_IP,
    extraArgs: ['-nr', '-key', 'ua', 'sipp voicebridge-tests'],
    ...options,
  });
}

function received(run: SippResult, status: number): number {
  return run.messages.filter((m) => m.direction === 'received' && statusOf(m) === status && cseqMethod(m) === 'INVITE')
    .length;
}

describe('SIPp: trunks, scanners, bans and overload (SIP_ALLOWED_CIDRS=none, one trunk on 127.0.0.1/32)', function () {
  this.timeout(120_000);
  const bridge = useBridge({
    env: { SIP_ALLOWED_CIDRS: 'none', SIP_UNTRUSTED_RATE: '2', SIP_UNTRUSTED_BURST: '4', SIP_BAN_TIME_S: '60' },
  });

  before(async () => {
    const added = await bridge().cli([
      'trunks',
      'add',
      'local',
      '--source',
      `${TRUNK_IP}/32`,
      '--calls-per-second',
      String(TRUNK_RATE),
    ]);
    expect(added.code, added.stderr).to.equal(0);
    // Signaling re-reads trunks every second: the trunk's OPTIONS are answered once it has.
    await waitForOptionsStatus(bridge().sipPort, 200, TRUNK_IP);
  });

  it('an INVITE from a source outside every trunk never rings: no response, no record, no job', async () => {
    const run = await inviteFromStranger(bridge(), { timeoutMs: 5000 });
    expect(run.code, describeRun(run)).to.not.equal(0);
    expect(run.stats.successful).to.equal(0);
    expect(
      run.messages.filter((m) => m.direction === 'received'),
      'messages sipp received',
    ).to.deep.equal([]);
    await waitFor(
      'the security log line',
      5000,
      () => logLines(bridge(), `SIP request dropped: source matches no trunk from ${STRANGER_IP}"`).length === 1,
    );
    expect(await listedCalls(bridge())).to.deep.equal([]);
    expect(await unfinishedJobs(bridge())).to.deep.equal({ wait: 0, active: 0, paused: 0, delayed: 0, prioritized: 0 });
  });

  it('drops a scanner user agent silently, even from the trunk, with one log line', async () => {
    const run = await runSipp({
      scenario: 'uac-invite-final.xml',
      target: `127.0.0.1:${bridge().sipPort}`,
      service: '100',
      extraArgs: ['-nr', '-key', 'ua', 'friendly-scanner'],
      timeoutMs: 5000,
    });
    expect(run.messages.filter((m) => m.direction === 'received')).to.deep.equal([]);
    await waitFor(
      'the scanner log line',
      5000,
      () =>
        logLines(bridge(), `SIP scanner dropped (User-Agent \\"friendly-scanner\\") from ${TRUNK_IP}"`).length === 1,
    );
    expect(await listedCalls(bridge())).to.deep.equal([]);
  });

  it('a flood from a source outside every trunk ends in a ban; after it nothing more is logged for that source', async () => {
    const run = await inviteFromStranger(bridge(), { calls: 40, rate: 40, timeoutMs: 6000 });
    expect(
      run.messages.filter((m) => m.direction === 'received'),
      describeRun(run),
    ).to.deep.equal([]);
    const banLine = `SIP source banned for 60 s: over 2 requests/s from ${STRANGER_IP}"`;
    await waitFor('the ban log line', 5000, () => logLines(bridge(), banLine).length === 1);
    const banAt = bridge().logs.findIndex((line) => line.includes(banLine));
    const droppedAfter = bridge()
      .logs.slice(banAt)
      .filter((line) => line.includes(`source matches no trunk from ${STRANGER_IP}"`));
    expect(droppedAfter, 'dropped-request lines after the ban').to.deep.equal([]);
    // At most the burst (4) plus what the rate refilled during the flood was logged before the ban.
    expect(logLines(bridge(), `source matches no trunk from ${STRANGER_IP}"`).length).to.be.within(2, 10);
    expect(await listedCalls(bridge())).to.deep.equal([]);
    // The trunk is untouched by another source's ban.
    expect(await optionsStatus(bridge().sipPort, TRUNK_IP, 2000)).to.equal(200);
  });

  it('the banned source cannot open a TCP connection either; the trunk can', async () => {
    const outcome = (localAddress: string): Promise<'closed' | 'open'> =>
      new Promise((resolve) => {
        const socket = connect({ host: '127.0.0.1', port: bridge().sipPort, localAddress });
        const cancel = schedule(1500, () => {
          socket.destroy();
          resolve('open');
        });
        socket.once('close', () => {
          cancel();
          resolve('closed');
        });
        socket.once('error', () => undefined);
      });
    expect(await outcome(STRANGER_IP)).to.equal('closed');
    expect(await outcome(TRUNK_IP)).to.equal('open');
  });

  it(`a flood from the trunk at 10x its ${TRUNK_RATE} calls/s leaves calls in progress untouched and gets 503 + Retry-After for the excess`, async () => {
    // Two calls in progress from the trunk: they talk (RTP both ways) for 6 s, then hang up.
    const inProgress = runSipp({
      scenario: 'uac-answer-bye.xml',
      target: `127.0.0.1:${bridge().sipPort}`,
      service: '+15550199',
      calls: 2,
      rate: 10,
      pauseMs: 6000,
      timeoutMs: 40_000,
    });
    const records = callRecords(bridge());
    await waitFor(
      'both calls answered',
      15_000,
      async () => (await records.listLive()).filter((r) => r.status === 'answered').length === 2,
    );
    // The trunk's token bucket refills on the bridge's clock, with nothing to observe: time must pass.
    // eslint-disable-next-line no-restricted-globals -- see above
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const notFoundBefore = logLines(bridge(), NOT_FOUND_LINE).length;
    const flood = await runSipp({
      scenario: 'uac-invite-final.xml',
      target: `127.0.0.1:${bridge().sipPort}`,
      service: '+15550000', // not configured: an admitted flood call ends in 404, no agent spent
      calls: 60,
      rate: 10 * TRUNK_RATE,
      extraArgs: ['-nr', '-key', 'ua', 'sipp voicebridge-tests'],
      timeoutMs: 30_000,
    });
    const calls = await inProgress;
    expect(calls.code, describeRun(calls)).to.equal(0);
    expect(calls.stats.successful).to.equal(2);
    for (const sipCallId of calls.sipCallIds) {
      expect((await endedRecord(bridge(), sipCallId)).verdict).to.deep.include({ by: 'caller', reason: 'caller-bye' });
    }

    expect(flood.code, describeRun(flood)).to.equal(0);
    const refused = received(flood, 503);
    const admitted = received(flood, 404);
    expect(refused + admitted, describeRun(flood)).to.equal(60);
    // 60 INVITEs over ~3 s at 2/s with a burst of 2: about 8 admitted; allow for a slow box.
    expect(admitted).to.be.within(1, 20);
    expect(refused).to.be.at.least(40);
    for (const response of flood.messages.filter((m) => m.direction === 'received' && statusOf(m) === 503)) {
      expect(headerValues(response, 'Retry-After')[0]).to.match(/^[1-9]\d*$/);
    }
    expect(
      logLines(bridge(), `new call refused with 503: over trunk local callsPerSecond from ${TRUNK_IP}"`).length,
    ).to.equal(refused);
    // Only the two calls are recorded: the admitted INVITEs to a number nobody configured end in 404
    // without a record (a flood must not write one per INVITE), each logged once.
    expect((await listedCalls(bridge())).length).to.equal(2);
    expect(logLines(bridge(), NOT_FOUND_LINE).length - notFoundBefore).to.equal(admitted);
    // Trunk sources are never banned.
    expect(logLines(bridge(), `banned for 60 s: over 2 requests/s from ${TRUNK_IP}"`)).to.deep.equal([]);
    expect(await optionsStatus(bridge().sipPort, TRUNK_IP, 2000)).to.equal(200);
  });

  it('retransmissions of an INVITE already in hand never count against the trunk rate', async () => {
    // The bucket refills to its burst (2) on the bridge's clock, with nothing to observe: time must pass.
    // eslint-disable-next-line no-restricted-globals -- see above
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const before = (await listedCalls(bridge())).length;
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, TRUNK_IP, resolve));
    try {
      const statuses: number[] = [];
      socket.on('message', (data) =>
        statuses.push(Number(/^SIP\/2\.0 (\d{3})/.exec(data.toString('latin1'))?.[1] ?? 0)),
      );
      const { port } = socket.address();
      const callId = `${randomBytes(6).toString('hex')}@${TRUNK_IP}`;
      const invite = [
        `INVITE sip:+15550000@127.0.0.1:${bridge().sipPort} SIP/2.0`,
        `Via: SIP/2.0/UDP ${TRUNK_IP}:${port};branch=z9hG4bK${randomBytes(5).toString('hex')};rport`,
        'Max-Forwards: 70',
        `From: <sip:+15557654321@${TRUNK_IP}>;tag=rt1`,
        `To: <sip:+15550000@127.0.0.1>`,
        `Call-ID: ${callId}`,
        'CSeq: 1 INVITE',
        `Contact: <sip:caller@${TRUNK_IP}:${port}>`,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      // The same INVITE six times (a caller's retransmissions): one transaction, one admission.
      await sendPaced(6, 30, () => socket.send(invite, bridge().sipPort, '127.0.0.1'));
      await waitFor('a final response', 5000, () => statuses.some((s) => s >= 300));
      await holdsFor('no 503 to a retransmission', 300, () => !statuses.includes(503));
      expect(
        statuses.filter((s) => s === 503),
        `responses: ${statuses.join(' ')}`,
      ).to.deep.equal([]);
      expect(statuses.filter((s) => s >= 300).every((s) => s === 488 || s === 404)).to.equal(true);
      // One admission: a single 404 decision logged for the Call-ID, and no record for it.
      expect(
        logLines(bridge(), NOT_FOUND_LINE).filter((line) => line.includes(`"sipCallId":"${callId}"`)),
      ).to.have.length(1);
      expect((await listedCalls(bridge())).length).to.equal(before);
    } finally {
      socket.close();
    }
  });

  it('records the trunk name on its calls and leaves the bridge idle', async () => {
    const recorded = await listedCalls(bridge());
    expect(recorded.length).to.be.greaterThan(0);
    expect(recorded.every((r) => r.trunk === 'local')).to.equal(true);
    await assertBridgeIdle(bridge(), 10_000);
  });
});

describe('SIPp: SIP_UNTRUSTED_RESPONSE=403', function () {
  this.timeout(90_000);
  const bridge = useBridge({ env: { SIP_ALLOWED_CIDRS: 'none', SIP_UNTRUSTED_RESPONSE: '403' } });

  it('answers an INVITE from a source outside every trunk with 403, with no record and no job', async () => {
    const run = await inviteFromStranger(bridge(), { timeoutMs: 10_000 });
    expect(run.code, describeRun(run)).to.equal(0);
    expect(received(run, 403)).to.equal(1);
    expect(received(run, 180)).to.equal(0);
    await waitFor(
      'the security log line',
      5000,
      () =>
        logLines(bridge(), `SIP INVITE refused with 403: source matches no trunk from ${STRANGER_IP}"`).length === 1,
    );
    expect(await listedCalls(bridge())).to.deep.equal([]);
    expect(await unfinishedJobs(bridge())).to.deep.equal({ wait: 0, active: 0, paused: 0, delayed: 0, prioritized: 0 });
  });
});
