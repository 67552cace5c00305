import type { TerminationReason } from '@voicebridge/protocol';
import type {
  AcceptedOffer,
  Dialog,
  LocalMedia,
  ServerTransaction,
  SipRequest,
  SipResponse,
  SipStack,
} from '@voicebridge/sip';
import type { Logger } from 'pino';
import type { CallDeps } from '../call/call-deps.ts';
import { InDialogSession } from '../call/in-dialog-session.ts';
import { ReferClient, type TransferProgress } from '../call/refer-client.ts';
import { sessionTimerOfAnswer } from '../call/session-timer.ts';
import { peerAllows } from '../call/sip-capabilities.ts';

export interface OutboundDialogOptions {
  callId: string;
  stack: SipStack;
  dialog: Dialog;
  /** The 2xx that answered our INVITE. */
  response: SipResponse;
  media: CallDeps['media'];
  contact: string;
  local: Omit<LocalMedia, 'sessionVersion'>;
  /** The callee's answer, applied to media. */
  remote: AcceptedOffer;
  minSeS: number;
  log: Logger;
  refuseMediaTarget: (address: string) => string | undefined;
  /** The callee sent BYE (already answered 200). */
  onRemoteBye: () => void;
  /** The session must end from our side (no refresh, no ACK to our re-INVITE's 2xx): the call sends BYE. */
  onEnd: (reason: TerminationReason) => void;
}

/**
 * The confirmed dialog of a call we placed: the same in-dialog life as an inbound call's — the
 * callee's re-INVITE/UPDATE/INFO/OPTIONS (InDialogSession), our REFER and its NOTIFYs
 * (ReferClient), the callee's BYE. One `close()`, which sends nothing.
 */
export class OutboundDialog {
  readonly #options: OutboundDialogOptions;
  readonly #session: InDialogSession;
  readonly #refer: ReferClient;
  #closed = false;

  constructor(options: OutboundDialogOptions) {
    this.#options = options;
    const { dialog, stack, contact, log } = options;
    this.#refer = new ReferClient({ stack, dialog, contact, log });
    this.#session = new InDialogSession({
      callId: options.callId,
      stack,
      dialog,
      media: options.media,
      contact,
      local: options.local,
      offer: options.remote,
      sdpVersion: 1,
      minSeS: options.minSeS,
      // RFC 4028 §7.2: the 2xx names the interval and who refreshes; `uac` is us, in the dialog and in
      // every refresh we send.
      timer: sessionTimerOfAnswer(options.response),
      role: 'uac',
      remoteAllowsUpdate: peerAllows(options.response, 'UPDATE'),
      log,
      refuseMediaTarget: options.refuseMediaTarget,
      onEnd: options.onEnd,
      onNotify: (req, tx) => this.#refer.onNotify(req, tx),
    });
    dialog.listener = {
      onConfirmed: () => undefined,
      onAckTimeout: () => undefined,
      onRequest: (req, tx) => this.#onRequest(req, tx),
      onReinviteAck: (ack) => this.#session.onReinviteAck(ack),
      onReinviteAckTimeout: () => options.onEnd('no-ack'),
    };
  }

  get sessionTimer(): InDialogSession['sessionTimer'] {
    return this.#session.sessionTimer;
  }

  transfer(target: string, onProgress?: (progress: TransferProgress) => void): Promise<TransferProgress> {
    return this.#refer.refer(target, onProgress);
  }

  /** Our BYE; the dialog stays open until `close()`. */
  bye(): ReturnType<SipStack['request']> {
    return this.#options.stack.request(this.#options.dialog, 'BYE');
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#session.close();
    this.#refer.close();
    this.#options.dialog.close();
  }

  #onRequest(request: SipRequest, tx: ServerTransaction): void {
    if (this.#closed) return;
    if (request.method === 'BYE') {
      this.#options.stack.respond(tx, 200);
      this.#options.onRemoteBye();
      return;
    }
    this.#session.handle(request, tx);
  }
}
