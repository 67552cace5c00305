import {
  VoicebridgeError,
  type AllocateParams,
  type AllocateResult,
  type DtmfParams,
  type SendDtmfParams,
  type HostPort,
  type MediaEvent,
  type MediaStats,
  type TerminationReason,
  type TransferProgressParams,
  type UpdateParams,
} from '@voicebridge/protocol';
import type { Logger } from 'pino';
import { MediaControlClient, type MediaControlClientOptions } from './media-control-client.ts';

export interface MediaPoolOptions {
  /** One per media worker, in index order (MEDIA_CONTROL_ADDRESSES, or MEDIA_CONTROL_PORT + i). */
  endpoints: readonly HostPort[];
  log: Logger;
  /** Every event of every worker, as it comes. */
  onEvent: (event: MediaEvent) => void;
  /** A worker's connection went down: these calls, which it held, have no media any more. */
  onLost: (callIds: string[]) => void;
  /** Passed to each worker's MediaControlClient (timeouts, reconnect delay, heartbeats). */
  client?: Pick<
    MediaControlClientOptions,
    'requestTimeoutMs' | 'reconnectDelayMs' | 'heartbeatIntervalMs' | 'heartbeatMisses' | 'nodeId'
  >;
}

interface Worker {
  index: number;
  client: MediaControlClient;
  /** Calls this worker holds or is allocating, by our call id: `true` once the allocation succeeded. */
  calls: Map<string, boolean>;
}

/** Allocation failures another worker may not have: try the next one. */
const TRY_ANOTHER = new Set(['VB_NO_MEDIA_PORT', 'VB_MEDIA_UNAVAILABLE', 'VB_CHANNEL_CLOSED']);

/**
 * Signaling's media workers (docs/architecture.md "Several media workers"): one MediaControlClient
 * per worker, with the client's API. A call is allocated on the connected worker with the fewest
 * calls in progress (counted here; ties go to the lowest index) and every later request for it goes
 * to that worker. A worker lost ends only its own calls (`onLost`); new calls go to the others.
 */
export class MediaPool {
  readonly #options: MediaPoolOptions;
  readonly #workers: Worker[];
  readonly #owner = new Map<string, Worker>();
  readonly #closing = new AbortController();
  #closed = false;

