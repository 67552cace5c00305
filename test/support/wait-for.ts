import type { EventEmitter } from 'node:events';

/**
 * The one place tests may use timers (an ESLint rule enforces it). A test waits for an event or a
 * condition, never for a fixed time: a sleep long enough on a loaded 2-core box is slow everywhere
 * else, and one short enough to be fast is flaky there. Every wait here is bounded and names what it
 * waited for, so a failure says what did not happen instead of timing out the whole test.
 */

const DEFAULT_EVERY_MS = 10;

export interface PollOptions {
  /** How often `check` runs; raise it for checks that cost something (a Redis round trip). */
  everyMs?: number;
}

/**
 * Polls `check` until it returns something other than `false`, `undefined` or `null`, and resolves
 * with that value; rejects `timed out after N ms waiting for <what>` when `timeoutMs` passes first.
 * A check that throws rejects at once.
 */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  check: () => T | false | undefined | null | Promise<T | false | undefined | null>,
  options: PollOptions = {},
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== false && value !== undefined && value !== null) return value;
    if (performance.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await pause(options.everyMs ?? DEFAULT_EVERY_MS);
  }
}

/**
 * Proves that something does not happen: polls `check` for `durationMs` and rejects `<what> stopped
 * holding after N ms` as soon as it returns false. Tests that must let time pass (a timeout that
 * must not fire early, packets that must not arrive) use this instead of sleeping and then looking.
 */
export async function holdsFor(
  what: string,
  durationMs: number,
  check: () => boolean | Promise<boolean>,
  options: PollOptions = {},
): Promise<void> {
  const start = performance.now();
  for (;;) {
    if (!(await check())) throw new Error(`${what} stopped holding after ${Math.round(performance.now() - start)} ms`);
    const left = start + durationMs - performance.now();
    if (left <= 0) return;
    await pause(Math.min(options.everyMs ?? DEFAULT_EVERY_MS, left));
  }
}

/**
 * Resolves with the arguments of `emitter`'s next `event` for which `filter` holds (events emitted
 * back to back are all seen); rejects naming `what` after `timeoutMs`, or when the emitter emits
 * `error` first. Leaves no listener behind either way.
 */
export function waitForEvent(
  emitter: EventEmitter,
  event: string,
  what: string,
  timeoutMs: number,
  filter: (...args: unknown[]) => boolean = () => true,
): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      emitter.off(event, onEvent);
      if (event !== 'error') emitter.off('error', onError);
    };
    const onEvent = (...args: unknown[]): void => {
      if (!filter(...args)) return;
      done();
      resolve(args);
    };
    const onError = (error: unknown): void => {
      done();
      reject(error instanceof Error ? error : new Error(String(error)));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    emitter.on(event, onEvent);
    if (event !== 'error') emitter.on('error', onError);
  });
}

/** Settles as `promise` does, or rejects `timed out after N ms waiting for <what>` when `timeoutMs` passes first. */
export async function withTimeout<T>(promise: Promise<T>, what: string, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Calls `send` every `everyMs` until the returned stop function is called: for tests whose subject is
 * traffic spread over time (a slow-loris peer, a stream of packets), not for waiting.
 */
export function repeatEvery(everyMs: number, send: () => void): () => void {
  const timer = setInterval(send, everyMs);
  return () => clearInterval(timer);
}

/**
 * Runs `action` once after `ms` unless the returned cancel function is called first: a watchdog over a
 * child process or a bound on a harness's own wait, never a way to wait for state.
 */
export function schedule(ms: number, action: () => void): () => void {
  const timer = setTimeout(action, ms);
  return () => clearTimeout(timer);
}

/**
 * Calls `send(0)` at once and `send(1)` … `send(count - 1)` every `everyMs` after it, resolving after
 * the last: traffic at a real pace (RTP every 20 ms) for tests whose subject depends on it.
 */
export function sendPaced(count: number, everyMs: number, send: (index: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let index = 0;
    const next = (): void => {
      try {
        send(index++);
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      if (index < count) setTimeout(next, everyMs);
      else resolve();
    };
    if (count > 0) next();
    else resolve();
  });
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
