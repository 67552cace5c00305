/**
 * One metric as `Registry.getMetricsAsJSON()` gives it, the shape that crosses the supervisor's IPC.
 * prom-client's typings call `type` an enum; at run time it is the exposition format's word.
 */
export interface MetricFamily {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary';
  aggregator: string;
  values: MetricSample[];
}

export interface MetricSample {
  value: number;
  labels: Record<string, string | number>;
  /** For histograms: the series within the family (`x_bucket`, `x_sum`, `x_count`). */
  metricName?: string;
}

const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary']);

/**
 * Checks a child's reply at the receiving edge: anything else is refused, never rendered. A value
 * of null is NaN that went through JSON (a gauge with no data yet): it is turned back into NaN.
 */
export function isMetricFamilyList(value: unknown): value is MetricFamily[] {
  const ok =
    Array.isArray(value) &&
    value.every((family: unknown) => {
      if (typeof family !== 'object' || family === null) return false;
      const f = family as Record<string, unknown>;
      return (
        typeof f.name === 'string' &&
        typeof f.help === 'string' &&
        TYPES.has(f.type as string) &&
        Array.isArray(f.values) &&
        f.values.every((sample: unknown) => {
          const s = sample as Record<string, unknown> | null;
          return (
            typeof s === 'object' &&
            s !== null &&
            (typeof s.value === 'number' || s.value === null) &&
            typeof s.labels === 'object' &&
            s.labels !== null &&
            (s.metricName === undefined || typeof s.metricName === 'string')
          );
        })
      );
    });
  if (!ok) return false;
  for (const family of value as MetricFamily[]) {
    for (const sample of family.values) if (sample.value === null) sample.value = Number.NaN;
  }
  return true;
}
