/** One thing a ready node needs. `check` resolves with the state; a throw or a timeout counts as failing. */
export interface ReadinessCheck {
  name: string;
  check(signal: AbortSignal): Promise<{ ok: boolean; detail?: string }>;
  /**
   * How long the check must fail without a break before the node reports not ready. A load balancer
   * should not see a one-second blip; a decision such as draining is reported at once (0).
   */
  failAfterMs?: number;
}

export interface CheckState {
  ok: boolean;
  detail?: string;
}

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, CheckState>;
}

export interface ReadinessOptions {
  checks: readonly ReadinessCheck[];
  /** How often every check runs. Default 1 s. */
  intervalMs?: number;
  /** A check that has not answered after this long fails. Default 1 s. */
  timeoutMs?: number;
  /** Default for checks without their own failAfterMs. Default 3 s. */
  failAfterMs?: number;
  nowMs?: () => number;
}

interface Tracked {
  check: ReadinessCheck;
  state: CheckState;
  /** When the current run of failures began; undefined while passing. */
  failingSinceMs: number | undefined;
}

/**
 * The node's readiness, for `/readyz`: every check runs on an interval (never per request, so a
 * load balancer's polling costs nothing), and a failing check turns the node not ready only once it
 * has failed for its `failAfterMs` without a break. A check that passes counts at once.
 */
export class Readiness {
  readonly #options: ReadinessOptions;
  readonly #tracked: Tracked[];
  readonly #nowMs: () => number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #abort = new AbortController();
  #closed = false;

  constructor(options: ReadinessOptions) {
    this.#options = options;
    this.#nowMs = options.nowMs ?? Date.now;
    this.#tracked = options.checks.map((check) => ({
      check,
      state: { ok: false, detail: 'not checked yet' },
      failingSinceMs: undefined,
    }));
  }

  /** Runs the checks once now (so the first report is real), then on the interval. */
  async start(): Promise<void> {
    await this.runOnce();
    if (this.#closed) return;
    this.#timer = setInterval(() => void this.runOnce(), this.#options.intervalMs ?? 1000);
    this.#timer.unref();
  }

  /** One round of every check; a round still running is joined, not doubled. */
  runOnce(): Promise<void> {
    this.#running ??= this.#round().finally(() => (this.#running = undefined));
    return this.#running;
  }

  report(): ReadinessReport {
    const now = this.#nowMs();
    const checks: Record<string, CheckState> = {};
    let ready = true;
    for (const t of this.#tracked) {
      const failAfterMs = t.check.failAfterMs ?? this.#options.failAfterMs ?? 3000;
      const failing = t.failingSinceMs !== undefined && now - t.failingSinceMs >= failAfterMs;
      // Within the grace period a failing check still reports ok, with what it saw.
      checks[t.check.name] = failing ? t.state : { ok: true, ...(t.state.ok ? {} : { detail: t.state.detail }) };
      if (failing) ready = false;
    }
    return { ready, checks };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#abort.abort();
  }

  async #round(): Promise<void> {
    await Promise.all(this.#tracked.map((t) => this.#run(t)));
  }

  async #run(t: Tracked): Promise<void> {
    const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#options.timeoutMs ?? 1000)]);
    let state: CheckState;
    try {
      state = await Promise.race([
        t.check.check(signal),
        new Promise<never>((_, reject) =>
          signal.addEventListener('abort', () => reject(new Error('no answer in time')), { once: true }),
        ),
      ]);
    } catch (error) {
      state = { ok: false, detail: error instanceof Error ? error.message : String(error) };
    }
    if (this.#closed) return;
    t.state = state;
    if (state.ok) t.failingSinceMs = undefined;
    else t.failingSinceMs ??= this.#nowMs();
  }
}
