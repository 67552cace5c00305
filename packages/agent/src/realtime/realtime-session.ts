import type { OutboundPolicy } from '@voicebridge/outbound';
import type { Logger } from 'pino';
import WebSocket from 'ws';
import { openEngineSocket, parseFrame, sendJson } from '../engines/engine-socket.ts';
import { EngineError } from '../stt/engine-error.ts';
import { parseServerEvent, type ServerEvent } from './realtime-wire.ts';

/** Events held before the call is answered; past it they are dropped (a model talking to nobody). */
const EARLY_EVENTS_MAX = 500;

export interface RealtimeSessionOptions {
  /** The socket URL with `?model=` already on it. */
  url: string;
  /** `Authorization: Bearer …` when the number names a key; no `OpenAI-Beta` header (GA). */
  headers: Record<string, string>;
  /** `agent.realtime.apiKeyEnv ($NAME)`: named when the provider refuses the key. */
  keyName: string;
  policy: OutboundPolicy | undefined;
  insecure: boolean;
  connectTimeoutMs: number;
  /** The `session.update` sent first; the session is ready once the server answers `session.updated`. */
  sessionUpdate: Record<string, unknown>;
  log: Logger;
}

/**
 * One socket to the model, configured: `open` connects through the engine framework (outbound
 * policy, 401/403 named, 429/5xx retried once), sends `session.update` and waits for
 * `session.updated` inside the connect budget; an `error` event instead fails the open with the
 * provider's code. After that every event goes to `onEvent`, in order, and a close of the socket
 * not asked for by `close()` goes to `onLost`.
 */
export class RealtimeSession {
  readonly #socket: WebSocket;
  /** `performance.now()` when the socket was open: the provider's maximum session length counts from about then. */
  readonly openedAt = performance.now();
  /** Events that came between the configure and `listen` (the answer): kept, bounded, delivered in order. */
  readonly #early: ServerEvent[] = [];
  #onEvent: (event: ServerEvent) => void = (event) => {
    if (this.#early.length < EARLY_EVENTS_MAX) this.#early.push(event);
  };
  #onLost: (reason: string) => void = (reason) => {
    this.#lostReason = reason;
  };
  /** Set when the socket was lost while nobody listened: told to the next `listen`. */
  #lostReason: string | undefined;
  #closed = false;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
  }

  static async open(options: RealtimeSessionOptions, signal: AbortSignal): Promise<RealtimeSession> {
    const deadline = AbortSignal.any([signal, AbortSignal.timeout(options.connectTimeoutMs)]);
    const socket = await openEngineSocket(
      {
        engine: 'realtime',
        url: options.url,
        headers: options.headers,
        keyName: options.keyName,
        policy: options.policy,
        insecure: options.insecure,
        connectTimeoutMs: options.connectTimeoutMs,
        retries: 1,
        log: options.log,
      },
      deadline,
    ).catch((error: unknown) => {
      if (signal.aborted) throw signal.reason;
      if (deadline.aborted && !(error instanceof EngineError))
        throw new EngineError('realtime', 'VB_ENGINE_FAILED', `no connection within ${options.connectTimeoutMs} ms`);
      throw error;
    });
    const session = new RealtimeSession(socket);
    try {
      await session.#configure(options.sessionUpdate, deadline, options.connectTimeoutMs);
    } catch (error) {
      session.close();
      if (signal.aborted) throw signal.reason;
      throw error;
    }
    return session;
  }

  /** Where events go from now on; those that came since the session was configured go first. */
  listen(onEvent: (event: ServerEvent) => void, onLost: (reason: string) => void): void {
    this.#onEvent = onEvent;
    this.#onLost = onLost;
    for (const event of this.#early.splice(0)) onEvent(event);
    if (this.#lostReason !== undefined) onLost(this.#lostReason);
  }

  /** Events are kept again until the next `listen` (a checked session waiting to take over a call). */
  hold(): void {
    this.#onEvent = (event) => {
      if (this.#early.length < EARLY_EVENTS_MAX) this.#early.push(event);
    };
    this.#onLost = (reason) => {
      this.#lostReason = reason;
    };
  }

  send(event: Record<string, unknown>): void {
    if (!this.#closed) sendJson(this.#socket, event);
  }

  /** Bytes queued in the socket and not yet sent: a provider that does not read loses caller audio. */
  get bufferedBytes(): number {
    return this.#socket.bufferedAmount;
  }

  /** Idempotent; a close asked for here is not reported as lost. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.removeAllListeners('message');
    if (this.#socket.readyState === WebSocket.OPEN) this.#socket.close(1000, 'call ended');
    else this.#socket.terminate();
  }

  #configure(update: Record<string, unknown>, deadline: AbortSignal, timeoutMs: number): Promise<void> {
    const socket = this.#socket;
    return new Promise<void>((resolve, reject) => {
      const done = (error?: Error): void => {
        deadline.removeEventListener('abort', onAbort);
        socket.off('message', onConfigMessage);
        socket.off('close', onConfigClose);
        if (error) return reject(error);
        socket.on('message', (data: WebSocket.RawData) => this.#onEvent(parseServerEvent(parseFrame(data))));
        socket.once('close', (code: number, reason: Buffer) => {
          if (this.#closed) return;
          this.#closed = true;
          this.#onLost(`socket closed (${code}${reason.length > 0 ? ` ${reason.toString('utf8').slice(0, 80)}` : ''})`);
        });
        resolve();
      };
      const onAbort = (): void =>
        done(new EngineError('realtime', 'VB_ENGINE_FAILED', `the session was not configured within ${timeoutMs} ms`));
      const onConfigMessage = (data: WebSocket.RawData): void => {
        const event = parseServerEvent(parseFrame(data));
        if (event.type === 'session.updated') done();
        else if (event.type === 'error') done(sessionError(event.code, event.message));
      };
      const onConfigClose = (code: number): void =>
        done(
          new EngineError(
            'realtime',
            'VB_ENGINE_FAILED',
            `the provider closed the socket (${code}) before the session was configured`,
          ),
        );
      if (deadline.aborted) return onAbort();
      deadline.addEventListener('abort', onAbort, { once: true });
      socket.on('message', onConfigMessage);
      socket.once('close', onConfigClose);
      sendJson(socket, update);
    });
  }
}

/** An `error` answering `session.update`: a bad model or field is the number's config; anything else the provider's. */
function sessionError(code: string, message: string): EngineError {
  const text = `session.update refused: ${code || 'error'}${message ? ` (${message.slice(0, 160)})` : ''}`;
  const config = /invalid|unknown|unsupported|not_found|model/i.test(code);
  return new EngineError('realtime', config ? 'VB_CONFIG_INVALID' : 'VB_ENGINE_FAILED', text);
}
