import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RegistrationStatus } from '@voicebridge/protocol';
import { TrunkStatusRepository, RedisKeys } from '@voicebridge/store';
import { startBridge, type RunningBridge } from '../src/bridge-harness.ts';
import { freePort, portIsFree } from '../../test/support/free-port.ts';
import { waitFor } from '../../test/support/wait-for.ts';
import { assertBridgeIdle, callRecords, describeRun, endedRecord, runSipp, SCENARIOS_DIR } from '../src/sipp.ts';

/** SIPp as the carrier's registrar on a fixed port, until killed; its message trace is kept. */
async function startRegistrar(
  port: number,
  dir: string,
  generation: number,
): Promise<{ child: ChildProcess; trace: string; stop(): Promise<void> }> {
  const trace = join(dir, `registrar-${generation}.log`);
  const child = spawn(
    'sipp',
    [
      '-sf',
      join(SCENARIOS_DIR, 'uas-registrar.xml'),
      '-i',
      '127.0.0.1',
      '-p',
      String(port),
      '-nostdin',
      '-trace_msg',
      '-message_file',
      trace,
    ],
    {
      stdio: 'ignore',
    },
  );
  await waitFor('SIPp bound its port', 5000, async () => !(await portIsFree(port, 'udp')));
  return {
    child,
    trace,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

describe('outbound registration to a real registrar (SIPp UAS)', function () {
  this.timeout(180_000);
  let bridge: RunningBridge;
  let registrarPort: number;
  let dir: string;
  const registrars: { stop(): Promise<void> }[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vb-registrar-'));
    registrarPort = await freePort('udp');
    // No source is trusted: the call below is admitted only because it reaches the registered contact.
    bridge = await startBridge({ env: { SIP_ALLOWED_CIDRS: 'none', SIP_T1_MS: '100', SIP_REGISTER_KEEPALIVE_S: '5' } });
  });
  after(async () => {
    await bridge?.stop();
    for (const registrar of registrars) await registrar.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('registers with digest, refreshes, survives a registrar restart, shows it in trunks list, and takes a call to the contact', async () => {
    const status = new TrunkStatusRepository(bridge.redis, new RedisKeys(bridge.prefix));
    const first = await startRegistrar(registrarPort, dir, 1);
    registrars.push(first);
    const added = await bridge.cli([
      'trunks',
      'add',
      'reg-carrier',
      '--register-registrar',
      `sip:127.0.0.1:${registrarPort}`,
      '--register-username',
      'reguser',
      '--register-password',
      'regpass',
      '--register-expires',
      '120',
      '--default-number',
      '+15550199',
    ]);
    expect(added.code, added.stderr).to.equal(0);

    // Registered, then refreshed: the registrar grants 4 s, so a refresh comes every ~2.4 s.
    const seen: RegistrationStatus[] = [];
    const watch = async (count: number, timeoutMs: number): Promise<void> => {
      const start = seen.filter((s) => s.state === 'registered').length;
      await waitFor(`${count} more registrations`, timeoutMs, async () => {
        const now = await status.get('reg-carrier');
        if (now !== undefined && (seen.length === 0 || JSON.stringify(seen[seen.length - 1]) !== JSON.stringify(now)))
          seen.push(now);
        const registered = new Set(seen.filter((s) => s.state === 'registered').map((s) => s.expiresAtMs)).size;
        return registered - start >= count ? true : undefined;
      });
    };
    await watch(3, 60_000);
    expect(
      seen.some((s) => s.state === 'failed'),
      JSON.stringify(seen),
    ).to.equal(false);
    const trace = await readFile(first.trace, 'latin1');
    expect(trace).to.match(/Authorization: Digest username="reguser", realm="registrar.test"/);
    expect(trace).to.not.include('regpass');

    // trunks list shows it (the password masked).
    const list = await bridge.cli(['trunks', 'list']);
    expect(list.stdout).to.match(/reg-carrier.*registered \(expires in \d+ s\)/);
    expect(list.stdout).to.not.include('regpass');

    // The registrar restarts on the same port: the next refresh reaches the new one.
    await first.stop();
    const second = await startRegistrar(registrarPort, dir, 2);
    registrars.push(second);
    await waitFor('a registration with the restarted registrar', 60_000, async () => {
      const text = await readFile(second.trace, 'latin1').catch(() => '');
      return /SIP\/2\.0 200 OK[\s\S]*CSeq: \d+ REGISTER/.test(text) ? true : undefined;
    });
    const after = await waitFor('registered again', 30_000, async () => {
      const now = await status.get('reg-carrier');
      return now?.state === 'registered' ? now : undefined;
    });
    expect(after.resolved).to.equal(`127.0.0.1:${registrarPort}/udp`);

    // The carrier delivers a call to our registered contact: it is the trunk's call and is answered.
    const run = await runSipp({
      scenario: 'uac-answer-bye.xml',
      target: `127.0.0.1:${bridge.sipPort}`,
      service: 'reguser',
      pauseMs: 500,
      timeoutMs: 30_000,
    });
    expect(run.code, describeRun(run)).to.equal(0);
    const record = await endedRecord(bridge, run.sipCallIds[0]!);
    expect(record.trunk).to.equal('reg-carrier');
    expect(record.verdict).to.deep.include({ by: 'caller', reason: 'caller-bye' });
    // A call to another user from the same source matches no trunk and never rings.
    const stranger = await runSipp({
      scenario: 'uac-answer-bye.xml',
      target: `127.0.0.1:${bridge.sipPort}`,
      service: '+15550199',
      timeoutMs: 6000,
    });
    expect(stranger.code).to.not.equal(0);
    expect(await callRecords(bridge).findBySipCallId(stranger.sipCallIds[0]!)).to.equal(undefined);
  });

  it('leaves no live call, no unfinished job, no key without TTL and no RTP port bound', async () => {
    await assertBridgeIdle(bridge);
  });
});
