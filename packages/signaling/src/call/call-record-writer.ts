import { VoicebridgeError, type CallRecord } from '@voicebridge/protocol';
import { parseNameAddr, type InviteServerTransaction } from '@voicebridge/sip';
import type { CallRecordPatch, CallRecordRepository } from '@voicebridge/store';
import type { Logger } from 'pino';
import type { InboundCall } from '../admission/inbound-call.ts';

/**
 * One call's record writes, in order and off the signaling path: each write starts when the one
 * before it has finished (an `ended` can never be overtaken by the `ringing` before it), and a
 * failed write is logged and tried again (RETRY_DELAYS_MS), never thrown at SIP: a record left
 * `answered` because its `ended` failed once would be swept as `bridge-restart` by the next start.
 * (While Redis is away the commands wait in ioredis's queue and complete when it returns.)
 *
 * The first record is held back until the call is admitted (`create`, or any `update`): an INVITE
 * refused before admission (404 for an unknown number, a bad request) is `discard`ed and writes
 * nothing, so a flood of them costs Redis nothing.
 */
/** Pauses between the attempts of a failed write: 7 attempts over ~16 s. */
const RETRY_DELAYS_MS = [250, 500, 1000, 2000, 4000, 8000];

export class CallRecordWriter {
  readonly #callId: string;
  readonly #records: Pick<CallRecordRepository, 'create' | 'update'>;
  readonly #log: Logger;
  #writes: Promise<void> = Promise.resolve();
  #initial: CallRecord | undefined;
  #state: 'held' | 'written' | 'discarded' = 'held';

  constructor(callId: string, records: Pick<CallRecordRepository, 'create' | 'update'>, log: Logger) {
    this.#callId = callId;
    this.#records = records;
    this.#log = log;
  }

  /** The record as the INVITE starts it, written at `create` (or the first `update`). */
  hold(record: CallRecord): void {
    this.#initial = record;
  }

  /** Writes the held record (once; nothing after `discard`). */
  create(record?: CallRecord): void {
    if (record !== undefined) this.#initial = record;
    if (this.#state !== 'held' || this.#initial === undefined) return;
    const initial = this.#initial;
    this.#state = 'written';
    this.#write(() => this.#records.create(initial));
  }

  update(patch: CallRecordPatch): void {
    if (this.#state === 'discarded') return;
    this.create();
    this.#write(() => this.#records.update(this.#callId, patch));
  }

  /** The call was refused before admission: the held record is never written, later updates neither. */
  discard(): void {
    if (this.#state === 'held') this.#state = 'discarded';
  }

  /** Resolves once every write asked for so far has finished or failed. */
  settled(): Promise<void> {
    return this.#writes;
  }

  #write(write: () => Promise<void>): void {
    this.#writes = this.#writes.then(() => this.#attempt(write));
  }

  async #attempt(write: () => Promise<void>): Promise<void> {
    for (let attempt = 0; attempt <= RETRY_DELAYS_MS.length; attempt++) {
      try {
        await write();
        return;
      } catch (error) {
        const delayMs = RETRY_DELAYS_MS[attempt];
        // A write refused for what it is (a bad patch, a record that expired) fails the same way again.
        const hopeless = error instanceof VoicebridgeError && !error.retryable;
        if (delayMs === undefined || hopeless) {
          this.#log.error({ err: error, attempts: attempt + 1 }, 'call record write failed: given up');
          return;
        }
        this.#log.warn({ err: error, retryInMs: delayMs }, 'call record write failed: trying again');
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }
}

/** The record an INVITE starts: who called whom, from where, through which trunk and diversions. */
export function initialRecord(
  call: { callId: string; sipCallId: string; invitedAtMs: number },
  tx: InviteServerTransaction,
  inbound: InboundCall,
  number: string,
  nodeId?: string,
): CallRecord {
  const to = parseNameAddr(tx.request.headers.get('To') ?? '');
  const { trunk, diversion, historyInfo, fromName } = inbound;
  return {
    version: 1,
    callId: call.callId,
    sipCallId: call.sipCallId,
    from: inbound.from,
    ...(fromName !== undefined && { fromName }),
    to: to?.uri ?? '',
    number,
    status: 'setup',
    invitedAtMs: call.invitedAtMs,
    remoteSip: { address: tx.source.address, port: tx.source.port },
    ...(nodeId !== undefined && { nodeId }),
    ...(trunk && { trunk: trunk.name }),
    ...(diversion && { diversion }),
    ...(historyInfo && { historyInfo }),
    transcript: [],
  };
}
