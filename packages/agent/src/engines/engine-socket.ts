import type { OutboundPolicy } from '@voicebridge/outbound';
import type { Logger } from '@voicebridge/protocol';
import WebSocket from 'ws';
import { delay } from '../stt/abortable.ts';
import { EngineError } from '../stt/engine-error.ts';
import { statusError } from './engine-status.ts';

/** Where and how to open one provider socket; everything secret stays in `headers`. */
export interface EngineSocketOptions {
  /** The adapter's name in errors and logs (`deepgram`, `elevenlabs`). */
  engine: string;
  url: string;
  headers: Record<string, string>;
  /** The config field the key came from (`engines.stt.keyEnv`) and its variable: named in a 401/403. */
  keyName: string;
  /** Checks the URL and pins the addresses connected to; absent only in tests of the wire itself. */
  policy?: OutboundPolicy;
  /** The number allows ws:// to hosts other than localhost. */
  insecure?: boolean;
  /** From the TCP connect to the accepted upgrade. Default 5000. */
  connectTimeoutMs?: number;
  /** Further attempts after a 429, a 5xx or a failed connect. Default 2. */
  retries?: number;
  /** The first back-off; doubled per attempt, or the provider's `Retry-After`. Default 250. */
  backoffMs?: number;
  /** Largest message accepted from the provider. Default 4 MiB. */
  maxPayloadBytes?: number;
  /**
   * Called with the socket as it opens, before the open is awaited: a provider that speaks first
   * (a session event, an error and a close) may have its frames delivered before an `await` resumes.
   */
  onOpen?: (socket: WebSocket) => void;
  log?: Logger;
}

/** What every adapter's options carry for opening its socket: the key's name, the URL policy, connect bounds, log. */
export type EngineConnectOptions = Pick<
  EngineSocketOptions,
  'keyName' | 'policy' | 'insecure' | 'connectTimeoutMs' | 'retries' | 'backoffMs' | 'log'
>;

/** The connect options out of an adapter's options (which also hold its key, URL and model: not passed on). */
export function connectOptionsOf(o: EngineConnectOptions): EngineConnectOptions {
  return {
    keyName: o.keyName,
    policy: o.policy,
    insecure: o.insecure,
    connectTimeoutMs: o.connectTimeoutMs,
    retries: o.retries,
    backoffMs: o.backoffMs,
    log: o.log,
  };
}

/** A refusal of the upgrade, as `ws` reports it. */
interface RefusedUpgrade {
  status: number;
  retryAfterMs: number | undefined;
}

/**
 * Opens a provider's WebSocket with the retry policy every adapter shares: 401/403 is a key the
 * provider refuses (`VB_CONFIG_INVALID`, naming the key's variable, never retried); 429, 5xx and a
 * failed connect are retried with doubling back-off (or the provider's `Retry-After`, capped at
 * 2 s: a caller is waiting); any other refusal (400 bad model, 404) is a config error. The socket
 * connects only to addresses the outbound URL policy checked.
 */
export async function openEngineSocket(options: EngineSocketOptions, signal: AbortSignal): Promise<WebSocket> {
  const { engine, retries = 2, backoffMs = 250 } = options;
  for (let attempt = 0; ; attempt++) {
    try {
      return await connectOnce(options, signal);
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      const engineError = asEngineError(engine, error, options.keyName);
      if (!engineError.retryable || attempt >= retries) throw engineError;
      const refused = isRefusedUpgrade(error) ? error : undefined;
      const waitMs = Math.min(2000, refused?.retryAfterMs ?? backoffMs * 2 ** attempt);
      options.log?.warn({ engine, attempt: attempt + 1, waitMs, err: engineError.message }, 'engine connect retried');
      await delay(waitMs, signal);
    }
  }
}

function connectOnce(options: EngineSocketOptions, signal: AbortSignal): Promise<WebSocket> {
  const { policy, insecure = false, connectTimeoutMs = 5000, maxPayloadBytes = 4 * 1024 * 1024 } = options;
  const checked = policy?.check(options.url, 'websocket', insecure, `${options.engine} url`);
  const socket = new WebSocket(options.url, {
    headers: options.headers,
    handshakeTimeout: connectTimeoutMs,
    maxPayload: maxPayloadBytes,
    followRedirects: false,
    perMessageDeflate: false,
    ...(policy && checked && { lookup: policy.lookup(checked, `${options.engine} url`) }),
  });
  return new Promise<WebSocket>((resolve, reject) => {
    const onAbort = (): void => {
      socket.terminate();
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const settle = (): void => {
      signal.removeEventListener('abort', onAbort);
      socket.removeAllListeners('open');
      socket.removeAllListeners('unexpected-response');
    };
    socket.once('open', () => {
      settle();
      socket.removeAllListeners('error');
      // Errors after the open are reported through `close`; an unhandled one would crash the worker.
      socket.on('error', () => {});
      options.onOpen?.(socket);
      resolve(socket);
    });
    socket.once('unexpected-response', (_request, response) => {
      settle();
      const retryAfter = Number(response.headers['retry-after']);
      response.resume();
      socket.removeAllListeners('error');
      socket.on('error', () => {});
      socket.terminate();
      reject({
        status: response.statusCode ?? 0,
        retryAfterMs: Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter * 1000 : undefined,
      } satisfies RefusedUpgrade);
    });
    socket.once('error', (error) => {
      settle();
      socket.terminate();
      reject(error);
    });
  });
}

function isRefusedUpgrade(error: unknown): error is RefusedUpgrade {
  return typeof error === 'object' && error !== null && 'status' in error && !(error instanceof Error);
}

/** The one place an adapter's connect failure gets its code, hence its retryability. */
function asEngineError(engine: string, error: unknown, keyName: string): EngineError {
  if (error instanceof EngineError) return error;
  if (isRefusedUpgrade(error)) return statusError(engine, error.status, keyName);
  if (error instanceof Error && error.name === 'OutboundRefusedError')
    return new EngineError(engine, 'VB_CONFIG_INVALID', error.message);
  const message = error instanceof Error ? error.message : String(error);
  return new EngineError(engine, 'VB_ENGINE_FAILED', `cannot connect: ${message}`, { cause: error });
}

/** Sends a JSON text frame if the socket is open; a closed socket is reported by its reader. */
export function sendJson(socket: WebSocket, message: unknown): void {
  if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

/** Parses a provider's text frame; undefined (ignored by the adapter, logged) when it is not a JSON object. */
export function parseFrame(data: WebSocket.RawData): Record<string, unknown> | undefined {
  try {
    const text = Array.isArray(data)
      ? Buffer.concat(data).toString('utf8')
      : Buffer.from(data as ArrayBuffer).toString('utf8');
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A provider error's description, short and without control characters. */
export function describeProviderError(frame: Record<string, unknown>): string {
  const code = frame['err_code'] ?? frame['error_code'] ?? frame['warn_code'] ?? frame['error'];
  const text = [code, frame['description'] ?? frame['message'] ?? frame['err_msg'] ?? frame['warn_msg']]
    .filter((v) => typeof v === 'string')
    .join(' ');
  return text.replace(/[\u0000-\u001f]+/g, ' ').slice(0, 200) || 'unknown';
}
