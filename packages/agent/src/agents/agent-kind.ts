import {
  ERROR_CODES,
  VoicebridgeError,
  type AgentRefusalCode,
  type AudioFrame,
  type ErrorCode,
  type CallJob,
  type ConversationState,
  type TerminationReason,
  type TransferProgressMessage,
  type TurnLatency,
} from '@voicebridge/protocol';
import type { Logger } from 'pino';
import type { AsyncQueue } from '../async-queue.ts';

/** A prefix naming what a mark is for (see `CallAudioOut.mark`). */
export type AudioMarkPrefix = 'm' | 't' | 'p';

/** Audio to the caller: 8 kHz PCM, bounded and paced to playout by the call (docs/agents.md). */
export interface CallAudioOut {
  /** Queues audio; resolves once the call's queue is below its high-water mark (back-pressure: await it). */
  write(samples: Int16Array): Promise<void>;
  /**
   * Queues a mark behind everything written so far; resolves true once all of it left media's
   * socket (nothing is queued any more on either side), false if it was cleared. `m` (default)
   * ends an utterance, `p` tracks a reply's progress for barge-in, `t` is the turn timer's.
   */
  mark(signal: AbortSignal, prefix?: AudioMarkPrefix): Promise<boolean>;
  /** Barge-in: drops everything queued, here and in media; pending marks resolve false. */
  clear(): void;
  /** Samples dropped because the call's queue was full (its bound, 60 s by default). */
  readonly dropped: number;
}

/** The stages of the caller's turns an agent reports; the call times them (`TurnTimer`). */
export interface CallTurns {
  /** A final transcript: a caller turn starts. */
  heard(): void;
  /** The answer to it started (first model token, scripted answer chosen). */
  answering(): void;
  /** How the answer started when it was requested before the final (see `TurnTimer.early`). */
  early(info: { requestAtEpochMs?: number; restarts?: number; firstTokenEarlierMs?: number }): void;
  /** The early answer released into the turn failed before its first token: a new request answers. */
  earlyFailed(): void;
  /** The caller talked over the reply. */
  interrupted(): void;
  /** What stopped the reply was only noise or a backchannel: it resumed. */
  falseBargeIn(): void;
  /** An engine (STT, LLM, TTS) failed on this turn: counted by provider (a fixed adapter name). */
  failed(provider: string): void;
  /** Every turn timed so far (after a takeover, the previous owner's too). */
  readonly turns: readonly TurnLatency[];
}

export interface PrepareOptions {
  /** Check now, open the sockets later (`AgentKind.connect`, at the answer of a call we placed). */
  deferConnect?: boolean;
}

/** What one call gives its agent kind: the only way a kind reaches the caller, media and the record. */
export interface CallContext {
  readonly job: CallJob;
  /** Aborted when the call ends here (either side hung up, a newer owner, the worker shutting down). */
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** The pause before a greeting (the caller's phone may still be connecting its audio). */
  readonly greetingDelayMs: number;
  /** The caller's audio, 20 ms frames of 8 kHz PCM; bounded (oldest dropped), ends with the call. */
  readonly callerAudio: AsyncQueue<Int16Array>;
  /**
   * Sees each caller frame as it arrives, before it is queued (voice activity, barge-in). With
   * `replay` (called before the kind's first await), first the frames that came before the kind ran:
   * at most 5 s of them, the older ones dropped and counted in `callerFramesDroppedEarly`.
   */
  observeCallerFrames(observer: (frame: AudioFrame) => void, options?: { replay?: boolean }): () => void;
  /** Caller frames that came before the kind ran and were over the 5 s `replay` keeps. */
  readonly callerFramesDroppedEarly: number;
  readonly audio: CallAudioOut;
  readonly turns: CallTurns;
  /** Whether the call negotiated RFC 4733 key presses. */
  readonly telephoneEvent: boolean | undefined;
  /** The caller holds the call: no caller audio comes until it is resumed. */
  readonly held: boolean;
  /** Presses keys towards the caller (RFC 4733). */
  sendDtmf(digits: string, durationMs?: number): void;
  /** Asks for a transfer (REFER) to a target the number allows; resolves with the outcome. */
  transfer(
    target: string,
    signal: AbortSignal,
    options?: { timeoutMs?: number; onProgress?: (progress: TransferProgressMessage) => void },
  ): Promise<TransferProgressMessage>;
  /** Ends the call from our side (signaling sends BYE with this verdict). */
  hangup(reason: TerminationReason): void;
  /**
   * Appends to the record's transcript and the conversation state, timed from the answer.
   * `played`: an agent line written once its audio was played out. `cut`: an interrupted reply's
   * words the caller never heard (the record keeps them beside the heard text; the history does not).
   */
  transcript(speaker: 'caller' | 'agent', text: string, played?: boolean, cut?: string): void;
}

/**
 * A kind's refusal of a call in `prepare`: the caller gets `sipStatus` (the code's own unless given),
 * the record `code` and the reason (the message: names a variable or a host, never a secret).
 */
export class AgentRefusal extends Error {
  readonly code: ErrorCode;
  readonly sipStatus: number;
  readonly #verdict: AgentRefusalCode | undefined;

