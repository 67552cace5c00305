import { expect } from 'chai';
import { pino } from 'pino';
import { decodeControlJson, encodeControl, FRAME_KIND_CONTROL, type BridgeConfig } from '@voicebridge/protocol';
import type { SignalingService, TransferProgress } from '@voicebridge/signaling';
import type { CallRecordRepository } from '@voicebridge/store';
import { startInProcessBridge, type InProcessBridge } from '../src/in-process-bridge.ts';
import { describeRun, headerValues, runSipp, type SippResult } from '../src/sipp.ts';
import { waitFor } from '../../test/support/wait-for.ts';

const log = pino({ level: 'silent' });
const TRANSPORTS = [
  { name: 'UDP', args: [] as string[] },
  { name: 'TCP', args: ['-t', 't1'] },
];

/**
 * REFER as the transferor (RFC 3515). The transfer API lives in the signaling process, so this test
 * runs signaling, a media worker and an agent (a BullMQ worker speaking the channel protocol) in
 * process, with real SIPp as the transferee.
 */
describe('SIPp as transferee: REFER from signaling, NOTIFY/sipfrag progress (UDP and TCP)', function () {
  this.timeout(90_000);
  let bridge: InProcessBridge;
  let config: BridgeConfig;
  let signaling: SignalingService;
  let records: CallRecordRepository;

  before(async () => {
    bridge = await startInProcessBridge({
      log,
      agentConcurrency: 5,
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
    ({ config, signaling, records } = bridge);
  });

  after(() => bridge.close());

  /** Runs the scenario and, once its call is confirmed, transfers it to +15550123. */
  async function transferDuring(
    scenario: string,
    args: string[],
  ): Promise<{ run: SippResult; progress: TransferProgress[]; outcome: TransferProgress; callId: string }> {
    const before = new Set((await records.listRecent({ limit: 1000 })).map((r) => r.callId));
    const running = runSipp({
      scenario,
      target: `127.0.0.1:${config.SIP_PORT}`,
      service: '+15550199',
      extraArgs: args,
      timeoutMs: 30_000,
    });
    let callId = '';
    await waitFor('the call to be answered', 15_000, async () => {
      const fresh = (await records.listRecent({ limit: 1000 })).find(
        (r) => !before.has(r.callId) && r.status === 'answered',
      );
      callId = fresh?.callId ?? '';
      return callId !== '';
    });
    const progress: TransferProgress[] = [];
    let outcome: TransferProgress | undefined;
    // The ACK may still be on its way: a call that is answered but not confirmed refuses to transfer.
    await waitFor('the transfer to start', 10_000, async () => {
      try {
        outcome = await signaling.calls.transfer(callId, '+15550123', (p) => progress.push(p));
        return true;
      } catch (error) {
        if (/not in a confirmed dialog/.test((error as Error).message)) return false;
        throw error;
      }
    });
    const run = await running;
    return { run, progress, outcome: outcome!, callId };
  }

  async function verdictOf(callId: string): Promise<unknown> {
    await waitFor('the record to end', 10_000, async () => (await records.get(callId))?.status === 'ended');
    return (await records.get(callId))?.verdict;
  }

  for (const transport of TRANSPORTS) {
    it(`${transport.name}: 202, NOTIFY 100 then 200 → success, and the bridge hangs up (verdict transferred)`, async () => {
      const { run, progress, outcome, callId } = await transferDuring('uac-refer.xml', transport.args);
      expect(run.code, describeRun(run)).to.equal(0);
      expect(outcome).to.deep.include({ state: 'success', status: 200 });
      expect(progress.map((p) => `${p.state} ${p.status ?? ''}`)).to.deep.equal([
        'trying 202',
        'trying 100',
        'success 200',
      ]);
      const refer = run.messages.find((m) => m.direction === 'received' && m.startLine.startsWith('REFER '));
      expect(headerValues(refer!, 'Refer-To')[0]).to.match(/^<sip:\+15550123@127\.0\.0\.1(:\d+)?(;[^>]*)?>$/);
      expect(await verdictOf(callId)).to.deep.include({ by: 'bridge', reason: 'transferred' });
    });

    it(`${transport.name}: NOTIFY 486 → failure, the call goes on until the caller hangs up`, async () => {
      const { run, outcome, callId } = await transferDuring('uac-refer-busy.xml', transport.args);
      expect(run.code, describeRun(run)).to.equal(0);
      expect(outcome).to.deep.include({ state: 'failure', status: 486 });
      expect(await verdictOf(callId)).to.deep.include({ by: 'caller', reason: 'caller-bye' });
    });

    it(`${transport.name}: REFER answered 603 → failure, the call goes on`, async () => {
      const { run, outcome, callId } = await transferDuring('uac-refer-declined.xml', transport.args);
      expect(run.code, describeRun(run)).to.equal(0);
      expect(outcome).to.deep.include({ state: 'failure', status: 603 });
      expect(await verdictOf(callId)).to.deep.include({ by: 'caller', reason: 'caller-bye' });
    });
  }

  it('refuses to transfer a call it does not have (VB_CALL_NOT_FOUND)', async () => {
    await signaling.calls.transfer('no-such-call', '+15550123').then(
      () => expect.fail('transfer of an unknown call resolved'),
      (error: Error) => expect(error.message).to.match(/no live call/),
    );
  });
});
