import { expect } from 'chai';
import { useBridge } from '../src/bridge-fixture.ts';
import { describeRun, endedRecord, runSipp } from '../src/sipp.ts';

const READ = 'read-token-0123456789abcdef';

/** One SIPp call (uac-answer-bye.xml) to the demo number; its record once ended. */
async function placeCall(bridge: ReturnType<ReturnType<typeof useBridge>>): Promise<string> {
  const run = await runSipp({
    scenario: 'uac-answer-bye.xml',
    target: `127.0.0.1:${bridge.sipPort}`,
    service: '+15550199',
    pauseMs: 500,
    timeoutMs: 20_000,
  });
  expect(run.code, describeRun(run)).to.equal(0);
  return (await endedRecord(bridge, run.sipCallIds[0]!)).callId;
}

/** Each ladder line's arrow and request or status line: `<- INVITE`, `-> 100`, … */
function ladder(stdout: string): { atS: number; step: string }[] {
  return stdout
    .split('\n')
    .map((line) => /^\s*\+(\d+\.\d{3})s {2}(<-|->) \S+\s+udp {2}(?:SIP\/2\.0 (\d{3})|([A-Z]+) )/.exec(line))
    .filter((m) => m !== null)
    .map((m) => ({ atS: Number(m[1]), step: `${m[2]} ${m[3] ?? m[4]}` }));
}

describe('SIP trace per call (SIP_TRACE, on by default)', function () {
  this.timeout(90_000);
  const bridge = useBridge({ env: { READ_TOKEN: READ } });

  it('calls trace of a SIPp call shows INVITE, 100, 180, 200, ACK, BYE, 200 in order with times; the API serves it', async () => {
    const callId = await placeCall(bridge());
    const out = await bridge().cli(['calls', 'trace', callId]);
    expect(out.code, out.stderr).to.equal(0);
    const steps = ladder(out.stdout);
    const wanted = ['<- INVITE', '-> 100', '-> 180', '-> 200', '<- ACK', '<- BYE', '-> 200'];
    // In order; a retransmission (a 200 resent before the ACK came) may sit between two of them.
    let at = 0;
    for (const step of wanted) {
      const found = steps.findIndex((s, i) => i >= at && s.step === step);
      expect(found, `${step} after step ${at} in\n${out.stdout}`).to.be.at.least(0);
      at = found + 1;
    }
    expect(steps[0]?.atS).to.equal(0);
    for (let i = 1; i < steps.length; i++) expect(steps[i]!.atS).to.be.at.least(steps[i - 1]!.atS);
    expect(out.stdout).to.match(/^call c[0-9a-z]+, first message \d{4}-\d{2}-\d{2}T/);

    const full = await bridge().cli(['calls', 'trace', callId, '--full']);
    expect(full.stdout).to.match(/^ +m=audio \d+ RTP\/AVP/m);

    const response = await fetch(`http://127.0.0.1:${bridge().httpPort}/api/v1/calls/${callId}`, {
      headers: { authorization: `Bearer ${READ}` },
    });
    const body = (await response.json()) as { sipTrace: { direction: string; firstLine: string }[] };
    expect(body.sipTrace[0]).to.deep.include({ direction: 'in' });
    expect(body.sipTrace[0]?.firstLine).to.match(/^INVITE sip:\+15550199@/);
    expect(body.sipTrace.length).to.equal(steps.length);
    const ttl = await bridge().redis.ttl(`${bridge().prefix}:call:${callId}:sip`);
    expect(ttl).to.be.greaterThan(0);
  });
});

describe('SIP trace opted out (SIP_TRACE=false)', function () {
  this.timeout(90_000);
  const bridge = useBridge({ env: { SIP_TRACE: 'false' } });

  it('keeps no SIP message of a call, and calls trace says so', async () => {
    const callId = await placeCall(bridge());
    expect(await bridge().redis.exists(`${bridge().prefix}:call:${callId}:sip`)).to.equal(0);
    const out = await bridge().cli(['calls', 'trace', callId]);
    expect(out.code).to.equal(0);
    expect(out.stdout).to.include('no SIP messages kept (SIP_TRACE=false');
  });
});
