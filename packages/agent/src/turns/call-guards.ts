import type { Logger } from 'pino';
import { EnergyVad } from './energy-vad.ts';

/** What the agent says before a guard ends the call. */
export const GUARD_PHRASES = {
  stillThere: 'Are you still there?',
  noInput: 'I cannot hear anything, so I will end the call now. Goodbye.',
  maxDuration: 'This call has reached its time limit. Goodbye.',
} as const;

/** The longest a guard waits for its farewell to be played before it hangs up anyway. */
const FAREWELL_MAX_MS = 15_000;

/**
 * How long past the estimated end of the farewell (every queued sample at 8 kHz from when it was
 * queued) the guard still waits for its playout report. Reports lost with the audio channel (a
 * Redis outage) otherwise held the hang-up for each lost mark's own grace, 10.5 s measured.
 */
const FAREWELL_GRACE_MS = 1000;

export interface CallGuardsOptions {
  maxCallDurationMs: number;
  noInputTimeoutMs: number;
  /** Says `text` to the caller; resolves once it was played (or could not be). */
  say: (text: string) => Promise<unknown>;
  hangup: (reason: 'max-duration' | 'no-input') => void;
  log: Logger;
  vad?: EnergyVad;
}

/**
 * The guards of one call, started at the answer: it ends after `maxCallDurationMs`, and when the
 * caller says nothing for `noInputTimeoutMs` (counted from the later of their last voiced frame and
 * the estimated end of the agent's queued audio) the agent asks once whether they are still there,
 * then ends the call after as long again. Each ending says a farewell first, bounded in time.
 */
export class CallGuards {
  readonly #options: CallGuardsOptions;
  readonly #vad: EnergyVad;
  #lastCallerMs = performance.now();
  #agentBusyUntilMs = 0;
  #reprompted = false;
  #ending = false;
  #closed = false;
  #maxTimer: NodeJS.Timeout | undefined;
  #noInputTimer: NodeJS.Timeout | undefined;
  /** While ending: hangs up at the farewell's estimated end plus the grace, moved on as it is queued. */
  #farewellTimer: NodeJS.Timeout | undefined;
  #farewellBound: NodeJS.Timeout | undefined;
  #hangupOnce: (() => void) | undefined;

  constructor(options: CallGuardsOptions) {
    this.#options = options;
    this.#vad = options.vad ?? new EnergyVad();
    this.#maxTimer = setTimeout(() => this.#end('max-duration', GUARD_PHRASES.maxDuration), options.maxCallDurationMs);
    this.#schedule(options.noInputTimeoutMs);
  }

  onCallerFrame(samples: Int16Array): void {
    if (this.#vad.isVoice(samples)) this.#heardCaller();
  }

  /** Any non-empty transcript is input, whatever the VAD made of it. */
  onTranscript(text: string): void {
    if (text.trim() !== '') this.#heardCaller();
  }

  /** The agent queued `samples` (8 kHz) for the caller: nobody is silent while it plays. */
  onAgentAudio(samples: number): void {
    const now = performance.now();
    this.#agentBusyUntilMs = Math.max(this.#agentBusyUntilMs, now) + samples / 8;
    const hangup = this.#hangupOnce;
    if (hangup === undefined) return;
    clearTimeout(this.#farewellTimer);
    this.#farewellTimer = setTimeout(hangup, this.#agentBusyUntilMs + FAREWELL_GRACE_MS - now);
  }

  /** Idempotent: clears both timers. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#maxTimer);
    clearTimeout(this.#noInputTimer);
    clearTimeout(this.#farewellTimer);
    clearTimeout(this.#farewellBound);
  }

  #heardCaller(): void {
    this.#lastCallerMs = performance.now();
    this.#reprompted = false;
  }

  #schedule(delayMs: number): void {
    clearTimeout(this.#noInputTimer);
    if (!this.#closed && !this.#ending)
      this.#noInputTimer = setTimeout(() => this.#checkInput(), Math.max(10, delayMs));
  }

  /** Runs at the earliest moment the silence can have lasted long enough; re-arms when it has not. */
  #checkInput(): void {
    const deadline = Math.max(this.#lastCallerMs, this.#agentBusyUntilMs) + this.#options.noInputTimeoutMs;
    const now = performance.now();
    if (now < deadline) return this.#schedule(deadline - now);
    if (this.#reprompted) {
      this.#end('no-input', GUARD_PHRASES.noInput);
      return;
    }
    this.#reprompted = true;
    this.#options.log.info({ silentMs: Math.round(now - this.#lastCallerMs) }, 'no input from the caller: reprompting');
    // The reprompt's audio moves the deadline on (onAgentAudio); until it is queued, count from now.
    this.#lastCallerMs = now;
    this.#options.say(GUARD_PHRASES.stillThere).catch(() => undefined);
    this.#schedule(this.#options.noInputTimeoutMs);
  }

  #end(reason: 'max-duration' | 'no-input', farewell: string): void {
    if (this.#ending || this.#closed) return;
    this.#ending = true;
    clearTimeout(this.#noInputTimer);
    this.#options.log.info({ reason }, 'call guard ends the call');
    // After the farewell's playout report, or its estimated end plus the grace, or the bound.
    this.#farewellBound = setTimeout(() => this.#hangupOnce?.(), FAREWELL_MAX_MS);
    this.#hangupOnce = () => {
      this.#hangupOnce = undefined;
      clearTimeout(this.#farewellBound);
      clearTimeout(this.#farewellTimer);
      if (!this.#closed) this.#options.hangup(reason);
    };
    void this.#options
      .say(farewell)
      .catch(() => undefined)
      .finally(() => this.#hangupOnce?.());
  }
}
