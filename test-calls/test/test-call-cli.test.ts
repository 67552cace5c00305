import { expect } from 'chai';
import { createSocket, type Socket } from 'node:dgram';
import { startBridge, type RunningBridge } from '../src/bridge-harness.ts';

/**
 * `voicebridge test-call`: the real CLI subprocess calls the real bridge (all three processes) with
 * its own SIP and RTP, and prints what the scripted demo agent said, read from the call record.
 */
describe('voicebridge test-call', function () {
  this.timeout(180_000);
  let bridge: RunningBridge;

  before(async () => {
    bridge = await startBridge({ env: { GREETING_DELAY_MS: '200', STT_POOL_SIZE: '2' } });
  });
  after(async () => {
    await bridge?.stop();
  });

  it('calls the demo number, says the question, and prints the greeting, the answer and the turn latency', async () => {
    // No --target: the CLI finds the bridge from the same SIP_* settings `voicebridge start` read.
    const run = await bridge.cli(['test-call', '+15550100', '--say', 'what are your opening hours', '--seconds', '40']);
    expect(run.code, `${run.stdout}\n${run.stderr}`).to.equal(0);
    expect(run.stderr)
      .to.match(/answered/)
      .and.to.match(/heard the greeting/)
      .and.to.match(/speaking the question/);
    expect(run.stdout).to.include('agent: Hello, this is the voice bridge demo.');
    // The demo's hours answer (demo-numbers.ts): the bridge recognised our flite audio as the question.
    expect(run.stdout).to.include('agent: We are open from nine in the morning to five in the evening');
    expect(run.stdout).to.match(/turn 1: answered in \d+ ms/);
  });

  it('--json prints one object with what the agent said and the turn latency', async () => {
    const run = await bridge.cli(['test-call', '+15550100', '--json', '--seconds', '40']);
    expect(run.code, run.stderr).to.equal(0);
    const out = JSON.parse(run.stdout) as { ok: boolean; agentSaid: string[]; turns: { latencyMs?: number }[] };
    expect(out.ok).to.equal(true);
    expect(out.agentSaid.length).to.be.greaterThan(1);
    expect(out.turns[0]?.latencyMs).to.be.a('number');
  });

  it('bad flags exit 2 naming the flag', async () => {
    for (const [args, flag] of [
      [['test-call', '+15550100', '--seconds', 'ten'], '--seconds'],
      [['test-call', '+15550100', '--target', 'nowhere'], '--target'],
      [['test-call', '+15550100', '--say', 'a', '--wav', 'b.wav'], '--wav'],
      [['test-call', 'not-a-number'], '<number>'],
      [['test-call', '+15550100', '--bogus'], '--bogus'],
    ] as const) {
      const run = await bridge.cli([...args]);
      expect(run.code, args.join(' ')).to.equal(2);
      expect(run.stderr).to.include(flag);
    }
  });

  it('a target that never answers is a clear error, exit 1, within the INVITE timeout', async () => {
    // A bound socket that reads nothing: our INVITE gets no response at all (Timer B).
    const silent: Socket = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    try {
      const started = Date.now();
      const run = await bridge.cli(['test-call', '+15550100', '--target', `127.0.0.1:${silent.address().port}`]);
      expect(run.code).to.equal(1);
      expect(run.stderr).to.match(/no answer from 127\.0\.0\.1:\d+/);
      expect(Date.now() - started).to.be.below(120_000);
    } finally {
      silent.close();
    }
  });
});
