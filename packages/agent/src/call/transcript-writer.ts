import type { TranscriptEntry, TurnLatency } from '@voicebridge/protocol';
import type { CallRecordRepository } from '@voicebridge/store';
import type { Logger } from 'pino';

/**
 * The call record's writes from the agent, one after another in the order made: transcript lines
 * and the turn table. A failed write is logged and the call goes on (the record is a report, not
 * the call's state).
 */
export class TranscriptWriter {
  readonly #records: Pick<CallRecordRepository, 'appendTranscript' | 'update'>;
  readonly #callId: string;
  readonly #log: Logger;
  #writes: Promise<void> = Promise.resolve();

  constructor(records: Pick<CallRecordRepository, 'appendTranscript' | 'update'>, callId: string, log: Logger) {
    this.#records = records;
    this.#callId = callId;
    this.#log = log;
  }

  append(entry: TranscriptEntry): void {
    this.#writes = this.#writes
      .then(() => this.#records.appendTranscript(this.#callId, entry))
      .catch((error: unknown) => this.#log.error({ err: error }, 'transcript write failed'));
  }

  turns(list: readonly TurnLatency[]): void {
    this.#writes = this.#writes
      .then(() => this.#records.update(this.#callId, { turns: [...list] }))
      .catch((error: unknown) => this.#log.warn({ err: error }, 'turn timing write failed'));
  }

  /** Resolves once every write made so far is done. */
  flush(): Promise<void> {
    return this.#writes;
  }
}
