import type { Logger } from '@voicebridge/protocol';
import { EngineError } from '../stt/engine-error.ts';
import type { FallbackSlots } from './fallback-slots.ts';

/** The cloud engine failed and no offline fallback may take over: the call ends `engine-outage`. */
export class EngineOutageError extends EngineError {
  constructor(engine: string, why: string) {
    super(engine, 'VB_ENGINE_FAILED', `no fallback for a failed engine (${why})`);
    this.name = 'EngineOutageError';
  }
}

/** One switch from a cloud engine to its fallback, as the record and the log keep it. */
export interface EngineSwitchRecord {
  engine: string;
  to: string;
  reason: string;
  atMs: number;
}

/**
 * The decision one call's engine (STT or TTS) makes once: stay on the provider, or switch to the
 * fallback for the rest of the call, taking one of the worker's fallback slots. Without a fallback
 * (`none`) or a free slot, the switch fails with `EngineOutageError`.
 */
export class EngineSwitch {
  readonly #engine: string;
  readonly #fallbackName: string | undefined;
  readonly #slots: FallbackSlots;
  readonly #log: Logger | undefined;
  #release: (() => void) | undefined;
  #outage: EngineOutageError | undefined;
  switched: EngineSwitchRecord | undefined;
  /** Told once when the engine fails with no fallback allowed (the call apologises and ends). */
  onOutage: ((error: EngineOutageError) => void) | undefined;
  /** Told once per call when the provider fails, whether a fallback takes over or not (the metrics). */
  onFailure: ((provider: string) => void) | undefined;

  constructor(engine: string, fallbackName: string | undefined, slots: FallbackSlots, log?: Logger) {
    this.#engine = engine;
    this.#fallbackName = fallbackName;
    this.#slots = slots;
    this.#log = log;
  }

  get onFallback(): boolean {
    return this.switched !== undefined;
  }

  /** Switches (once) for `reason`; throws `EngineOutageError` when no fallback may run. */
  switchOver(reason: string): void {
    if (this.switched !== undefined) return;
    if (this.#outage !== undefined) throw this.#outage;
    this.onFailure?.(this.#engine);
    const to = this.#fallbackName;
    const release = to === undefined ? undefined : this.#slots.tryAcquire();
    if (to === undefined || release === undefined) {
      this.#outage = new EngineOutageError(this.#engine, to === undefined ? 'fallback none' : 'all fallbacks in use');
      this.#log?.warn({ engine: this.#engine, reason }, 'engine failed and no fallback may take over');
      this.onOutage?.(this.#outage);
      throw this.#outage;
    }
    this.#release = release;
    this.switched = { engine: this.#engine, to, reason, atMs: Date.now() };
    this.#log?.warn({ engine: this.#engine, to, reason }, 'engine switched to its fallback for the rest of the call');
  }

  close(): void {
    this.#release?.();
    this.#release = undefined;
  }
}
