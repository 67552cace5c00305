import { expect } from 'chai';
import { useBridge } from '../src/bridge-fixture.ts';
import type { RunningBridge } from '../src/bridge-harness.ts';
import { assertBridgeIdle, describeRun, headerValues, runSipp, statusOf } from '../src/sipp.ts';

describe('SIPp: OPTIONS out of dialog (uac-options.xml)', function () {
  this.timeout(60_000);
  const bridge = useBridge();

  it('answers 200 with Allow listing INVITE and Accept naming application/sdp', async () => {
    const run = await runSipp({
      scenario: 'uac-options.xml',
      target: `127.0.0.1:${bridge().sipPort}`,
      service: '+15550199',
      timeoutMs: 10_000,
    });
    expect(run.code, describeRun(run)).to.equal(0);
    const ok = run.messages.find((m) => m.direction === 'received' && statusOf(m) === 200);
    expect(headerValues(ok!, 'Allow').join(',')).to.match(/\bINVITE\b/);
    expect(headerValues(ok!, 'Accept').join(',')).to.include('application/sdp');
  });

  it('creates no call record for an OPTIONS, and leaves nothing behind', async () => {
    expect(await callCount(bridge())).to.equal(0);
    await assertBridgeIdle(bridge());
  });
});

async function callCount(bridge: RunningBridge): Promise<number> {
  return (await bridge.redis.zcard(`${bridge.prefix}:calls:recent`)) ?? 0;
}
