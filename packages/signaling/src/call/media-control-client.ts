import { connect, type Socket } from 'node:net';
import {
  AllocateResultSchema,
  CloseResultSchema,
  MediaEventSchema,
  MediaResponseSchema,
  VoicebridgeError,
  isErrorCode,
  type AllocateParams,
  type AllocateResult,
  type DtmfParams,
  type SendDtmfParams,
  type TransferProgressParams,
  type UpdateParams,
  type MediaEvent,
  type MediaRequest,
  type MediaStats,
  type TerminationReason,
} from '@voicebridge/protocol';
import type { Logger } from 'pino';

const MAX_LINE_BYTES = 64 * 1024;

export interface MediaControlClientOptions {
  host: string;
  port: number;
  log: Logger;
  onEvent: (event: MediaEvent) => void;
  /** The connection to a media worker that was up went down: its calls have no media any more. */
  onLost?: () => void;
  requestTimeoutMs?: number;
  reconnectDelayMs?: number;
  /**
   * A heartbeat request this often; after `heartbeatMisses` in a row go unanswered the worker is
   * taken for hung: the connection is dropped, which ends its calls with `media-lost`. 0 = off.
   */
  heartbeatIntervalMs?: number;
  heartbeatMisses?: number;
  /** This node (NODE_ID): a worker whose `hello` names another node is refused and retried slowly. */
  nodeId?: string;
}

/** Between attempts at a worker that said it belongs to another node: an operator's mistake to fix. */
const FOREIGN_WORKER_RETRY_MS = 10_000;

interface Pending {
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

type Request = MediaRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/**
 * Signaling's end of the media control interface. Reconnects while open; every pending request is
 * rejected with VB_CHANNEL_CLOSED when the connection drops, and with VB_REQUEST_TIMEOUT when the
 * media worker does not answer in time.
 */
export class MediaControlClient {
  readonly #options: MediaControlClientOptions;
  readonly #pending = new Map<number, Pending>();
  #socket: Socket | undefined;
  #connected = false;
  #nextId = 1;
  #closed = false;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #waiters: (() => void)[] = [];
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #missedHeartbeats = 0;
  /** The node the worker last named when it was not ours (logged once per name). */
  #foreignNode: string | undefined;

