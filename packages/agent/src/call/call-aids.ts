import {
  DEFAULT_MAX_CALL_DURATION_S,
  DEFAULT_NO_INPUT_TIMEOUT_S,
  type CallJob,
  type TurnLatency,
} from '@voicebridge/protocol';
import type { Logger } from 'pino';
import type { CallConnection } from './call-connection.ts';
import type { OutboundAudio } from './outbound-audio.ts';
import { CallGuards } from '../turns/call-guards.ts';
import { TurnTimer, type TurnBoundary, type TurnObserver } from '../turns/turn-timer.ts';
import type { UsageCounters } from '../turns/turn-usage.ts';

export interface CallAidsOptions {
  job: CallJob;
  /** Epoch ms of the answer (the media's `start`). */
  answeredAtMs: number;
  /** Caller frames come from it; a guard's hangup goes through it. */
  connection: Pick<CallConnection, 'observeCallerFrames' | 'hangup'>;
  /** The agent's audio: watched, never carried. */
  audio: Pick<OutboundAudio, 'observe' | 'markAt'>;
  signal: AbortSignal;
  log: Logger;
  persistTurns: (turns: readonly TurnLatency[]) => void;
  /** The turns already in the record when this owner took the call over. */
  earlierTurns?: readonly TurnLatency[];
  /** Says `text` to the caller (a guard's reprompt or farewell); resolves once played. */
  say: (text: string) => Promise<unknown>;
  /** Sees completed turns and barge-ins (the process's metrics). */
  turnObserver?: TurnObserver;
  /** The agent kind's cumulative usage: each turn records its share. */
  usage?: () => UsageCounters;
  /** Sees where turns begin and end (the call's `call.turn` events). */
  turnBoundary?: TurnBoundary;
}

/** What every agent's call gets around the agent itself: turn timing and the call's guards. */
export interface CallAids {
  turns: TurnTimer;
  /** A caller transcript (any): input for the no-input guard. */
  onCallerTranscript(text: string): void;
  /** Idempotent: stops the guards, writes the last turn. */
  close(): void;
}

/**
 * Wires the turn timer and the guards to one call: both see each caller frame as it arrives and
 * each chunk of the agent's audio as it is queued (the guards count it as the agent talking: no
 * caller silence while it plays). Observers only: the audio does not pass through them.
 */
export function startCallAids(options: CallAidsOptions): CallAids {
  const { job, connection, audio, log } = options;
  const turns = new TurnTimer({
    answeredAtMs: options.answeredAtMs,
    signal: options.signal,
    persist: options.persistTurns,
    earlier: options.earlierTurns,
    observer: options.turnObserver,
    usage: options.usage,
    boundary: options.turnBoundary,
    outlet: { markAt: (position, signal, prefix) => audio.markAt(position, signal, prefix) },
  });
  const active = new CallGuards({
    maxCallDurationMs: (job.config.maxCallDurationS ?? DEFAULT_MAX_CALL_DURATION_S) * 1000,
    noInputTimeoutMs: (job.config.noInputTimeoutS ?? DEFAULT_NO_INPUT_TIMEOUT_S) * 1000,
    say: options.say,
    hangup: (reason) => connection.hangup(reason),
    log,
  });
  const unobserveCaller = connection.observeCallerFrames((frame) => {
    turns.onCallerFrame(frame.samples, frame.jitterDepthMs);
    active.onCallerFrame(frame.samples);
  });
  const unobserveAgent = audio.observe((samples, position) => {
    active.onAgentAudio(samples.length);
    turns.onAgentAudio(samples, position);
  });
  return {
    turns,
    onCallerTranscript: (text) => active.onTranscript(text),
    close: () => {
      unobserveCaller();
      unobserveAgent();
      active.close();
      turns.close();
    },
  };
}
