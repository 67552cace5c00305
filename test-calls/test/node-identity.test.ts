import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeIdOf, loadBridgeConfig } from '@voicebridge/protocol';
import { NodeLease, RedisKeys } from '@voicebridge/store';
import { toneWav } from '../src/audio-fixtures.ts';
import { baresipCall } from '../src/baresip.ts';
import { useBridge } from '../src/bridge-fixture.ts';
import { readyPids } from '../src/bridge-processes.ts';
import { callRecords } from '../src/sipp.ts';
import { waitFor } from '../../test/support/wait-for.ts';

/**
 * Node identity (docs/operations.md, "Node identity"; ADR 0013): the real bridge holds its NODE_ID
 * as a Redis lease, and a second `voicebridge start` of the same node on the same prefix is refused
 * before it touches anything, while a real call (baresip) on the first goes on to its end.
 */
describe('node identity: a second start of a running node', function () {
  this.timeout(120_000);
  const bridge = useBridge({ env: { GREETING_DELAY_MS: '200' } });
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vb-node-identity-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("the running node's lease names its signaling process, host and node id", async () => {
    const config = loadBridgeConfig({ SIP_PORT: String(bridge().sipPort) });
    const nodeId = nodeIdOf(config);
    expect(nodeId).to.equal(`127.0.0.1:${bridge().sipPort}@${hostname().replace(/[^A-Za-z0-9_.-]/g, '-')}`);
    // Signaling writes its ready line from its own process (its logger may flush it after telling
    // the supervisor), so it can follow the supervisor's "voicebridge ready", all the fixture waits for.
    const pid = await waitFor('signaling ready in the logs', 10_000, () => readyPids(bridge(), 'signaling')[0], {
      everyMs: 50,
    });
    const holder = await NodeLease.holder(bridge().redis, new RedisKeys(bridge().prefix), nodeId);
    expect(holder).to.include({ host: hostname(), pid });
  });

  it('exits 2 in under 5 s naming pid, host, node id and prefix, while a baresip call on the first goes on and ends caller-bye', async () => {
    const mic = join(dir, 'tone.wav');
    await toneWav(mic, 12, 440, 1);
    const calling = baresipCall({ uri: `sip:+15550199@127.0.0.1:${bridge().sipPort}`, micWav: mic, maxSeconds: 40 });
    const records = callRecords(bridge());
    const callId = await waitFor(
      'the baresip call answered',
      20_000,
      async () => (await records.listLive()).find((r) => r.status === 'answered')?.callId,
      { everyMs: 100 },
    );
    const logLinesBefore = bridge().logs.length;
    const startedAt = performance.now();
    const second = await bridge().cli(['start', '--json-logs']);
    const tookMs = performance.now() - startedAt;
    process.stdout.write(`      second start exited ${second.code} after ${Math.round(tookMs)} ms\n`);
    expect(second.code).to.equal(2);
    expect(tookMs, 'ms until the second start exited').to.be.below(5000);
    const [pid] = readyPids(bridge(), 'signaling');
    const nodeId = `127.0.0.1:${bridge().sipPort}@${hostname().replace(/[^A-Za-z0-9_.-]/g, '-')}`;
    expect(second.stderr).to.equal(
      `voicebridge: another voicebridge (pid ${pid} on host ${hostname()}) holds node id ${nodeId} under prefix ${bridge().prefix}: stop it, or give this one another NODE_ID or REDIS_KEY_PREFIX\n`,
    );
    expect(second.stdout).to.equal('');
    // The first bridge saw nothing of it, and its call is still up.
    expect(bridge().logs.slice(logLinesBefore).join('\n')).to.not.include('bridge-restart');
    expect((await records.get(callId))?.status).to.equal('answered');

    const call = await calling;
    await call.cleanup();
    const record = await waitFor(
      'the call record ended',
      10_000,
      async () => {
        const r = await records.get(callId);
        return r?.status === 'ended' ? r : undefined;
      },
      { everyMs: 100 },
    );
    expect(record.verdict).to.deep.include({ by: 'caller', reason: 'caller-bye' });
    expect(record.nodeId).to.equal(nodeId);
    expect(bridge().child.exitCode).to.equal(null);
  });
});