  constructor(
    code: ErrorCode,
    reason: string,
    sipStatus: number = ERROR_CODES[code].sipStatus,
    verdict?: AgentRefusalCode,
  ) {
    super(reason);
    this.name = 'AgentRefusal';
    this.code = code;
    this.sipStatus = sipStatus;
    this.#verdict = verdict;
  }

  /** The record's verdict: the kind's own when it gave one, else `agent-misconfigured` for a config error. */
  get verdict(): AgentRefusalCode {
    return this.#verdict ?? (this.code === 'VB_CONFIG_INVALID' ? 'agent-misconfigured' : 'agent-refused');
  }

  /** What refusing for `error` means: its own code when it is a bridge error, else an engine failure. */
  static from(error: unknown): AgentRefusal {
    if (error instanceof AgentRefusal) return error;
    const reason = error instanceof Error ? error.message : String(error);
    return error instanceof VoicebridgeError
      ? new AgentRefusal(error.code, reason, error.sipStatus)
      : new AgentRefusal('VB_ENGINE_FAILED', reason);
  }
}

/** What a kind used on one call, logged when it ends (counts only; never content). */
export type AgentUsage = Readonly<Record<string, number>>;

/**
 * One call's agent of one kind (echo, scripted, llm…): made by its factory when a worker claims
 * the call, driven by `AgentCall` through these hooks and nothing else.
 */
export interface AgentKind {
  /**
   * Before the call is answered: connect to whatever the call needs (a bot, a model, a key).
   * Resolve to accept the call; throw `AgentRefusal` to refuse it (any other error refuses it too,
   * as a failure of ours). With `deferConnect` (a call we place, prepared before its INVITE and
   * perhaps minutes of ringing) only what needs no socket is checked — config, keys, the URL
   * policy — and `connect` opens the sockets once the callee answers.
   */
  prepare(signal: AbortSignal, options?: PrepareOptions): Promise<void>;
  /**
   * The sockets a `prepare` with `deferConnect` left closed, opened at the answer; throws as
   * `prepare` would (an `AgentRefusal` gives the call its verdict). Kinds without sockets omit it.
   */
  connect?(signal: AbortSignal): Promise<void>;
  /** A new call, from its answer: greet, converse; resolves when this kind is done talking. */
  run(call: CallContext): Promise<void>;
  /** A call taken over from an owner that died or handed it back (ADR 0010), from its saved state. */
  resume(call: CallContext, state: ConversationState): Promise<void>;
  /** A key the caller pressed (already in the transcript). */
  onDtmf?(digit: string, durationMs: number): void;
  /** The caller put the call on hold (true) or took it off. */
  onHold?(held: boolean): void;
  /**
   * Says a line of the bridge's own (a guard's "Are you still there?", its farewell) in this
   * kind's voice; resolves once played. Without it the guards end calls without a word.
   */
  say?(call: CallContext, text: string): Promise<unknown>;
  /** What this call used so far, for the log (tokens, characters synthesised…). */
  usage?(): AgentUsage;
  /** Idempotent: releases what `prepare` and `run` opened. Sends nothing to the caller. */
  close(reason: string): void;
}

/** Makes a kind's agent for one claimed call; everything the kind needs beyond the job is given at registration. */
export type AgentKindFactory = (job: CallJob, log: Logger) => AgentKind;
