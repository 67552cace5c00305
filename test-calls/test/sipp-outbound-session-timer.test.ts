import { expect } from 'chai';
import { pino } from 'pino';
import {
  decodeControlJson,
  encodeControl,
  FRAME_KIND_CONTROL,
  newCallId,
  type CallRecord,
  type DialOutcome,
} from '@voicebridge/protocol';
import { targetFromUri } from '@voicebridge/signaling';
import { startInProcessBridge, type InProcessBridge } from '../src/in-process-bridge.ts';
import { describeRun, headerValues, runSipp, type SippMessage, type SippResult } from '../src/sipp.ts';
import { freePort, portIsFree } from '../../test/support/free-port.ts';
import { waitFor } from '../../test/support/wait-for.ts';

const log = pino({ level: 'silent' });

/**
 * RFC 4028 on calls we place (the bridge is the UAC), against SIPp callees: the INVITE offers
 * SESSION_EXPIRES_S with SESSION_MIN_SE_S (both short here so a test sees several intervals), and
 * the callee's 2xx decides who refreshes.
 */
describe('SIPp as the callee: session timers on outbound calls', function () {
  this.timeout(90_000);
  let bridge: InProcessBridge;

  before(async () => {
    bridge = await startInProcessBridge({
      log,
      agentConcurrency: 2,
      env: { SESSION_EXPIRES_S: '4', SESSION_MIN_SE_S: '2' },
      // An agent speaking the channel protocol: ready at once, done at `stop`.
      agent:
        ({ channel }) =>
        async (job) => {
          let stopped!: () => void;
          const done = new Promise<void>((resolve) => (stopped = resolve));
          const end = channel.open(job.data.callId, 'agent', (m) => {
            if (m[0] === FRAME_KIND_CONTROL && (decodeControlJson(m) as { event?: string }).event === 'stop') stopped();
          });
          await end.ready;
          end.send(encodeControl({ event: 'ready' }));
          await job.updateProgress({ decision: 'accept' });
          await done;
          end.close();
        },
    });
  });

  after(() => bridge?.close());

  async function dialSipp(scenario: string): Promise<{ run: SippResult; outcome: DialOutcome; record: CallRecord }> {
    const port = await freePort('udp', 'tcp');
    const running = runSipp({
      scenario,
      target: `127.0.0.1:${bridge.config.SIP_PORT}`,
      sipPort: port,
      timeoutMs: 40_000,
    });
    await waitFor('SIPp bound its port', 10_000, async () => !(await portIsFree(port, 'udp')));
    const callId = newCallId();
    const outcome = await bridge.signaling.dial(
      {
        version: 1,
        callId,
        trunk: 'carrier',
        destination: '+15550777',
        callerId: '+15550199',
        number: '+15550199',
        ringTimeoutS: 20,
        metadata: {},
        requestedAtMs: Date.now(),
      },
      { target: targetFromUri(`sip:+15550777@127.0.0.1:${port}`) },
    );
    const run = await running;
    const record = await waitFor('the record to end', 20_000, async () => {
      const r = await bridge.records.get(callId);
      return r?.status === 'ended' ? r : undefined;
    });
    return { run, outcome, record };
  }

  const from = (run: SippResult, method: string): SippMessage[] =>
    run.messages.filter((m) => m.direction === 'received' && m.startLine.startsWith(`${method} `));
  const answerOf = (run: SippResult): SippMessage | undefined =>
    run.messages.find((m) => m.direction === 'sent' && m.startLine.startsWith('SIP/2.0 200'));

  it('the callee picks refresher=uac: we refresh with UPDATE every half interval and the call lives on', async () => {
    const { run, outcome, record } = await dialSipp('uas-session-refresh-uac.xml');
    expect(run.code, describeRun(run)).to.equal(0);
    expect(outcome.verdict).to.equal('answered');
    const [invite] = from(run, 'INVITE');
    expect(headerValues(invite!, 'Session-Expires')).to.deep.equal(['4']); // no refresher: the callee chooses
    expect(headerValues(invite!, 'Min-SE')).to.deep.equal(['2']);
    const updates = from(run, 'UPDATE');
    expect(updates).to.have.length(3);
    for (const update of updates) expect(headerValues(update, 'Session-Expires')).to.deep.equal(['4;refresher=uac']);
    // Refreshes at SE/2 = 2 s: the first about 2 s after the answer, the call outliving its 4 s interval.
    const answeredAt = answerOf(run)!.atMs;
    expect(updates[0]!.atMs - answeredAt).to.be.within(1500, 3500);
    expect(updates[2]!.atMs - answeredAt).to.be.greaterThan(4000);
    expect(from(run, 'BYE')).to.have.length(0);
    expect(record.verdict).to.deep.include({ by: 'caller', reason: 'caller-bye' });
  });

  it('the callee picks refresher=uas and never refreshes: our BYE at expiry − SE/3, verdict session-expired', async () => {
    const { run, outcome, record } = await dialSipp('uas-session-silent-uas.xml');
    expect(run.code, describeRun(run)).to.equal(0);
    expect(outcome.verdict).to.equal('answered');
    expect(from(run, 'UPDATE')).to.have.length(0);
    expect(from(run, 'INVITE')).to.have.length(1); // no refreshing re-INVITE of ours
    const [bye] = from(run, 'BYE');
    // SE 6 from the callee: it should have refreshed by 6 s; we give up at 6 − min(32, 6/3) = 4 s.
    const afterMs = bye!.atMs - answerOf(run)!.atMs;
    expect(afterMs).to.be.within(3500, 6000);
    expect(record.verdict).to.deep.include({ by: 'bridge', reason: 'session-expired' });
  });
});
