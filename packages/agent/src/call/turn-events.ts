import type { CallEventPublisher } from '@voicebridge/events';
import type { CallJob, TurnLatency } from '@voicebridge/protocol';
import type { TurnBoundary } from '../turns/turn-timer.ts';

export type TurnEventPublisher = Pick<CallEventPublisher, 'publish'>;

export interface TurnEventsOptions {
  /** Queues one `call.turn` (fire and forget: the call never waits on it). */
  publish: (data: Record<string, unknown>) => void;
  /** The number's opt-in: without it no caller or agent words leave the bridge. */
  includeTranscript: boolean;
}

interface OpenTurn {
  turn: number;
  caller: string[];
  agent: string[];
  /** Started with no caller words yet: a realtime model's transcript of them comes after its turn began. */
  awaitingCaller: boolean;
}

/** Words kept per side of one turn: a turn is one utterance and its reply, far below the event's size cap. */
const MAX_TEXT_CHARS = 4000;

/**
 * One `call.turn` per caller turn, sent when it is over (the next turn started, or the call ended):
 * the turn's figures exactly as the record's turn table has them and, with the opt-in, what the
 * caller said and what the agent said. Words are given to the turn they belong to by when they were
 * recorded: caller words recorded before a turn starts are that turn's (a cascaded agent writes the
 * final, then starts the turn); a turn that started with none takes the next caller words (a
 * realtime model transcribes the caller after its turn began); agent words go to the latest turn,
 * and the greeting to none.
 */
export class TurnEvents implements TurnBoundary {
  readonly #options: TurnEventsOptions;
  #pendingCaller: string[] = [];
  #current: OpenTurn | undefined;

  constructor(options: TurnEventsOptions) {
    this.#options = options;
  }

  /** The call's turn events, or none when its number sends no events. */
  static of(job: CallJob, publisher: TurnEventPublisher): TurnEvents | undefined {
    const events = job.config.events;
    if (events === undefined) return undefined;
    return new TurnEvents({
      publish: (data) => publisher.publish(job.config, job.callId, 'call.turn', data),
      includeTranscript: events.includeTranscript === true,
    });
  }

  /** A transcript entry as it is written to the record. */
  transcript(speaker: 'caller' | 'agent', text: string): void {
    const current = this.#current;
    if (speaker === 'agent') current?.agent.push(text);
    else if (current?.awaitingCaller && current.caller.length === 0) current.caller.push(text);
    else this.#pendingCaller.push(text);
  }

  started(turn: number): void {
    this.#current = { turn, caller: this.#pendingCaller, agent: [], awaitingCaller: this.#pendingCaller.length === 0 };
    this.#pendingCaller = [];
  }

  over(latency: TurnLatency): void {
    const words = this.#current?.turn === latency.turn ? this.#current : undefined;
    const text = this.#options.includeTranscript && {
      callerText: joined(words?.caller ?? []),
      agentText: joined(words?.agent ?? []),
    };
    this.#options.publish({ turn: latency.turn, latency, ...text });
  }
}

function joined(lines: readonly string[]): string {
  const text = lines.join(' ');
  return text.length <= MAX_TEXT_CHARS ? text : `${text.slice(0, MAX_TEXT_CHARS - 1)}…`;
}
