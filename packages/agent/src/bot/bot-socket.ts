import type { OutboundPolicy } from '@voicebridge/outbound';
import type { CheckedOutboundUrl } from '@voicebridge/protocol';
import { WebSocket } from 'ws';
import { MAX_BOT_MESSAGE_BYTES } from './bot-messages.ts';

export interface OpenBotSocketOptions {
  checked: CheckedOutboundUrl;
  policy: OutboundPolicy;
  /** The upgrade's extra headers (the number's, the signature). */
  headers: Record<string, string>;
  timeoutMs: number;
  signal: AbortSignal;
}

/**
 * A message this far over the 1 MiB we read is not buffered to the end: `ws` closes the socket
 * (1009) instead. Between the two the message is read and ignored, and the call goes on.
 */
const SOCKET_MAX_PAYLOAD_BYTES = 16 * MAX_BOT_MESSAGE_BYTES;

/**
 * Opens the bot's socket under the outbound URL policy: the connect goes only to addresses the
 * policy checked (its `lookup`), never follows a redirect, and gives up after `timeoutMs`.
 * Rejects with a reason that names the host, never the URL's path or query (a token may be there).
 */
export function openBotSocket(options: OpenBotSocketOptions): Promise<WebSocket> {
  const { checked, policy, signal } = options;
  const host = checked.url.host;
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const socket = new WebSocket(checked.url, {
      headers: options.headers,
      handshakeTimeout: options.timeoutMs,
      maxPayload: SOCKET_MAX_PAYLOAD_BYTES,
      followRedirects: false,
      perMessageDeflate: false,
      lookup: policy.lookup(checked, 'agent.url'),
    });
    let settled = false;
    const fail = (reason: string): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.terminate();
      reject(new Error(reason));
    };
    const onAbort = (): void => fail(`call ended while connecting to ${host}`);
    signal.addEventListener('abort', onAbort, { once: true });
    // The deadline covers name resolution and TCP/TLS too, not only the upgrade `ws` times.
    const timer = setTimeout(() => fail(`no answer from ${host} within ${options.timeoutMs} ms`), options.timeoutMs);
    socket.once('unexpected-response', (_request, response) => {
      clearTimeout(timer);
      fail(`${host} answered the upgrade with HTTP ${response.statusCode ?? '?'}`);
    });
    socket.once('error', (error: Error & { code?: string }) => {
      clearTimeout(timer);
      fail(describeConnectError(host, error));
    });
    socket.once('open', () => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      socket.removeAllListeners();
      resolve(socket);
    });
  });
}

function describeConnectError(host: string, error: Error & { code?: string }): string {
  const code = error.code ?? '';
  if (code === 'ECONNREFUSED') return `${host} refused the connection`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `${host} does not resolve (${code})`;
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(code) || /certificate|TLS|SSL/i.test(error.message))
    return `TLS with ${host} failed: ${code || error.message}`;
  if (/timed out/i.test(error.message)) return `no answer from ${host} in time`;
  if (error.name === 'OutboundRefusedError') return error.message;
  return `cannot connect to ${host}: ${code || error.message}`;
}
