export { createProcessRegistry, type ProcessRegistryOptions } from './process-registry.ts';
export { isMetricFamilyList, type MetricFamily, type MetricSample } from './metric-family.ts';
export {
  answerMetricsRequests,
  MetricsRequester,
  type IpcPort,
  type MetricsReply,
  type MetricsRequest,
} from './metrics-ipc.ts';
export { NodeMetrics, type MetricsSource, type NodeMetricsOptions } from './node-metrics.ts';
// The metric classes services define theirs with, so no package depends on prom-client directly.
export { Counter, Gauge, Histogram, Registry, exponentialBuckets, linearBuckets } from 'prom-client';
