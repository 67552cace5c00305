import type { MediaToAgent, TransferProgressMessage } from '@voicebridge/protocol';

type TransferResult = Extract<MediaToAgent, { event: 'transfer-result' }>;

/** Longest wait for a transfer's outcome: the REFER's NOTIFY timeout (32 s) plus room. */
export const TRANSFER_TIMEOUT_MS = 45_000;

interface Pending {
  resolve: (outcome: TransferProgressMessage) => void;
  onProgress: ((progress: TransferProgressMessage) => void) | undefined;
  timer: NodeJS.Timeout;
  onAbort: () => void;
  signal: AbortSignal;
}

/**
 * The agent's transfers in flight on one call, by request id: each resolves with the final
 * `transfer-result` (success or failure), or a failure of its own when none came in time or the
 * call ended. Rejects only when `signal` aborts.
 */
export class TransferRequests {
  readonly #pending = new Map<string, Pending>();
  #counter = 0;

  /** Registers a request; `send` is given its id and must send the `transfer` message. */
  start(
    send: (requestId: string) => void,
    signal: AbortSignal,
    options: { timeoutMs?: number; onProgress?: (progress: TransferProgressMessage) => void } = {},
  ): Promise<TransferProgressMessage> {
    const requestId = `x${++this.#counter}`;
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const timeoutMs = options.timeoutMs ?? TRANSFER_TIMEOUT_MS;
      const onAbort = (): void => {
        this.#settle(requestId);
        reject(signal.reason);
      };
      const timer = setTimeout(() => {
        this.#settle(requestId);
        resolve({ state: 'failure', code: 'VB_REQUEST_TIMEOUT', reason: `no transfer outcome within ${timeoutMs} ms` });
      }, timeoutMs);
      signal.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(requestId, { resolve, onProgress: options.onProgress, timer, onAbort, signal });
      send(requestId);
    });
  }

  /** A `transfer-result` from media; those of unknown requests (an earlier owner's) are ignored. */
  onResult(result: TransferResult): void {
    const pending = result.requestId === undefined ? undefined : this.#pending.get(result.requestId);
    if (!pending || result.requestId === undefined) return;
    const { event: _event, requestId: _id, ...progress } = result;
    pending.onProgress?.(progress);
    if (progress.state === 'trying') return;
    this.#settle(result.requestId);
    pending.resolve(progress);
  }

  /** The call ended: pending requests fail. */
  close(): void {
    for (const [id, pending] of [...this.#pending]) {
      this.#settle(id);
      pending.resolve({ state: 'failure', code: 'VB_CLOSED', reason: 'the call ended' });
    }
  }

  #settle(requestId: string): void {
    const pending = this.#pending.get(requestId);
    if (!pending) return;
    this.#pending.delete(requestId);
    clearTimeout(pending.timer);
    pending.signal.removeEventListener('abort', pending.onAbort);
  }
}
