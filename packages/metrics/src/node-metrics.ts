import { AggregatorRegistry, type Registry } from 'prom-client';
import type { MetricFamily } from './metric-family.ts';

/** One process whose metrics the node serves (a supervised child). */
export interface MetricsSource {
  /** Its name in the merged logs, and its `process` label (`media-2`). */
  readonly name: string;
  /** Which run of it this is (its pid): a new value means it restarted. Undefined while down. */
  readonly incarnation: number | undefined;
  requestMetrics(timeoutMs: number): Promise<MetricFamily[]>;
}

export interface NodeMetricsOptions {
  /** The serving process's own registry, labelled `process="<ownName>"`. */
  registry: Registry;
  ownName?: string;
  /** The processes to ask, read at every scrape (the set is fixed, their pids are not). */
  sources: () => readonly MetricsSource[];
  /** A process that has not answered in this long is reported down for this scrape. Default 2 s. */
  timeoutMs?: number;
}

interface Carried {
  incarnation: number;
  /** Counters and histograms of earlier runs of this process, summed. */
  earlier: MetricFamily[];
  /** The last answer of the current run (added to `earlier` when the process restarts). */
  last: MetricFamily[];
}

const UP_HELP = 'Whether the process answered this scrape (1) or not (0: not running, restarting or too slow)';

/**
 * The node's `/metrics`: every process's registry, asked over IPC at scrape time, merged into one
 * exposition. Each sample gets the label `process`, so processes never sum into each other (a gauge
 * such as event-loop lag stays per process, and a rate per process stays computable). Across a
 * restart, a process's counters and histograms continue from what its earlier runs last reported
 * (summed, as prom-client's AggregatorRegistry sums workers), so a crash does not read as a reset to
 * Prometheus; its gauges start afresh. What a run counted after its last scrape is lost with it.
 */
export class NodeMetrics {
  readonly #options: NodeMetricsOptions;
  readonly #carried = new Map<string, Carried>();

  constructor(options: NodeMetricsOptions) {
    this.#options = options;
  }

  get contentType(): string {
    return this.#options.registry.contentType;
  }

  /** The merged exposition, in Prometheus text format. */
  async render(): Promise<string> {
    const timeoutMs = this.#options.timeoutMs ?? 2000;
    const sources = this.#options.sources();
    const answers = await Promise.all(
      sources.map(async (source) => {
        const incarnation = source.incarnation;
        if (incarnation === undefined) return undefined;
        try {
          return { incarnation, families: await source.requestMetrics(timeoutMs) };
        } catch {
          return undefined;
        }
      }),
    );
    const parts: MetricFamily[][] = [];
    const own = (await this.#options.registry.getMetricsAsJSON()) as unknown as MetricFamily[];
    parts.push(labelled(own, this.#options.ownName ?? 'supervisor'));
    const up: MetricFamily = {
      name: 'voicebridge_process_up',
      help: UP_HELP,
      type: 'gauge',
      aggregator: 'sum',
      values: [],
    };
    for (const [i, source] of sources.entries()) {
      const answer = answers[i];
      up.values.push({ labels: { process: source.name }, value: answer === undefined ? 0 : 1 });
      const carried = this.#carried.get(source.name);
      if (answer === undefined) {
        // What it counted up to its last answer still stands while it is away.
        if (carried !== undefined) parts.push(carried.earlier, carried.last);
        continue;
      }
      const current = labelled(answer.families, source.name);
      parts.push(current);
      const cumulative = current.filter((f) => f.type === 'counter' || f.type === 'histogram');
      if (carried === undefined) {
        this.#carried.set(source.name, { incarnation: answer.incarnation, earlier: [], last: cumulative });
        continue;
      }
      if (carried.incarnation !== answer.incarnation) {
        carried.earlier = await merged([carried.earlier, carried.last]);
        carried.incarnation = answer.incarnation;
      }
      carried.last = cumulative;
      parts.push(carried.earlier);
    }
    parts.push([up]);
    return AggregatorRegistry.aggregate(parts).metrics();
  }
}

/**
 * Every sample with `process` set, and every family summed on merge: after labelling, samples that
 * meet are one process's earlier and current runs of a counter or histogram, the one case to sum.
 * (prom-client's own aggregators would average or drop some of its default gauges across workers.)
 */
function labelled(families: MetricFamily[], process: string): MetricFamily[] {
  return families.map((family) => ({
    ...family,
    aggregator: 'sum',
    values: family.values.map((sample) => ({ ...sample, labels: { ...sample.labels, process } })),
  }));
}

async function merged(parts: MetricFamily[][]): Promise<MetricFamily[]> {
  return (await AggregatorRegistry.aggregate(parts).getMetricsAsJSON()) as unknown as MetricFamily[];
}
