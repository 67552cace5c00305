import type { Registry } from 'prom-client';
import { isMetricFamilyList, type MetricFamily } from './metric-family.ts';

/** The supervisor asks a child for its metrics (over the fork IPC channel). */
export interface MetricsRequest {
  type: 'metrics-request';
  id: number;
}

/** The child's answer: its registry as JSON, or why it could not give it. */
export interface MetricsReply {
  type: 'metrics-reply';
  id: number;
  metrics?: MetricFamily[];
  error?: string;
}

/** The side of an IPC channel a child sees: `process` itself in a forked service. */
export interface IpcPort {
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
  send?: ((message: unknown) => boolean) | undefined;
}

function isRequest(message: unknown): message is MetricsRequest {
  const m = message as Partial<MetricsRequest> | null;
  return typeof m === 'object' && m !== null && m.type === 'metrics-request' && Number.isSafeInteger(m.id);
}

/**
 * Answers the supervisor's metrics requests from `registry` until the returned function is called.
 * A process not run by a supervisor (no IPC channel) never gets a request.
 */
export function answerMetricsRequests(registry: Registry, port: IpcPort): () => void {
  const listener = (message: unknown): void => {
    if (!isRequest(message)) return;
    registry.getMetricsAsJSON().then(
      (json) => {
        const metrics = json as unknown as MetricFamily[];
        port.send?.({ type: 'metrics-reply', id: message.id, metrics } satisfies MetricsReply);
      },
      (error: unknown) =>
        port.send?.({ type: 'metrics-reply', id: message.id, error: String(error) } satisfies MetricsReply),
    );
  };
  port.on('message', listener);
  return () => void port.off('message', listener);
}

interface Pending {
  resolve: (metrics: MetricFamily[]) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * The supervisor's end for one child process: numbered requests, each answered by the reply with its
 * id, failed after a timeout, and all failed when the child goes (`close`).
 */
export class MetricsRequester {
  readonly #send: (message: MetricsRequest) => boolean;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #closed = false;

  constructor(send: (message: MetricsRequest) => boolean) {
    this.#send = send;
  }

  request(timeoutMs: number): Promise<MetricFamily[]> {
    if (this.#closed) return Promise.reject(new Error('process gone'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`no metrics within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      let sent = false;
      try {
        sent = this.#send({ type: 'metrics-request', id });
      } catch {
        // A channel closing under us: the same as not sent.
      }
      if (!sent) this.#settle(id, new Error('IPC channel closed'));
    });
  }

  /** A message from the child: true when it was a metrics reply (consumed here). */
  handle(message: unknown): boolean {
    const m = message as Partial<MetricsReply> | null;
    if (typeof m !== 'object' || m === null || m.type !== 'metrics-reply' || typeof m.id !== 'number') return false;
    if (m.error !== undefined) this.#settle(m.id, new Error(`child failed to collect: ${m.error}`));
    else if (!isMetricFamilyList(m.metrics)) this.#settle(m.id, new Error('malformed metrics reply'));
    else this.#settle(m.id, m.metrics);
    return true;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const id of [...this.#pending.keys()]) this.#settle(id, new Error('process gone'));
  }

  #settle(id: number, outcome: MetricFamily[] | Error): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    if (outcome instanceof Error) pending.reject(outcome);
    else pending.resolve(outcome);
  }
}
