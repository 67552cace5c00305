import { VoicebridgeError, type Logger } from '@voicebridge/protocol';
import type { LlmEvent } from '../llm/language-model.ts';
import { HeldAnswer } from '../llm/held-answer.ts';
import type { Transcript } from '../stt/speech-to-text.ts';
import { EnergyVad } from './energy-vad.ts';
import { StablePartial, wordsDiffer, type StableClock } from './stable-partial.ts';

const FRAME_MS = 20;

export interface SpeculativeStartOptions {
  /** How long an interim's words and the caller's silence must hold before the request starts. */
  stableMs: number;
  /** Starts the model request with `text` as the caller's next message. */
  request: (text: string, signal: AbortSignal) => AsyncIterable<LlmEvent>;
  /** The call's: its end aborts a held request. */
  signal: AbortSignal;
  /** A held answer was thrown away (its request still counts in the call's usage). */
  onDiscarded: (answer: HeldAnswer) => void;
  log?: Logger;
  vad?: EnergyVad;
  /** Voice, in one run, that means the caller went on: the held answer is discarded. Default 100 ms. */
  resumeVoiceMs?: number;
  clock?: StableClock;
}

/** How a confirmed turn starts its answer. */
export interface TurnStart {
  /** The answer requested early for the very words of the final: released into the turn. */
  held?: HeldAnswer;
  /** Answers requested early for this turn and discarded: 0 or 1. */
  restarts: number;
}

/**
 * Starts the answer to the caller's turn before the recogniser's final transcript: on a stable
 * interim (`StablePartial`) the model request starts with those words as the caller's message, and
 * its answer is held (`HeldAnswer`) — never spoken, its tool calls never run — until the final
 * confirms it (`confirm`: the same words after normalisation) and the agent releases it into the
 * turn. Otherwise it is discarded:
 * - the caller goes on: an interim with other words, or `resumeVoiceMs` of voice;
 * - the final's words differ (or the early request failed: the turn asks again, with its retries).
 * At most one restart per turn: once an early answer was discarded, the turn waits for its final,
 * so a caller who keeps pausing costs at most two requests a turn. Early starts happen only while
 * the agent is `listening()` (between turns, nothing queued to answer).
 */
export class SpeculativeStart {
  readonly #options: SpeculativeStartOptions;
  readonly #stable: StablePartial;
  readonly #vad: EnergyVad;
  readonly #resumeFrames: number;
  #listening = false;
  #held: { answer: HeldAnswer; text: string } | undefined;
  /** Words that became stable while the agent was busy (its last reply's mark still on the way). */
  #waiting: string | undefined;
  #restarts = 0;
  #voiceFrames = 0;
  #closed = false;

  constructor(options: SpeculativeStartOptions) {
    this.#options = options;
    this.#vad = options.vad ?? new EnergyVad();
    this.#resumeFrames = Math.max(1, Math.ceil((options.resumeVoiceMs ?? 100) / FRAME_MS));
    this.#stable = new StablePartial({
      stableMs: options.stableMs,
      onStable: (text) => this.#start(text),
      clock: options.clock,
    });
  }

  /** The agent waits for the caller's next turn: an early start may happen from now. */
  listening(): void {
    this.#listening = true;
    const waiting = this.#waiting;
    this.#waiting = undefined;
    if (waiting !== undefined) this.#start(waiting);
  }

  /** Every transcript of the recogniser, interim or final, as it comes. */
  onTranscript(transcript: Transcript): void {
    if (this.#closed) return;
    if (transcript.final) {
      // The words are settled; `confirm` compares them when the agent takes the turn.
      this.#stable.reset();
      this.#waiting = undefined;
      return;
    }
    if (this.#waiting !== undefined && wordsDiffer(this.#waiting, transcript.text)) this.#waiting = undefined;
    if (this.#held && wordsDiffer(this.#held.text, transcript.text)) this.#discard('the caller went on');
    this.#stable.interim(transcript.text, transcript.endpoint !== undefined);
  }

  /** Each caller frame as it arrives: voice keeps an interim from being stable, and ends a held answer. */
  onCallerFrame(samples: Int16Array): void {
    if (this.#closed) return;
    if (!this.#vad.isVoice(samples)) {
      this.#voiceFrames = 0;
      return;
    }
    this.#stable.voice();
    if (this.#held && ++this.#voiceFrames >= this.#resumeFrames) this.#discard('the caller spoke again');
  }

  /**
   * The agent takes the turn the final transcript `heard` closed: the held answer when its words
   * are the same, else none (a held one is discarded). The agent is busy until `listening()`.
   */
  confirm(heard: string): TurnStart {
    this.#listening = false;
    this.#waiting = undefined;
    this.#stable.reset();
    this.#voiceFrames = 0;
    const held = this.#held;
    let start: TurnStart;
    if (held && !held.answer.failed && !wordsDiffer(held.text, heard)) {
      this.#held = undefined;
      start = { held: held.answer, restarts: this.#restarts };
    } else {
      if (held) this.#discard(held.answer.failed ? 'the early request failed' : 'the final differed');
      start = { restarts: this.#restarts };
    }
    this.#restarts = 0;
    return start;
  }

  /** Idempotent: discards a held answer. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stable.close();
    if (this.#held) this.#discard('the call ended');
  }

  #start(text: string): void {
    if (!this.#listening) {
      this.#waiting = text;
      return;
    }
    if (this.#held || this.#restarts > 0 || this.#closed || this.#options.signal.aborted) return;
    const { request } = this.#options;
    this.#held = { answer: new HeldAnswer((signal) => request(text, signal), this.#options.signal), text };
    this.#voiceFrames = 0;
    this.#options.log?.debug({ words: text.split(/\s+/).length }, 'answer started on a stable interim');
  }

  #discard(why: string): void {
    const held = this.#held;
    if (!held) return;
    this.#held = undefined;
    this.#restarts++;
    held.answer.discard(new VoicebridgeError('VB_CLOSED', `early answer discarded: ${why}`));
    this.#options.log?.debug({ why }, 'early answer discarded');
    this.#options.onDiscarded(held.answer);
  }
}
