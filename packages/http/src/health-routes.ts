import type { HttpServer } from './http-server.ts';
import type { Readiness } from './readiness.ts';

/**
 * `/healthz`: the process answers (liveness). `/readyz`: the node can take calls now (a load
 * balancer's check): 200, or 503 with the failing checks named in the body. Both are public.
 */
export function addHealthRoutes(server: HttpServer, readiness: Readiness): void {
  server.add({ method: 'GET', path: '/healthz', realm: 'public', handler: () => ({ json: { status: 'ok' } }) });
  server.add({
    method: 'GET',
    path: '/readyz',
    realm: 'public',
    handler: () => {
      const report = readiness.report();
      const failing = Object.entries(report.checks)
        .filter(([, state]) => !state.ok)
        .map(([name]) => name);
      return {
        status: report.ready ? 200 : 503,
        json: { status: report.ready ? 'ready' : 'not-ready', failing, checks: report.checks },
      };
    },
  });
}
