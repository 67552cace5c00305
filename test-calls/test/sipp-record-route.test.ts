import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { startBridge, type RunningBridge } from '../src/bridge-harness.ts';
import { cseqMethod, describeRun, headerValues, runSipp, statusOf, type SippMessage } from '../src/sipp.ts';
import { waitFor } from '../../test/support/wait-for.ts';

/**
 * A call through two record-routing proxies (both are SIPp itself), which the bridge ends with a
 * BYE of its own when it shuts down: SIGTERM → signaling refuses new calls and waits
 * DRAIN_TIMEOUT_MS (2 s in the harness) → BYE with verdict `drain`. The bridge is this file's
 * alone, since stopping it is the test. Its keys are gone after stop(), so the verdict is read
 * from its log.
 */
describe('SIPp: Record-Route and the route set of our BYE (uac-record-route.xml)', function () {
  this.timeout(90_000);
  let bridge: RunningBridge;
  const ackfile = join(tmpdir(), `vb-sipp-acked-${randomBytes(4).toString('hex')}`);

  before(async () => {
    bridge = await startBridge();
  });
  after(async () => {
    await bridge?.stop();
    await rm(ackfile, { force: true });
  });

  it('copies both Record-Route headers into the 200 in order, and its drain BYE follows that route set to our Contact', async () => {
    const running = runSipp({
      scenario: 'uac-record-route.xml',
      target: `127.0.0.1:${bridge.sipPort}`,
      service: '+15550199',
      vars: { ackfile },
      timeoutMs: 40_000,
    });
    // SIPp touches the file right after its ACK: the call is confirmed, now stop the bridge.
    await waitFor('SIPp to ACK the 200', 20_000, () => existsSync(ackfile));
    const stopping = bridge.stop();
    const run = await running;
    await stopping;
    expect(run.code, describeRun(run)).to.equal(0);

    const invite = find(run.messages, 'sent', (m) => m.startLine.startsWith('INVITE '));
    const ok = find(run.messages, 'received', (m) => statusOf(m) === 200 && cseqMethod(m) === 'INVITE');
    const bye = find(run.messages, 'received', (m) => m.startLine.startsWith('BYE '));
    const recordRoutes = headerValues(invite, 'Record-Route');
    expect(recordRoutes).to.have.length(2);
    // RFC 3261 §12.1.1: the UAS copies every Record-Route into the 2xx, in order.
    expect(headerValues(ok, 'Record-Route')).to.deep.equal(recordRoutes);
    // §12.2.1.1 (loose routing, first route has ;lr): Request-URI = remote target (the INVITE's
    // Contact), Route = the route set in order.
    const contact = /<([^>]+)>/.exec(headerValues(invite, 'Contact')[0] ?? '')?.[1];
    expect(bye.startLine).to.equal(`BYE ${contact} SIP/2.0`);
    expect(headerValues(bye, 'Route')).to.deep.equal(recordRoutes);

    const ended = bridge.logs.find((line) => line.includes('"call ended"') && line.includes(run.sipCallIds[0]!));
    expect(ended, 'a "call ended" log line for the call').to.not.equal(undefined);
    expect(JSON.parse(ended!).verdict).to.deep.include({ by: 'bridge', reason: 'drain' });
  });
});

function find(
  messages: SippMessage[],
  direction: SippMessage['direction'],
  match: (m: SippMessage) => boolean,
): SippMessage {
  const found = messages.find((m) => m.direction === direction && match(m));
  if (!found)
    throw new Error(
      `no such ${direction} message in:\n${messages.map((m) => `${m.direction} ${m.startLine}`).join('\n')}`,
    );
  return found;
}
