/** A reply over an IPC channel: the id of the request it answers. */
export interface IpcReply {
  type: string;
  id: number;
}

export interface IpcRequesterOptions<Reply extends IpcReply> {
  /** Sends a request; false (or a throw) when the channel is closed. */
  send: (message: { type: string; id: number } & Record<string, unknown>) => boolean;
  requestType: string;
  replyType: string;
  /** The whole reply checked: undefined for a malformed one, which is ignored (the request then times out). */
  parseReply: (message: unknown) => Reply | undefined;
}

interface Pending<Reply> {
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * One end of a request/reply exchange with a forked process: numbered requests, each answered by
 * the reply carrying its id, failed after its timeout, all failed when the process goes (`close`).
 * A reply to no pending request (late, unknown or malformed) is dropped, never thrown: nothing a
 * child sends may break the supervisor.
 */
export class IpcRequester<Reply extends IpcReply> {
  readonly #options: IpcRequesterOptions<Reply>;
  readonly #pending = new Map<number, Pending<Reply>>();
  #nextId = 1;
  #closed = false;

  constructor(options: IpcRequesterOptions<Reply>) {
    this.#options = options;
  }

  get pending(): number {
    return this.#pending.size;
  }

  request(body: Record<string, unknown>, timeoutMs: number): Promise<Reply> {
    if (this.#closed) return Promise.reject(new Error('process gone'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`no ${this.#options.replyType} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      let sent = false;
      try {
        sent = this.#options.send({ ...body, type: this.#options.requestType, id });
      } catch {
        // A channel closing under us: the same as not sent.
      }
      if (!sent) this.#settle(id, new Error('IPC channel closed'));
    });
  }

  /** A message from the process: true when it had this requester's reply type (consumed here). */
  handle(message: unknown): boolean {
    const m = message as Partial<IpcReply> | null;
    if (typeof m !== 'object' || m === null || m.type !== this.#options.replyType) return false;
    const reply = this.#options.parseReply(message);
    if (reply !== undefined) this.#settle(reply.id, reply);
    return true;
  }

  /** The process exited: every pending request fails now, and later ones at once. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const id of [...this.#pending.keys()]) this.#settle(id, new Error('process gone'));
  }

  #settle(id: number, outcome: Reply | Error): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    if (outcome instanceof Error) pending.reject(outcome);
    else pending.resolve(outcome);
  }
}
