import { expect } from 'chai';
import { pino } from 'pino';
import {
  decodeControlJson,
  encodeControl,
  FRAME_KIND_CONTROL,
  newCallId,
  type CallRecord,
  type DialOutcome,
  type DialRequest,
} from '@voicebridge/protocol';
import { targetFromUri, type SignalingService } from '@voicebridge/signaling';
import type { CallRecordRepository } from '@voicebridge/store';
import { startInProcessBridge, type InProcessBridge } from '../src/in-process-bridge.ts';
import { describeRun, headerValues, runSipp, type SippMessage, type SippResult } from '../src/sipp.ts';
import { freePort, portIsFree } from '../../test/support/free-port.ts';
import { waitFor } from '../../test/support/wait-for.ts';

const log = pino({ level: 'silent' });
const T1_MS = 100; // Timer B = 6.4 s: the callee that never answers ends within the test's time

/**
 * Outbound calls (SignalingService.dial, the UAC side of the SIP core) against real SIPp callees:
 * signaling, a media worker and an agent run in process, so the test drives dial() directly.
 */
describe('SIPp as the callee: outbound calls through the UAC', function () {
  this.timeout(120_000);
  let bridge: InProcessBridge;
  let signaling: SignalingService;
  let records: CallRecordRepository;
  let prepared = 0;
  let preparedAtMs = 0;

  before(async () => {
    bridge = await startInProcessBridge({
      log,
      agentConcurrency: 5,
      env: { SIP_T1_MS: String(T1_MS) },
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
          prepared += 1;
          preparedAtMs = Date.now();
          await job.updateProgress({ decision: 'accept' });
          await done;
          end.close();
        },
    });
    ({ signaling, records } = bridge);
  });

  after(() => bridge?.close());

  /** Starts SIPp as the callee on a free port, dials it, and returns both sides' view. */
  async function dialSipp(
    scenario: string,
    options: {
      transport?: 'udp' | 'tcp';
      ringTimeoutS?: number;
      pauseMs?: number;
      abortAfterRinging?: boolean;
      credentials?: { username: string; password: string };
    } = {},
  ): Promise<{ run: SippResult; outcome: DialOutcome; record: CallRecord; inviteSentAt: number }> {
    const transport = options.transport ?? 'udp';
    const port = await freePort('udp', 'tcp');
    const running = runSipp({
      scenario,
      target: `127.0.0.1:${bridge.config.SIP_PORT}`,
      sipPort: port,
      pauseMs: options.pauseMs ?? 500,
      timeoutMs: 40_000,
      extraArgs: transport === 'tcp' ? ['-t', 't1'] : [],
    });
    await waitFor('SIPp bound its port', 10_000, async () => !(await portIsFree(port, transport)));
    const callId = newCallId();
    const request: DialRequest = {
      version: 1,
      callId,
      trunk: 'carrier',
      destination: '+15550777',
      callerId: '+15550199',
      number: '+15550199',
      ringTimeoutS: options.ringTimeoutS ?? 20,
      metadata: { campaign: 'reminders' },
      requestedAtMs: Date.now(),
    };
    const target = {
      ...targetFromUri(`sip:+15550777@127.0.0.1:${port}${transport === 'tcp' ? ';transport=tcp' : ''}`),
      ...(options.credentials && { credentials: options.credentials }),
    };
    const abort = new AbortController();
    let inviteSentAt = 0;
    const dialled = signaling.dial(request, {
      target,
      signal: abort.signal,
      onInviteSending: () => {
        inviteSentAt = Date.now();
      },
    });
    if (options.abortAfterRinging) {
      await waitFor('the callee to ring', 15_000, async () => (await records.get(callId))?.status === 'ringing');
      abort.abort();
    }
    const outcome = await dialled;
    const run = await running;
    const record = await waitFor('the record to end', 15_000, async () => {
      const r = await records.get(callId);
      return r?.status === 'ended' ? r : undefined;
    }).catch((error: unknown) => {
      throw new Error(
        `${(error as Error).message}\n${describeRun(run)}\n${JSON.stringify(run.messages.map((m) => `${m.direction} ${m.startLine}`))}`,
      );
    });
    return { run, outcome, record, inviteSentAt };
  }

  const sent = (run: SippResult, method: string): SippMessage[] =>
    run.messages.filter((m) => m.direction === 'received' && m.startLine.startsWith(`${method} `));

  it('answered: the agent is prepared before the INVITE, the callee hangs up, the record says outbound', async () => {
    const before = prepared;
    const { run, outcome, record, inviteSentAt } = await dialSipp('uas-answer.xml');
    expect(run.code, describeRun(run)).to.equal(0);
    expect(outcome).to.include({ verdict: 'answered', finalStatus: 200, attempts: 1 });
    expect(inviteSentAt).to.be.greaterThan(0);
    expect(preparedAtMs).to.be.at.most(inviteSentAt); // the agent was ready before the INVITE left
    expect(outcome.ringMs).to.be.a('number');
    expect(prepared).to.equal(before + 1);
    expect(record).to.deep.include({
      direction: 'outbound',
      to: '+15550777',
      from: '+15550199',
      number: '+15550199',
      codec: 'PCMA', // the callee's choice among our PCMU and PCMA
      trunk: 'carrier',
      metadata: { campaign: 'reminders' },
    });
    expect(record.verdict).to.deep.include({ by: 'caller', reason: 'caller-bye' });
    expect(record.dial).to.deep.include({ verdict: 'answered', finalStatus: 200, attempts: 1 });
    expect(record.media?.packetsReceived ?? 0).to.be.greaterThan(0); // the callee's RTP latched
    expect(sent(run, 'ACK')).to.have.length(1);
    expect(sent(run, 'CANCEL')).to.have.length(0);
  });

  for (const [status, verdict] of [
    [486, 'busy'],
    [603, 'rejected'],
    [404, 'invalid-number'],
  ] as const) {
    it(`${status}: the dial ends ${verdict} with the Reason kept, the ${status} ACKed`, async () => {
      const { run, outcome, record } = await dialSipp(`uas-reject-${status}.xml`);
      expect(run.code, describeRun(run)).to.equal(0);
      expect(outcome).to.deep.include({ verdict, finalStatus: status, attempts: 1 });
      expect(outcome.reason).to.deep.equal({ protocol: 'Q.850', cause: 17, text: 'User busy' });
      expect(record.verdict).to.deep.include({ by: 'caller', reason: verdict, sipStatus: status });
      expect(record.dial).to.deep.include({ verdict, finalStatus: status });
      expect(record.answeredAtMs).to.equal(undefined);
      expect(sent(run, 'ACK')).to.have.length(1);
    });
  }

  it('no answer: the ring timeout sends CANCEL after the 180, the 487 is ACKed, verdict no-answer', async () => {
    const { run, outcome, record } = await dialSipp('uas-ring-cancel.xml', { ringTimeoutS: 2 });
    expect(run.code, describeRun(run)).to.equal(0);
    expect(outcome).to.include({ verdict: 'no-answer', finalStatus: 487 });
    expect(outcome.ringMs).to.be.at.least(1500);
    expect(record.verdict).to.deep.include({ by: 'bridge', reason: 'no-answer' });
    const [invite] = sent(run, 'INVITE');
    const [cancel] = sent(run, 'CANCEL');
    expect(cancel, 'a CANCEL').to.not.equal(undefined);
    expect(headerValues(cancel!, 'Via')).to.deep.equal(headerValues(invite!, 'Via'));
    expect(headerValues(cancel!, 'CSeq')[0]).to.match(/^1 CANCEL$/);
    expect(cancel!.startLine.split(' ')[1]).to.equal(invite!.startLine.split(' ')[1]);
    expect(sent(run, 'ACK')).to.have.length(1);
  });

  it('a callee that never sends a 1xx gets no CANCEL: Timer B ends the INVITE, verdict no-answer', async () => {
    const { run, outcome, record } = await dialSipp('uas-no-1xx.xml', { ringTimeoutS: 1 });
    expect(run.code, describeRun(run)).to.equal(0);
    expect(outcome).to.include({ verdict: 'no-answer' });
    expect(outcome.finalStatus).to.equal(undefined);
    expect(sent(run, 'CANCEL')).to.have.length(0);
    expect(sent(run, 'INVITE').length).to.be.greaterThan(1); // Timer A retransmitted it over UDP
    expect(record.verdict).to.deep.include({ by: 'bridge', reason: 'no-answer' });
  });

  it('401 then 200: the INVITE is sent again with the credentials (attempts 2) and the call answered', async () => {
    const { run, outcome, record } = await dialSipp('uas-auth.xml', {
      credentials: { username: 'carrieruser', password: 'carrierpass' },
    });
    expect(run.code, describeRun(run)).to.equal(0);
    expect(outcome).to.include({ verdict: 'answered', attempts: 2 });
    const invites = sent(run, 'INVITE');
    expect(invites).to.have.length(2);
    expect(headerValues(invites[1]!, 'Authorization')[0]).to.match(/^Digest username="carrieruser"/);
    expect(headerValues(invites[1]!, 'CSeq')[0]).to.equal('2 INVITE');
    expect(run.messages.map((m) => m.raw).join('\n')).to.not.include('carrierpass');
    expect(record.dial).to.deep.include({ verdict: 'answered', attempts: 2 });
    expect(record.verdict).to.deep.include({ by: 'caller', reason: 'caller-bye' });
  });

  it('183 early media: the callee is heard from before the answer, the call then answered', async () => {
    const { run, outcome, record } = await dialSipp('uas-early-media.xml', { pauseMs: 1000 });
    expect(run.code, describeRun(run)).to.equal(0);
    expect(outcome).to.include({ verdict: 'answered' });
    // 1.5 s of early media (75 packets) before the 200, about 1 s after it: the packets before the
    // answer count only when the 183's SDP reached media.
    expect(record.media?.packetsReceived ?? 0).to.be.greaterThan(80);
    expect(record.remoteRtp?.address).to.equal('127.0.0.1');
  });

  it('a 200 that crosses our CANCEL is ACKed and then BYEd; the dial ends cancelled', async () => {
    const { run, outcome, record } = await dialSipp('uas-cancel-crossing.xml', { abortAfterRinging: true });
    expect(run.code, describeRun(run)).to.equal(0);
    expect(outcome.verdict).to.equal('cancelled');
    const order = run.messages.filter((m) => m.direction === 'received').map((m) => m.startLine.split(' ')[0]);
    expect(order).to.deep.equal(['INVITE', 'CANCEL', 'ACK', 'BYE']);
    expect(record.verdict).to.deep.include({ by: 'bridge', reason: 'cancelled' });
  });

  it('two forked 2xx: the second fork is ACKed and BYEd, the first fork is the call', async () => {
    const { run, outcome, record } = await dialSipp('uas-fork.xml');
    expect(run.code, describeRun(run)).to.equal(0);
    expect(outcome.verdict).to.equal('answered');
    const acks = sent(run, 'ACK').map((m) => headerValues(m, 'To')[0] ?? '');
    expect(acks.some((to) => /forka/.test(to)) && acks.some((to) => /forkb/.test(to)), acks.join(' | ')).to.equal(true);
    const byes = sent(run, 'BYE');
    expect(byes).to.have.length(1);
    expect(headerValues(byes[0]!, 'To')[0]).to.match(/forkb/);
    expect(record.verdict).to.deep.include({ by: 'caller', reason: 'caller-bye' });
  });

  it('over TCP: answered and hung up by the callee on the same connection', async () => {
    const { run, outcome, record } = await dialSipp('uas-answer.xml', { transport: 'tcp' });
    expect(run.code, describeRun(run)).to.equal(0);
    expect(outcome).to.include({ verdict: 'answered' });
    expect(headerValues(sent(run, 'INVITE')[0]!, 'Via')[0]).to.match(/^SIP\/2\.0\/TCP /);
    expect(record.verdict).to.deep.include({ by: 'caller', reason: 'caller-bye' });
  });
});
