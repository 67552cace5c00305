import { setTimeout as sleep } from 'node:timers/promises';

/** Resolves or rejects as `promise` does, or rejects with the signal's reason as soon as it aborts. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Iterates `source`, leaving a pending `next()` as soon as the signal aborts (a plain `for await`
 * would wait for the next chunk first) and then asking the source to finish.
 */
export async function* iterateAbortable<T>(source: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      const next = await abortable(iterator.next(), signal);
      if (next.done) {
        finished = true;
        return;
      }
      yield next.value;
    }
  } finally {
    // Not awaited: a source blocked on its own next() may only settle that later.
    if (!finished) void iterator.return?.()?.catch(() => {});
  }
}

/**
 * Waits `ms`, or rejects with the signal's reason as soon as it aborts, its timer cleared. Node's own
 * abortable `setTimeout` rejects with an `AbortError` instead; every abortable wait in this package
 * rejects with the reason, so what aborted it (a hangup, a barge-in, a shutdown) reaches the catch.
 */
export async function delay(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch (error) {
    throw signal.aborted ? signal.reason : error;
  }
}
