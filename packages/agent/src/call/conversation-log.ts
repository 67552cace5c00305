import { CONVERSATION_MAX_MESSAGES, type ConversationState } from '@voicebridge/protocol';
import type { ConversationRepository } from '@voicebridge/store';
import type { Logger } from 'pino';

export interface ConversationLogOptions {
  callId: string;
  /** This owner's epoch: every write is fenced by it. */
  epoch: number;
  configVersion: number;
  /** The state a previous owner left (a takeover), else a new conversation starts. */
  restored: ConversationState | undefined;
  repository: Pick<ConversationRepository, 'save'>;
  log: Logger;
  /** A write was refused: a newer owner holds the call. */
  onFenced: () => void;
}

/**
 * The owning agent's copy of a call's conversation state: fed by the transcript and the
 * marks, written to Redis after each change in order, so a new owner can go on where this one stopped.
 */
export class ConversationLog {
  readonly restored: ConversationState | undefined;
  readonly #options: ConversationLogOptions;
  #state: ConversationState;
  #writes: Promise<void> = Promise.resolve();
  #fenced = false;

  constructor(options: ConversationLogOptions) {
    this.#options = options;
    this.restored = options.restored;
    const base = options.restored ?? { messages: [], turns: 0, greeted: false, lastSaid: undefined };
    this.#state = {
      version: 1,
      callId: options.callId,
      epoch: options.epoch,
      configVersion: options.configVersion,
      turns: base.turns,
      messages: base.messages,
      lastSaid: base.lastSaid,
      greeted: base.greeted,
      updatedAtMs: Date.now(),
    };
  }

  get state(): ConversationState {
    return this.#state;
  }

  /**
   * A transcript line: the caller's starts a turn, the agent's is what the caller is told next
   * (`played` when it was written after its playout mark came back, else that mark says).
   */
  add(speaker: 'caller' | 'agent', text: string, atMs: number, played = false): void {
    const messages = [...this.#state.messages, { role: speaker, text: text.slice(0, 5000), atMs }].slice(
      -CONVERSATION_MAX_MESSAGES,
    );
    this.#update({
      messages,
      turns: this.#state.turns + (speaker === 'caller' ? 1 : 0),
      greeted: true,
      lastSaid: speaker === 'agent' ? { text: text.slice(0, 5000), played } : this.#state.lastSaid,
    });
  }

  /** The mark behind the last thing said came back: it was played out (true) or cleared (false). */
  markResult(played: boolean): void {
    const lastSaid = this.#state.lastSaid;
    if (lastSaid && lastSaid.played !== played) this.#update({ lastSaid: { ...lastSaid, played } });
  }

  /** Resolves once every write so far is done. */
  flush(): Promise<void> {
    return this.#writes;
  }

  #update(patch: Partial<ConversationState>): void {
    if (this.#fenced) return;
    this.#state = { ...this.#state, ...patch, updatedAtMs: Date.now() };
    const state = this.#state;
    this.#writes = this.#writes
      .then(async () => {
        if (this.#fenced || (await this.#options.repository.save(state))) return;
        this.#fenced = true;
        this.#options.log.warn({ epoch: state.epoch }, 'conversation write fenced: a newer owner has the call');
        this.#options.onFenced();
      })
      .catch((error: unknown) => this.#options.log.error({ err: error }, 'conversation state write failed'));
  }
}
