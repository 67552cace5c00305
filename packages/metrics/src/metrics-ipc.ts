import type { Registry } from 'prom-client';
import { IpcRequester } from '@voicebridge/protocol';
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

/**
 * The supervisor's end for one child process: numbered requests, each answered by the reply with its
 * id, failed after a timeout, and all failed when the child goes (`close`). A reply carrying an
 * error, or metrics that are not a metric family list, fails its request at once.
 */
export class MetricsRequester {
  readonly #requester: IpcRequester<MetricsReply>;

  constructor(send: (message: MetricsRequest) => boolean) {
    this.#requester = new IpcRequester<MetricsReply>({
      send: (message) => send(message as unknown as MetricsRequest),
      requestType: 'metrics-request',
      replyType: 'metrics-reply',
      // Any reply with an id settles its request; what it carries is judged in `request`.
      parseReply: (message) =>
        typeof (message as MetricsReply).id === 'number' ? (message as MetricsReply) : undefined,
    });
  }

  async request(timeoutMs: number): Promise<MetricFamily[]> {
    const reply = await this.#requester.request({}, timeoutMs);
    if (reply.error !== undefined) throw new Error(`child failed to collect: ${reply.error}`);
    if (!isMetricFamilyList(reply.metrics)) throw new Error('malformed metrics reply');
    return reply.metrics;
  }

  /** A message from the child: true when it was a metrics reply (consumed here). */
  handle(message: unknown): boolean {
    return this.#requester.handle(message);
  }

  close(): void {
    this.#requester.close();
  }
}
