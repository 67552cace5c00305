import type { TurnLatency } from '@voicebridge/protocol';
import { EnergyVad } from './energy-vad.ts';
import { addUsage, answerShare, callerShare, type UsageCounters } from './turn-usage.ts';

/** 20 ms at 8 kHz: the first frame of a reply, behind which the timing mark goes. */
const FIRST_FRAME_SAMPLES = 160;

/** What the timer needs of the call's outbound audio: a mark placed among audio already queued. */
export interface ReplyOutlet {
  /** Resolves true once the audio up to `position` (samples) left the media worker's socket, false if cleared. */
  markAt(position: number, signal: AbortSignal, prefix: 't'): Promise<boolean>;
}

/** Sees each turn as it completes and each barge-in (metrics); never changes them. */
export interface TurnObserver {
  turnCompleted(turn: TurnLatency): void;
  bargedIn(): void;
  engineFailed(provider: string): void;
}

/**
 * Sees where caller turns begin and end (the `call.turn` event): a turn is over when the next one
 * starts or the call ends, so its figures (a late barge-in included) are final when `over` sees them.
 */
export interface TurnBoundary {
  started(turn: number): void;
  over(turn: TurnLatency): void;
}

export interface TurnTimerOptions {
  /** Epoch ms of the answer: stages are recorded as ms since then, like transcript entries. */
  answeredAtMs: number;
  outlet: ReplyOutlet;
  /** The call's signal: marks are not awaited past it. */
  signal: AbortSignal;
  /** Receives every turn so far (oldest first) whenever one is complete or the call ends. */
  persist: (turns: readonly TurnLatency[]) => void;
  vad?: EnergyVad;
  /** Epoch ms; injectable for tests. */
  now?: () => number;
  /**
   * The turns a previous owner of the call recorded (a takeover, ADR 0010): numbering goes on from
   * them, and a last one whose reply never reached the socket is open again for this owner's reply.
   */
  earlier?: readonly TurnLatency[];
  observer?: TurnObserver;
  /**
   * The agent's cumulative usage (`AgentKind.usage()`): each turn records its share, the STT audio
   * before its final and the TTS characters and tokens after it (`TurnUsage`).
   */
  usage?: () => UsageCounters;
  boundary?: TurnBoundary;
}

/**
 * Times each caller turn of one call, stage by stage: caller's last voiced frame → final transcript
 * → answer chosen (model's first token, scripted answer) → TTS first audio → first RTP packet of the
 * reply. The last stage comes from media: a mark queued right behind the reply's first 20 ms frame
 * is reported when that frame's packet left the socket (the send callback).
 *
 * Agents call `heard()` on a final transcript and `answering()` when the answer starts. The timer
 * watches audio both ways without carrying it: caller frames through `onCallerFrame()` at receipt,
 * the agent's audio through `onAgentAudio()` as it is queued.
 */
export class TurnTimer {
  readonly #options: TurnTimerOptions;
  readonly #vad: EnergyVad;
  readonly #now: () => number;
  readonly #turns: TurnLatency[] = [];
  /** The turn whose reply has not reached the socket yet. */
  #open: TurnLatency | undefined;
  /** The latest turn, open or not: barge-ins count on it until the next turn. */
  #latest: TurnLatency | undefined;
  #lastVoiceAtMs: number | undefined;
  #depthMaxMs: number | undefined;
  /** The agent's usage counters at the latest final (at the start before the first). */
  #usageAtFinal: UsageCounters | undefined;
  #closed = false;

  constructor(options: TurnTimerOptions) {
    this.#options = options;
    this.#vad = options.vad ?? new EnergyVad();
    this.#now = options.now ?? Date.now;
    const earlier = (options.earlier ?? []).map((turn) => ({ ...turn }));
    if (earlier.at(-1)?.firstRtpAtMs === undefined) this.#open = earlier.pop();
    this.#turns.push(...earlier);
    this.#latest = this.#open ?? this.#turns.at(-1);
    this.#usageAtFinal = options.usage?.();
  }

  /** Every turn so far, oldest first (the open one included). */
  get turns(): readonly TurnLatency[] {
    return this.#open ? [...this.#turns, this.#open] : [...this.#turns];
  }

