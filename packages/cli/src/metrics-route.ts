import type { Queue } from 'bullmq';
import type { HttpServer } from '@voicebridge/http';
import { NodeMetrics, type Registry } from '@voicebridge/metrics';
import type { BridgeConfig } from '@voicebridge/protocol';
import { defineSupervisorMetrics } from './supervisor-metrics.ts';
import type { ServiceProcess } from './supervisor/service-process.ts';

/**
 * `GET /metrics`: the supervisor's own metrics and every supervised process's, asked over IPC at
 * scrape time (docs/operations.md "Monitoring"). Needs the read or admin token unless METRICS_PUBLIC.
 */
export function addMetricsRoute(
  server: HttpServer,
  options: { config: BridgeConfig; registry: Registry; queue: Queue; processes: readonly ServiceProcess[] },
): void {
  defineSupervisorMetrics(options.registry, { queue: options.queue, processes: options.processes });
  const metrics = new NodeMetrics({ registry: options.registry, sources: () => options.processes });
  server.add({
    method: 'GET',
    path: '/metrics',
    // Prometheus scrapers often cannot send a token: METRICS_PUBLIC opens this route alone.
    realm: options.config.METRICS_PUBLIC ? 'public' : 'read',
    handler: async () => ({ text: await metrics.render(), contentType: metrics.contentType }),
  });
}