  constructor(options: MediaControlClientOptions) {
    this.#options = options;
    this.#connect();
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** Resolves once connected (or at once when already). */
  whenConnected(signal?: AbortSignal): Promise<void> {
    if (this.#connected) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const done = (): void => resolve();
      this.#waiters.push(done);
      signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  }

  async allocate(params: AllocateParams): Promise<AllocateResult> {
    return AllocateResultSchema.parse(await this.#request({ method: 'allocate', params }));
  }

  async start(callId: string, answeredAtMs: number): Promise<void> {
    await this.#request({ method: 'start', params: { callId, answeredAtMs } });
  }

  /** A new offer/answer in the dialog: the call's new remote address, codec and direction. */
  async update(params: UpdateParams): Promise<void> {
    await this.#request({ method: 'update', params });
  }

  /** A digit from a SIP INFO; media reports it to the agent unless RTP already did. */
  async dtmf(params: DtmfParams): Promise<void> {
    await this.#request({ method: 'dtmf', params });
  }

  /** Key presses to the caller (RFC 4733), asked for outside the agent. */
  async sendDtmf(params: SendDtmfParams): Promise<void> {
    await this.#request({ method: 'send-dtmf', params });
  }

  /** Ends a call's media; resolves with its RTP/RTCP statistics when the worker had the call. */
  async closeCall(callId: string, reason: TerminationReason): Promise<MediaStats | undefined> {
    const result = CloseResultSchema.safeParse(await this.#request({ method: 'close', params: { callId, reason } }));
    return result.success ? result.data.stats : undefined;
  }

  /** How a transfer the agent asked for is going: media passes it on to the agent. */
  async transferProgress(params: TransferProgressParams): Promise<void> {
    await this.#request({ method: 'transfer-progress', params });
  }

  async heartbeat(): Promise<{ calls: number }> {
    return (await this.#request({ method: 'heartbeat', params: {} })) as { calls: number };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    clearInterval(this.#heartbeatTimer);
    this.#heartbeatTimer = undefined;
    this.#socket?.destroy();
    this.#rejectAll('media control client closed');
  }

  #request(request: Request): Promise<unknown> {
    if (this.#closed) return Promise.reject(new VoicebridgeError('VB_CLOSED', 'media control client closed'));
    if (!this.#connected || !this.#socket) {
      return Promise.reject(new VoicebridgeError('VB_MEDIA_UNAVAILABLE', 'no media worker connected'));
    }
    const id = this.#nextId++;
    const socket = this.#socket;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new VoicebridgeError('VB_REQUEST_TIMEOUT', `media ${request.method} timed out`));
      }, this.#options.requestTimeoutMs ?? 2000);
      this.#pending.set(id, { resolve, reject, timer });
      socket.write(`${JSON.stringify({ id, ...request })}\n`);
    });
  }

  #connect(): void {
    if (this.#closed) return;
    const socket = connect({ host: this.#options.host, port: this.#options.port });
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.setEncoding('utf8');
    let buffered = '';
    socket.on('connect', () => {
      this.#connected = true;
      this.#options.log.info({ media: `${this.#options.host}:${this.#options.port}` }, 'media worker connected');
      for (const waiter of this.#waiters.splice(0)) waiter();
      this.#startHeartbeats(socket);
    });
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.trim() !== '') this.#onLine(line, socket);
      }
      if (buffered.length > MAX_LINE_BYTES) socket.destroy();
    });
    socket.on('error', (error) => this.#options.log.debug({ err: error }, 'media control connection error'));
    socket.on('close', () => {
      const lost = this.#connected && !this.#closed;
      if (lost) this.#options.log.warn('media worker connection lost');
      this.#connected = false;
      this.#socket = undefined;
      clearInterval(this.#heartbeatTimer);
      this.#heartbeatTimer = undefined;
      this.#rejectAll('media control connection closed');
      if (lost) this.#options.onLost?.();
      if (!this.#closed) {
        const delayMs =
          this.#foreignNode === undefined ? (this.#options.reconnectDelayMs ?? 250) : FOREIGN_WORKER_RETRY_MS;
        this.#reconnectTimer = setTimeout(() => this.#connect(), delayMs);
      }
    });
  }

  #startHeartbeats(socket: Socket): void {
    const everyMs = this.#options.heartbeatIntervalMs ?? 0;
    if (everyMs <= 0) return;
    this.#missedHeartbeats = 0;
    this.#heartbeatTimer = setInterval(() => {
      this.heartbeat().then(
        () => (this.#missedHeartbeats = 0),
        () => {
          if (++this.#missedHeartbeats < (this.#options.heartbeatMisses ?? 3) || this.#socket !== socket) return;
          this.#options.log.warn(
            { missed: this.#missedHeartbeats },
            'media worker stopped answering heartbeats: dropping it',
          );
          socket.destroy();
        },
      );
    }, everyMs);
    this.#heartbeatTimer.unref();
  }

  #onLine(line: string, socket: Socket): void {
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      this.#options.log.warn('media control sent a line that is not JSON');
      return;
    }
    const event = MediaEventSchema.safeParse(json);
    if (event.success && event.data.event === 'hello') return this.#onHello(event.data.nodeId, socket);
    if (event.success) {
      this.#options.onEvent(event.data);
      return;
    }
    const response = MediaResponseSchema.safeParse(json);
    if (!response.success) return;
    const pending = this.#pending.get(response.data.id);
    if (!pending) return;
    this.#pending.delete(response.data.id);
    clearTimeout(pending.timer);
    if (response.data.ok) pending.resolve(response.data.result);
    else {
      const code = isErrorCode(response.data.error.code) ? response.data.error.code : 'VB_MEDIA_UNAVAILABLE';
      pending.reject(new VoicebridgeError(code, response.data.error.message));
    }
  }

  #onHello(nodeId: string, socket: Socket): void {
    const ours = this.#options.nodeId;
    if (ours === undefined || nodeId === ours) {
      this.#foreignNode = undefined;
      return;
    }
    if (this.#foreignNode !== nodeId)
      this.#options.log.error(
        { media: `${this.#options.host}:${this.#options.port}`, workerNodeId: nodeId, nodeId: ours },
        'this media worker belongs to another node: not used (check MEDIA_CONTROL_ADDRESSES or MEDIA_CONTROL_PORT, and NODE_ID)',
      );
    this.#foreignNode = nodeId;
    socket.destroy();
  }

  #rejectAll(message: string): void {
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.reject(new VoicebridgeError('VB_CHANNEL_CLOSED', message));
      this.#pending.delete(id);
    }
  }
}