  constructor(options: MediaPoolOptions) {
    if (options.endpoints.length === 0) throw new RangeError('MediaPool needs at least one media worker endpoint');
    this.#options = options;
    this.#workers = options.endpoints.map((endpoint, index) => {
      const worker: Worker = {
        index,
        calls: new Map(),
        client: new MediaControlClient({
          ...options.client,
          host: endpoint.host,
          port: endpoint.port,
          log: options.log.child({ mediaWorker: index + 1 }),
          onEvent: options.onEvent,
          onLost: () => this.#onLost(worker),
        }),
      };
      return worker;
    });
  }

  /** Whether any worker is connected. */
  get connected(): boolean {
    return this.#workers.some((w) => w.client.connected);
  }

  get size(): number {
    return this.#workers.length;
  }

  /** Whether worker `index` (0-based) is connected. */
  isConnected(index: number): boolean {
    return this.#workers[index]?.client.connected ?? false;
  }

  /** Calls in progress on worker `index` (0-based), as counted here. */
  callsOn(index: number): number {
    return this.#workers[index]?.calls.size ?? 0;
  }

  /** The worker (0-based index) that holds a call, if any does. */
  workerOf(callId: string): number | undefined {
    return this.#owner.get(callId)?.index;
  }

  /** Resolves once at least one worker is connected (at once when one is). */
  whenConnected(signal?: AbortSignal): Promise<void> {
    if (this.connected) return Promise.resolve();
    const both = signal ? AbortSignal.any([signal, this.#closing.signal]) : this.#closing.signal;
    return Promise.any(this.#workers.map((w) => w.client.whenConnected(both))).catch(() => {
      throw both.reason instanceof Error ? both.reason : new VoicebridgeError('VB_CLOSED', 'media pool closed');
    });
  }

  /**
   * Allocates on the least-loaded connected worker; a worker that is out of ports or went away
   * meanwhile is skipped for the next. VB_MEDIA_UNAVAILABLE when no worker is connected.
   */
  async allocate(params: AllocateParams): Promise<AllocateResult> {
    if (this.#closed) throw new VoicebridgeError('VB_CLOSED', 'media pool closed');
    const tried = new Set<Worker>();
    let lastError: unknown = new VoicebridgeError('VB_MEDIA_UNAVAILABLE', 'no media worker connected');
    for (let worker = this.#pick(tried); worker; worker = this.#pick(tried)) {
      tried.add(worker);
      worker.calls.set(params.callId, false);
      this.#owner.set(params.callId, worker);
      try {
        const result = await worker.client.allocate(params);
        if (worker.calls.has(params.callId)) worker.calls.set(params.callId, true);
        return result;
      } catch (error) {
        this.#forget(params.callId, worker);
        lastError = error;
        if (!(error instanceof VoicebridgeError && TRY_ANOTHER.has(error.code))) break;
        if (this.#pick(tried) === undefined) break; // the caller logs the refusal once
        this.#options.log.warn(
          { callId: params.callId, mediaWorker: worker.index + 1, code: error.code },
          `media worker could not allocate (${error.message}): trying another`,
        );
      }
    }
    throw lastError;
  }

  start(callId: string, answeredAtMs: number): Promise<void> {
    return this.#route(callId, (client) => client.start(callId, answeredAtMs));
  }

  update(params: UpdateParams): Promise<void> {
    return this.#route(params.callId, (client) => client.update(params));
  }

  dtmf(params: DtmfParams): Promise<void> {
    return this.#route(params.callId, (client) => client.dtmf(params));
  }

  sendDtmf(params: SendDtmfParams): Promise<void> {
    return this.#route(params.callId, (client) => client.sendDtmf(params));
  }

  transferProgress(params: TransferProgressParams): Promise<void> {
    return this.#route(params.callId, (client) => client.transferProgress(params));
  }

  /** Ends a call's media on the worker that holds it; undefined when none does (it was lost, or never allocated). */
  async closeCall(callId: string, reason: TerminationReason): Promise<MediaStats | undefined> {
    const worker = this.#owner.get(callId);
    if (!worker) return undefined;
    try {
      return await worker.client.closeCall(callId, reason);
    } finally {
      this.#forget(callId, worker);
    }
  }

  /**
   * Closes a call on every worker, each as soon as it is connected: for calls an earlier signaling
   * process left, whose worker is not known. Settles when every worker answered (or the pool closed).
   */
  async closeCallEverywhere(callId: string, reason: TerminationReason): Promise<void> {
    await Promise.allSettled(
      this.#workers.map((w) =>
        w.client.whenConnected(this.#closing.signal).then(() => w.client.closeCall(callId, reason)),
      ),
    );
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing.abort(new VoicebridgeError('VB_CLOSED', 'media pool closed'));
    for (const worker of this.#workers) {
      worker.client.close();
      worker.calls.clear();
    }
    this.#owner.clear();
  }

  #pick(exclude: ReadonlySet<Worker>): Worker | undefined {
    let best: Worker | undefined;
    for (const worker of this.#workers) {
      if (exclude.has(worker) || !worker.client.connected) continue;
      if (!best || worker.calls.size < best.calls.size) best = worker;
    }
    return best;
  }

  #route(callId: string, request: (client: MediaControlClient) => Promise<void>): Promise<void> {
    const worker = this.#owner.get(callId);
    if (!worker)
      return Promise.reject(new VoicebridgeError('VB_MEDIA_UNAVAILABLE', `no media worker holds call ${callId}`));
    return request(worker.client);
  }

  #forget(callId: string, worker: Worker): void {
    if (this.#owner.get(callId) !== worker) return;
    this.#owner.delete(callId);
    worker.calls.delete(callId);
  }

  /** Calls still being allocated are not reported: their allocate rejects and tries another worker. */
  #onLost(worker: Worker): void {
    const lost = [...worker.calls].filter(([, allocated]) => allocated).map(([callId]) => callId);
    for (const callId of lost) this.#forget(callId, worker);
    this.#options.log.warn(
      {
        mediaWorker: worker.index + 1,
        calls: lost.length,
        connected: this.#workers.filter((w) => w.client.connected).length,
      },
      'media worker lost: ending its calls',
    );
    this.#options.onLost(lost);
  }
}
