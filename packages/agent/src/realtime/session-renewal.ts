import type { Logger } from 'pino';
import { delay } from '../stt/abortable.ts';
import type { RealtimeSession } from './realtime-session.ts';
import { clientEvents, type RealtimeUsage, type ServerEvent } from './realtime-wire.ts';

/** Quiet for this long (model silent, no response or tool running, caller not talking) before a switch. */
const QUIET_STREAK_MS = 500;
const QUIET_POLL_MS = 100;
/** A call that is never quiet this long is switched anyway: the provider's limit is closer than the wait. */
const QUIET_WAIT_MAX_MS = 120_000;
/** A new session must answer its check with audio within this. */
const PROBE_MS = 10_000;
/** A renewal that failed (the new session did not open or answer) is tried again after this. */
const RETRY_MS = 30_000;
/** Opened again when the conversation moved on while a new session was being opened and checked. */
const ATTEMPTS = 3;

export interface RenewalHost {
  /** Nothing would be cut by a switch now. */
  quiet(): boolean;
  /** Entries in the conversation: a session seeded with fewer is stale. */
  conversationSize(): number;
  /** A session seeded with the conversation so far in its instructions (never assistant text items). */
  open(signal: AbortSignal): Promise<RealtimeSession>;
  /** Makes `session` the call's (listening, re-armed), closing the one it replaces. */
  adopt(session: RealtimeSession): void;
  /** The check's tokens: billed like any response. */
  usage(usage: RealtimeUsage): void;
  log: Logger;
}

/**
 * Keeps a call's model session under the provider's maximum session length: `renewAfterMs` after a
 * session opened, waits for a quiet moment (bounded), opens a fresh session seeded with the
 * conversation so far, checks that it answers with audio (an out-of-band response, never played),
 * and switches the call to it. The caller hears nothing of it. `now` does the same at once, for a
 * session the provider ended as expired.
 */
export class SessionRenewal {
  readonly #host: RenewalHost;
  readonly #renewAfterMs: number;
  readonly #signal: AbortSignal;
  #timer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(host: RenewalHost, renewAfterMs: number, signal: AbortSignal) {
    this.#host = host;
    this.#renewAfterMs = renewAfterMs;
    this.#signal = signal;
  }

  /** (Re)arms the renewal for `renewAfterMs` after `openedAt` (`performance.now()` when the session opened). */
  arm(openedAt: number): void {
    this.#retryIn(Math.max(0, this.#renewAfterMs - (performance.now() - openedAt)));
  }

  #retryIn(afterMs: number): void {
    clearTimeout(this.#timer);
    if (this.#signal.aborted) return;
    this.#timer = setTimeout(() => void this.#renew(), afterMs);
    this.#timer.unref();
  }

  /** The old session is gone (expired): a new one now, no quiet moment to wait for. Resolves whether it worked. */
  async now(): Promise<boolean> {
    clearTimeout(this.#timer);
    try {
      const session = await this.#host.open(this.#budget(PROBE_MS));
      await this.#checked(session);
      this.#host.adopt(session);
      return true;
    } catch (error) {
      this.#host.log.warn({ err: error }, 'realtime model: a new session after expiry failed');
      return false;
    }
  }

  close(): void {
    clearTimeout(this.#timer);
  }

  async #renew(): Promise<void> {
    if (this.#running || this.#signal.aborted) return;
    this.#running = true;
    try {
      for (let attempt = 1; attempt <= ATTEMPTS && !this.#signal.aborted; attempt++) {
        await this.#quiet();
        const seeded = this.#host.conversationSize();
        const session = await this.#host.open(this.#budget(PROBE_MS));
        try {
          await this.#checked(session);
        } catch (error) {
          session.close();
          throw error;
        }
        // The conversation moved on, or someone started talking, while the new one was opened: again.
        if (
          this.#signal.aborted ||
          (attempt < ATTEMPTS && (this.#host.conversationSize() !== seeded || !this.#host.quiet()))
        ) {
          session.close();
          continue;
        }
        this.#host.adopt(session);
        this.#host.log.info({ attempt }, 'realtime model session renewed before its maximum length');
        return;
      }
    } catch (error) {
      if (this.#signal.aborted) return;
      this.#host.log.warn(
        { err: error, retryInMs: RETRY_MS },
        'realtime model session renewal failed: the old one goes on',
      );
      this.#retryIn(RETRY_MS);
    } finally {
      this.#running = false;
    }
  }

  /** Waits for `QUIET_STREAK_MS` of quiet, at most `QUIET_WAIT_MAX_MS`. */
  async #quiet(): Promise<void> {
    const deadline = performance.now() + QUIET_WAIT_MAX_MS;
    let quietSince: number | undefined;
    while (performance.now() < deadline) {
      const now = performance.now();
      if (!this.#host.quiet()) quietSince = undefined;
      else if (quietSince === undefined) quietSince = now;
      else if (now - quietSince >= QUIET_STREAK_MS) return;
      await delay(QUIET_POLL_MS, this.#signal);
    }
    this.#host.log.warn(
      { waitedMs: QUIET_WAIT_MAX_MS },
      'realtime model: no quiet moment for the renewal; switching anyway',
    );
  }

  /** The new session answers an out-of-band check with audio (not added to its conversation, not played). */
  #checked(session: RealtimeSession): Promise<void> {
    const budget = this.#budget(PROBE_MS);
    return new Promise<void>((resolve, reject) => {
      let audio = false;
      let finished = false;
      const done = (error?: Error): void => {
        if (finished) return;
        finished = true;
        budget.removeEventListener('abort', onAbort);
        session.hold();
        if (error) reject(error);
        else resolve();
      };
      const onAbort = (): void => done(new Error(`the new session did not answer with audio within ${PROBE_MS} ms`));
      budget.addEventListener('abort', onAbort, { once: true });
      session.listen(
        (event: ServerEvent) => {
          if (event.type === 'audio_delta') audio = true;
          else if (event.type === 'error')
            done(new Error(`the new session's check failed: ${event.code} ${event.message}`));
          else if (event.type === 'response_done') {
            if (event.usage) this.#host.usage(event.usage);
            done(audio ? undefined : new Error(`the new session answered without audio (${event.status})`));
          }
        },
        (reason) => done(new Error(`the new session was lost: ${reason}`)),
      );
      session.send(clientEvents.audioCheck());
    });
  }

  #budget(ms: number): AbortSignal {
    return AbortSignal.any([this.#signal, AbortSignal.timeout(ms)]);
  }
}
