import { collectDefaultMetrics, Registry } from 'prom-client';

export interface ProcessRegistryOptions {
  /**
   * Node's own figures (event-loop lag, GC pauses by kind, heap, CPU, descriptors). Default true;
   * off where a benchmark measures the cost of our metrics alone.
   */
  runtimeMetrics?: boolean;
}

/**
 * The one metrics registry of a process, made by its main and injected into whatever observes
 * (never prom-client's global registry: two registries in one process would hide each other's names).
 */
export function createProcessRegistry(options: ProcessRegistryOptions = {}): Registry {
  const registry = new Registry();
  // 20 ms: the event-loop delay histogram samples at this resolution, and media's pacing cares below 10 ms
  // only through its own lateness histogram.
  if (options.runtimeMetrics ?? true) collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  return registry;
}
