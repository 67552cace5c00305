import { expect } from 'chai';
import { waitFor } from '../../test/support/wait-for.ts';
import { useBridge } from '../src/bridge-fixture.ts';
import { readyPids } from '../src/bridge-processes.ts';

interface ReadyBody {
  status: 'ready' | 'not-ready';
  failing: string[];
  checks: Record<string, { ok: boolean; detail?: string }>;
}

/**
 * The node's HTTP server as a load balancer and an operator see it, on the real bridge
 * (`voicebridge start`). HTTP_READY_FAIL_AFTER_MS=0 makes a failure count at once, so the tests see
 * the media worker's restart window without waiting out the default grace period.
 */
describe('HTTP health and readiness on the running bridge', function () {
  this.timeout(90_000);
  const bridge = useBridge({ env: { HTTP_READY_FAIL_AFTER_MS: '0', ADMIN_TOKEN: 'admin-token-0123456789abcdef' } });
  const url = (path: string): string => `http://127.0.0.1:${bridge().httpPort}${path}`;
  const readyz = async (): Promise<{ status: number; body: ReadyBody }> => {
    const response = await fetch(url('/readyz'));
    return { status: response.status, body: (await response.json()) as ReadyBody };
  };

  it('/healthz answers 200, and /readyz 200 from the moment the node prints that it is ready', async () => {
    // The first probe, with no wait: the supervisor ran a round of checks before its ready line.
    const ready = await readyz();
    expect(ready.status, JSON.stringify(ready.body)).to.equal(200);
    const health = await fetch(url('/healthz'));
    expect(health.status).to.equal(200);
    expect(await health.json()).to.deep.equal({ status: 'ok' });
    expect(ready.body.status).to.equal('ready');
    expect(ready.body.failing).to.deep.equal([]);
    expect(Object.keys(ready.body.checks).sort()).to.deep.equal([
      'agents',
      'draining',
      'media-workers',
      'redis',
      'signaling',
    ]);
  });

  it('anything but health needs a token: no 200 without one', async () => {
    const response = await fetch(url('/api/v1/anything'), { method: 'POST' });
    expect(response.status).to.be.oneOf([401, 404]);
    expect(response.status).to.not.equal(200);
  });

  it('/readyz is 503 naming media-workers while a media worker is down, and 200 again once it is back', async () => {
    const [pid] = readyPids(bridge(), 'media');
    expect(pid).to.be.a('number');
    process.kill(pid as number, 'SIGKILL');
    const down = await waitFor(
      '/readyz 503',
      15_000,
      async () => {
        const r = await readyz();
        return r.status === 503 ? r : undefined;
      },
      { everyMs: 20 },
    );
    expect(down.body.failing).to.include('media-workers');
    expect(down.body.checks['media-workers']?.detail).to.match(/^not running: media/);
    await waitFor('/readyz 200 after the restart', 30_000, async () => (await readyz()).status === 200, {
      everyMs: 100,
    });
  });

  it('/readyz is 503 naming draining as soon as the bridge is told to stop', async () => {
    bridge().child.kill('SIGTERM');
    const draining = await waitFor(
      '/readyz 503 draining',
      10_000,
      async () => {
        const r = await readyz();
        return r.status === 503 ? r : undefined;
      },
      { everyMs: 10 },
    );
    expect(draining.body.failing).to.include('draining');
    expect(draining.body.checks['draining']).to.deep.equal({ ok: false, detail: 'shutting down' });
  });
});