  /** A caller frame as it arrived, with the jitter buffer depth media reported on it. */
  onCallerFrame(samples: Int16Array, jitterDepthMs: number | undefined): void {
    if (this.#vad.isVoice(samples)) this.#lastVoiceAtMs = this.#callMs();
    if (jitterDepthMs !== undefined) this.#depthMaxMs = Math.max(this.#depthMaxMs ?? 0, jitterDepthMs);
  }

  /** A final transcript: a new turn starts (the previous one, if still open, is closed as it is). */
  heard(): void {
    if (this.#closed) return;
    const counters = this.#options.usage?.();
    this.#closeAnswerUsage(counters);
    const over = this.#latest;
    this.#finish();
    if (over) this.#options.boundary?.over(structuredClone(over));
    const usage = callerShare(this.#usageAtFinal, counters);
    this.#usageAtFinal = counters;
    this.#open = {
      turn: this.#turns.length + 1,
      voiceEndAtMs: this.#lastVoiceAtMs,
      sttFinalAtMs: this.#callMs(),
      interruptions: 0,
      jitterBufferMaxMs: this.#depthMaxMs,
      ...(usage && { usage }),
    };
    this.#latest = this.#open;
    this.#lastVoiceAtMs = undefined;
    this.#depthMaxMs = undefined;
    this.#options.boundary?.started(this.#open.turn);
  }

  /** The answer to the open turn started (first model token, scripted answer chosen). */
  answering(): void {
    if (this.#open && this.#open.answerAtMs === undefined) this.#open.answerAtMs = this.#callMs();
  }

  /**
   * How the open turn's answer started (docs/conversation.md, a speculative start): the request
   * that answered began at `requestAtEpochMs`, before the final; `restarts` early answers were
   * discarded; its first token was there `firstTokenEarlierMs` sooner than a request started at
   * the final would have had it. Each field given is set; the others are left as they are.
   */
  early(info: { requestAtEpochMs?: number; restarts?: number; firstTokenEarlierMs?: number }): void {
    const turn = this.#open;
    if (!turn || this.#closed) return;
    if (info.requestAtEpochMs !== undefined)
      turn.earlyRequestAtMs = Math.max(0, Math.round(info.requestAtEpochMs - this.#options.answeredAtMs));
    if (info.restarts !== undefined && info.restarts > 0) turn.restarts = info.restarts;
    if (info.firstTokenEarlierMs !== undefined)
      turn.firstTokenEarlierMs = Math.max(0, Math.round(info.firstTokenEarlierMs));
  }

  /**
   * The early answer the open turn was given failed before its first token and a request started
   * after the final answers instead: the turn did not start early, and one early answer was discarded.
   */
  earlyFailed(): void {
    const turn = this.#open;
    if (!turn || this.#closed) return;
    delete turn.earlyRequestAtMs;
    turn.restarts = (turn.restarts ?? 0) + 1;
  }

  /** The caller barged in on the latest turn's reply. */
  interrupted(): void {
    if (!this.#latest || this.#closed) return;
    this.#latest.interruptions++;
    this.#options.observer?.bargedIn();
    if (this.#latest !== this.#open) this.#persist();
  }

  /** A barge-in on the latest turn's reply was only noise or a backchannel: the reply resumed. */
  falseBargeIn(): void {
    if (!this.#latest || this.#closed) return;
    this.#latest.falseBargeIns = (this.#latest.falseBargeIns ?? 0) + 1;
    if (this.#latest !== this.#open) this.#persist();
  }

  /** An engine failed on the latest turn (the turn itself is timed as far as it got). */
  failed(provider: string): void {
    this.#options.observer?.engineFailed(provider);
  }

  /**
   * The agent queued `samples` at `position` (samples queued before them). The open turn's first
   * chunk gets a timing mark behind its first frame: media reports it when that frame's RTP packet
   * was sent.
   */
  onAgentAudio(samples: Int16Array, position: number): void {
    const turn = this.#open;
    if (!turn || turn.ttsFirstAudioAtMs !== undefined || samples.length === 0 || this.#closed) return;
    turn.ttsFirstAudioAtMs = this.#callMs();
    turn.answerAtMs ??= turn.ttsFirstAudioAtMs;
    const { outlet, signal } = this.#options;
    outlet.markAt(position + Math.min(FIRST_FRAME_SAMPLES, samples.length), signal, 't').then(
      (played) => {
        if (!played || this.#open !== turn) return;
        turn.firstRtpAtMs = this.#callMs();
        this.#finish();
      },
      () => undefined, // the call ended first: the turn is written by close()
    );
  }

  /** The call is over: writes what is left. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeAnswerUsage(this.#options.usage?.());
    this.#finish();
    if (this.#latest) this.#options.boundary?.over(structuredClone(this.#latest));
  }

  /**
   * The latest turn's answer is over (the next final, or the call's end): it gets the TTS
   * characters and tokens used since its final. A turn already written is written again.
   */
  #closeAnswerUsage(counters: UsageCounters | undefined): void {
    const turn = this.#latest;
    const share = answerShare(this.#usageAtFinal, counters);
    if (turn === undefined || share === undefined) return;
    turn.usage = addUsage(turn.usage, share);
    if (turn !== this.#open) this.#persist();
  }

  #finish(): void {
    if (!this.#open) return;
    this.#options.observer?.turnCompleted(this.#open);
    this.#turns.push(this.#open);
    this.#open = undefined;
    this.#persist();
  }

  /** A snapshot: the turns go on changing (a late barge-in) while a write is queued. */
  #persist(): void {
    this.#options.persist(this.#turns.map((turn) => ({ ...turn })));
  }

  #callMs(): number {
    return Math.max(0, Math.round(this.#now() - this.#options.answeredAtMs));
  }
}
