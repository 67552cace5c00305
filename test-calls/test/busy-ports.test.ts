import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { expect } from 'chai';
import { REPO_ROOT } from '../src/bridge-harness.ts';
import { useBridge } from '../src/bridge-fixture.ts';
import { freePort } from '../../test/support/free-port.ts';

/** What an operator sees: no stack trace, no ioredis noise; one line per problem. */
function expectNoStack(text: string): void {
  expect(text).to.not.match(/^\s+at /m);
  expect(text).to.not.include('EADDRINUSE');
}

describe('busy fixed ports: a clear line and exit 2, never a retry loop', function () {
  this.timeout(90_000);
  const bridge = useBridge();

  it('a second voicebridge start with the same ports (under another node id) exits 2 at once naming SIP_PORT, MEDIA_CONTROL_PORT and HTTP_PORT, and the first bridge goes on', async () => {
    const logLinesBefore = bridge().logs.length;
    // Its own node id: with the first's, the node lease refuses it before the ports (node-identity.test.ts).
    const second = await bridge().cli(['start', '--json-logs'], { NODE_ID: 'busy-ports-second' });
    expect(second.code).to.equal(2);
    const lines = second.stderr.trimEnd().split('\n');
    const sip = bridge().sipPort;
    expect(lines).to.include.members([
      `voicebridge: SIP (UDP) port UDP 127.0.0.1:${sip} is in use (another voicebridge, or another program): set SIP_PORT to a free port`,
      `voicebridge: SIP (TCP) port TCP 127.0.0.1:${sip} is in use (another voicebridge, or another program): set SIP_PORT to a free port`,
      `voicebridge: media control port TCP 127.0.0.1:${bridge().controlPort} is in use (another voicebridge, or another program): set MEDIA_CONTROL_PORT to a free port`,
      `voicebridge: HTTP port TCP 127.0.0.1:${bridge().httpPort} is in use (another voicebridge, or another program): set HTTP_PORT to a free port`,
    ]);
    expect(lines).to.have.length(4);
    expect(second.stdout).to.equal('');
    expectNoStack(second.stderr);
    // It touched nothing: the first bridge logged nothing about it and is still running.
    expect(bridge().logs.slice(logLinesBefore).join('\n')).to.not.include('bridge-restart');
    expect(bridge().child.exitCode).to.equal(null);
  });

  it('a service whose port was taken after the check says so in one line and exits 2 (the supervisor does not restart it)', async () => {
    const port = await freePort('tcp');
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'packages/media/src/main.ts'], {
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          MEDIA_CONTROL_PORT: String(port),
          MEDIA_WORKERS: '1',
          REDIS_KEY_PREFIX: `vbtest:busy-${port}`,
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      let stdout = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).to.equal(2);
      expect(stderr).to.equal(
        `voicebridge media: media control port TCP 127.0.0.1:${port} is in use (another voicebridge, or another program): set MEDIA_CONTROL_PORT to a free port\n`,
      );
      expectNoStack(stdout);
    } finally {
      holder.close();
    }
  });
});
