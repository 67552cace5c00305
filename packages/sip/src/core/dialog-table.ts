import { parseNameAddr, type SipRequest } from '../messages/index.ts';
import { dialogKey, type Dialog } from '../dialogs/dialog.ts';

/**
 * The stack's dialogs (RFC 3261 §12): found by an in-dialog request's Call-ID and tags (§12.2.2),
 * and forgotten when each terminates.
 */
export class DialogTable {
  readonly #dialogs = new Map<string, Dialog>();
  /** Call-ID + remote tag → dialog, to recognise an INVITE retransmitted after its transaction ended. */
  readonly #dialogsByRemote = new Map<string, Dialog>();

  get size(): number {
    return this.#dialogs.size;
  }

  /** A dialog of a call we answered: an INVITE retransmitted for it must find it again. */
  addAnswered(dialog: Dialog): void {
    this.#dialogs.set(dialog.key, dialog);
    this.#dialogsByRemote.set(`${dialog.id.callId}\u0000${dialog.id.remoteTag}`, dialog);
  }

  /** A dialog of a call we placed. */
  add(dialog: Dialog): void {
    this.#dialogs.set(dialog.key, dialog);
  }

  delete(dialog: Dialog): void {
    this.#dialogs.delete(dialog.key);
    this.#dialogsByRemote.delete(`${dialog.id.callId}\u0000${dialog.id.remoteTag}`);
  }

  /** The dialog of an in-dialog request: our tag is its To tag, the peer's its From tag. */
  find(request: SipRequest): Dialog | undefined {
    const toTag = parseNameAddr(request.headers.get('To') ?? '')?.tag;
    if (!toTag) return undefined;
    const fromTag = parseNameAddr(request.headers.get('From') ?? '')?.tag ?? '';
    const callId = request.headers.get('Call-ID') ?? '';
    return this.#dialogs.get(dialogKey({ callId, localTag: toTag, remoteTag: fromTag }));
  }

  /** The answered dialog an out-of-dialog INVITE (no To tag) created before: it is a retransmission. */
  findAnswered(invite: SipRequest): Dialog | undefined {
    const fromTag = parseNameAddr(invite.headers.get('From') ?? '')?.tag ?? '';
    return this.#dialogsByRemote.get(`${invite.headers.get('Call-ID') ?? ''}\u0000${fromTag}`);
  }

  /** Ends every dialog without sending anything. */
  close(): void {
    for (const dialog of [...this.#dialogs.values()]) dialog.close();
  }
}
