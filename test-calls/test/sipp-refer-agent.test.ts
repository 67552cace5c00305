import { expect } from 'chai';
import { pino } from 'pino';
import { CallConnection, type CallConnectionDelegate } from '@voicebridge/agent';
import type { BridgeConfig, TransferProgressMessage } from '@voicebridge/protocol';
import type { CallRecordRepository } from '@voicebridge/store';
import { startInProcessBridge, type InProcessBridge } from '../src/in-process-bridge.ts';
import { describeRun, runSipp, type SippResult } from '../src/sipp.ts';
import { waitFor } from '../../test/support/wait-for.ts';

const log = pino({ level: 'silent' });
/** This test's agent only transfers: what else media says is of no use to it. */
const quietDelegate: CallConnectionDelegate = {
  onDtmf: () => undefined,
  onHold: () => undefined,
  onMark: () => undefined,
  onSuperseded: () => undefined,
  onStop: () => undefined,
};
const NUMBER = '+15550177';

interface AgentSide {
  progress: TransferProgressMessage[];
  outcome: TransferProgressMessage;
}

/**
 * The agent's `transfer` end to end: a real CallConnection over the Redis audio
 * channel asks media for the transfer, media forwards it to signaling, signaling checks the number's
 * transferTargets and sends REFER to real SIPp (the transferee); the NOTIFY progress comes back to
 * the agent as `transfer-result`s.
 */
describe('agent-requested transfer: CallConnection → media → signaling → REFER to SIPp, result back to the agent', function () {
  this.timeout(90_000);
  let bridge: InProcessBridge;
  let config: BridgeConfig;
  let records: CallRecordRepository;
  let plan: { target: string; afterFailure: 'hangup' | 'stay' } = { target: '', afterFailure: 'stay' };
  let agentSide: Promise<AgentSide>;
  let reportAgentSide: (side: AgentSide) => void = () => undefined;

  before(async () => {
    bridge = await startInProcessBridge({
      log,
      agentConcurrency: 5,
      numbers: [
        {
          number: NUMBER,
          agent: { kind: 'echo' },
          enabled: true,
          transferTargets: ['+15550123', 'sip:*@pbx.example.com'],
        },
      ],
      agent:
        ({ channel }) =>
        async (job) => {
          const abort = new AbortController();
          const connection = new CallConnection({
            callId: job.data.callId,
            channel,
            log,
            delegate: { ...quietDelegate, onStop: () => abort.abort(), onSuperseded: () => abort.abort() },
          });
          const ended = new Promise<void>((resolve) =>
            abort.signal.addEventListener('abort', () => resolve(), { once: true }),
          );
          try {
            await connection.announce();
            await job.updateProgress({ decision: 'accept' });
            await connection.waitForStart(abort.signal);
            const progress: TransferProgressMessage[] = [];
            const outcome = await connection.transfer(plan.target, abort.signal, {
              onProgress: (p) => progress.push(p),
            });
            reportAgentSide({ progress, outcome });
            if (outcome.state === 'failure' && plan.afterFailure === 'hangup') connection.hangup('agent-hangup');
            await ended;
          } finally {
            connection.close();
          }
        },
    });
    ({ config, records } = bridge);
  });

  after(() => bridge.close());

  async function call(
    scenario: string,
    target: string,
    afterFailure: 'hangup' | 'stay',
    extraArgs: string[] = [],
  ): Promise<{ run: SippResult; side: AgentSide; callId: string }> {
    plan = { target, afterFailure };
    agentSide = new Promise((resolve) => (reportAgentSide = resolve));
    const before = new Set((await records.listRecent({ limit: 1000 })).map((r) => r.callId));
    const run = await runSipp({
      scenario,
      target: `127.0.0.1:${config.SIP_PORT}`,
      service: NUMBER,
      extraArgs,
      timeoutMs: 40_000,
    });
    const side = await agentSide;
    const callId = (await records.listRecent({ limit: 1000 })).find((r) => !before.has(r.callId))?.callId ?? '';
    return { run, side, callId };
  }

  async function verdictOf(callId: string): Promise<unknown> {
    await waitFor('the record to end', 10_000, async () => (await records.get(callId))?.status === 'ended');
    return (await records.get(callId))?.verdict;
  }

  for (const transport of [
    { name: 'UDP', args: [] as string[] },
    { name: 'TCP', args: ['-t', 't1'] },
  ]) {
    it(`${transport.name}: an allowed target: SIPp gets the REFER, the agent hears trying then success, the call ends transferred`, async () => {
      const { run, side, callId } = await call('uac-refer.xml', '+15550123', 'stay', transport.args);
      expect(run.code, describeRun(run)).to.equal(0);
      expect(side.outcome).to.deep.include({ state: 'success', status: 200 });
      expect(side.progress.map((p) => `${p.state} ${p.status ?? ''}`)).to.deep.equal([
        'trying 202',
        'trying 100',
        'success 200',
      ]);
      expect(run.messages.some((m) => m.direction === 'received' && m.startLine.startsWith('REFER sip:'))).to.equal(
        true,
      );
      expect(await verdictOf(callId)).to.deep.include({ by: 'bridge', reason: 'transferred' });
    });
  }

  it('the transferee answers NOTIFY 486: the agent is told failure 486 and the call stays up until the caller hangs up', async () => {
    const { run, side, callId } = await call('uac-refer-busy.xml', '+15550123', 'stay');
    expect(run.code, describeRun(run)).to.equal(0);
    expect(side.outcome).to.deep.include({ state: 'failure', status: 486 });
    expect(side.outcome.reason).to.match(/Busy Here/);
    expect(await verdictOf(callId)).to.deep.include({ by: 'caller', reason: 'caller-bye' });
  });

  it('a target not in transferTargets is refused without a REFER; the call stays up until the agent ends it', async () => {
    const { run, side, callId } = await call('uac-wait-bye.xml', '+15559999', 'hangup');
    expect(run.code, describeRun(run)).to.equal(0);
    expect(side.outcome).to.deep.include({ state: 'failure', code: 'VB_TRANSFER_NOT_ALLOWED' });
    expect(side.outcome.reason).to.match(/not allowed for \+15550177/);
    expect(side.progress.every((p) => p.state === 'failure')).to.equal(true);
    expect(run.messages.some((m) => m.startLine.startsWith('REFER '))).to.equal(false);
    expect(await verdictOf(callId)).to.deep.include({ by: 'agent', reason: 'agent-hangup' });
  });
});
