import { randomInt } from 'node:crypto';
import type { TerminationReason, UpdateParams } from '@voicebridge/protocol';
import {
  buildAnswer,
  parseOffer,
  type AcceptedOffer,
  type Dialog,
  type LocalMedia,
  type ServerTransaction,
  type SipMessage,
  type SipRequest,
  type SipStack,
} from '@voicebridge/sip';
import type { Logger } from 'pino';
import { DTMF_INFO_TYPES, parseInfoDtmf } from './info-dtmf.ts';
import type { MediaPool } from './media-pool.ts';
import { SessionRefresher } from './session-refresher.ts';
import {
  negotiateSessionTimer,
  sessionTimerHeaders,
  type ActiveTimer,
  type Refresher,
  type SessionTimerOffer,
} from './session-timer.ts';
import { IN_DIALOG_ACCEPT, IN_DIALOG_ALLOW, SUPPORTED } from './sip-capabilities.ts';

export interface InDialogSessionOptions {
  callId: string;
  stack: SipStack;
  dialog: Dialog;
  media: Pick<MediaPool, 'update' | 'dtmf'>;
  /** Our Contact URI for 2xx responses to target refresh requests. */
  contact: string;
  /** Our media address, port and SDP session id (o= stays the same for the whole call, RFC 3264 §8). */
  local: Omit<LocalMedia, 'sessionVersion'>;
  /** The offer accepted at the INVITE: the session as it is now. */
  offer: AcceptedOffer;
  /** The o= version of our last SDP; every new SDP we send increments it (RFC 3264 §8). */
  sdpVersion: number;
  minSeS: number;
  /** The session timer negotiated at the INVITE (as UAS), or read from the 2xx to ours (as UAC). */
  timer: SessionTimerOffer;
  /** Our role in the dialog, `uas` unless given (`uac` on a call we placed): our refreshes name it as refresher. */
  role?: Refresher;
  /** The peer's Allow at the INVITE listed UPDATE (RFC 4028 §7.4: refresh with UPDATE then). */
  remoteAllowsUpdate: boolean;
  log: Logger;
  /** Why a new offer's media address must not get our packets (media-target.ts), or undefined. */
  refuseMediaTarget: (address: string) => string | undefined;
  /** The session must end (no refresh, no ACK to a re-INVITE 2xx): the call sends BYE. */
  onEnd: (reason: TerminationReason) => void;
  /** A NOTIFY in the dialog (REFER progress, RFC 3515 §2.4.4); undefined when none is expected. */
  onNotify?: (request: SipRequest, tx: ServerTransaction) => boolean;
}

/**
 * The confirmed part of a call's SIP life: re-INVITE and UPDATE (RFC 3264 §8, RFC 3311) with hold,
 * codec and address changes applied to media, the offer/answer state that decides 491 and 500
 * (RFC 3261 §14.2, RFC 3311 §5.2), in-dialog OPTIONS, INFO DTMF and the RFC 4028 session timer.
 *
 *   Stable ── offer in re-INVITE/UPDATE ──► RemoteOffer (media update) ── 2xx with answer ──► Stable
 *   Stable ── re-INVITE without SDP ──► LocalOffer (our offer in the 2xx) ── ACK with answer ──► Stable
 *   An offer in RemoteOffer → 500 + Retry-After; in LocalOffer → 491; a bad offer → 488, session kept.
 */
export class InDialogSession {
  readonly #options: InDialogSessionOptions;
  readonly #log: Logger;
  readonly #refresher: SessionRefresher;
  #offer: AcceptedOffer;
  #sdpVersion: number;
  #remoteOffer = false;
  #localOffer = false;
  /** An incoming re-INVITE has no final response yet (RFC 3261 §14.2). */
  #inviteInProgress = false;
  #closed = false;

  constructor(options: InDialogSessionOptions) {
    this.#options = options;
    this.#log = options.log;
    this.#offer = options.offer;
    this.#sdpVersion = options.sdpVersion;
    this.#refresher = new SessionRefresher({
      stack: options.stack,
      dialog: options.dialog,
      contact: options.contact,
      remoteAllowsUpdate: options.remoteAllowsUpdate,
      role: options.role ?? 'uas',
      log: options.log,
      onExpired: () => options.onEnd('session-expired'),
      reinvite: {
        // RFC 3264 §8: the SDP of a refresh is unchanged, version included.
        sdp: () => Buffer.from(buildAnswer(this.#offer, { ...options.local, sessionVersion: this.#sdpVersion })),
        pending: (pending) => (this.#localOffer = pending),
        answered: (answer) => this.#applyAnswer(answer),
      },
    });
    this.#refresher.apply(options.timer);
  }

  /** Our direction now (`recvonly`/`inactive` while the caller holds the call). */
  get direction(): AcceptedOffer['direction'] {
    return this.#offer.direction;
  }

  get sessionTimer(): ActiveTimer | undefined {
    return this.#refresher.current;
  }

  handle(request: SipRequest, tx: ServerTransaction): void {
    if (this.#closed) return;
    const stack = this.#options.stack;
    switch (request.method) {
      case 'INVITE':
      case 'UPDATE':
        this.#receiveOffer(request, tx).catch((error: unknown) => {
          // Nothing a peer sends may crash the process: an unexpected failure is a 500.
          this.#log.error({ err: error }, `${request.method} handling failed`);
          if (!this.#closed) stack.respond(tx, 500);
        });
        return;
      case 'OPTIONS':
        stack.respond(tx, 200, {
          headers: [
            ['Allow', IN_DIALOG_ALLOW],
            ['Accept', IN_DIALOG_ACCEPT],
            ['Supported', SUPPORTED],
          ],
        });
        return;
      case 'INFO':
        void this.#receiveInfo(request, tx);
        return;
      case 'NOTIFY':
        // RFC 6665 §4.1.3: a NOTIFY for no subscription we hold gets 481.
        if (!this.#options.onNotify?.(request, tx)) stack.respond(tx, 481, { reason: 'Subscription Does Not Exist' });
        return;
      default:
        stack.respond(tx, 405, { headers: [['Allow', IN_DIALOG_ALLOW]] });
    }
  }

  /** The ACK to our 2xx for a re-INVITE: when that 2xx carried our offer, the ACK carries the answer. */
  onReinviteAck(ack: SipRequest): void {
    if (this.#closed || !this.#localOffer) return;
    this.#localOffer = false;
    const answer = this.#readSdp(ack);
    if (!answer?.ok) {
      this.#log.warn(
        { warning: answer?.warning ?? 'no SDP' },
        'the ACK carried no usable answer to our offer: session unchanged',
      );
      return;
    }
    void this.#applyMedia(answer.offer).catch((error: unknown) => {
      this.#log.error({ err: error }, 'media update for the answer in the ACK failed');
    });
  }

  close(): void {
    this.#closed = true;
    this.#refresher.close();
  }

  #applyAnswer(answer: SipMessage): void {
    const outcome = this.#readSdp(answer);
    if (!outcome?.ok) return;
    this.#applyMedia(outcome.offer).catch((error: unknown) =>
      this.#log.error({ err: error }, 'media update for the answer to our re-INVITE failed'),
    );
  }

  async #receiveOffer(request: SipRequest, tx: ServerTransaction): Promise<void> {
    const stack = this.#options.stack;
    const isInvite = request.method === 'INVITE';
    const hasSdp = request.body.length > 0;
    // RFC 3261 §14.2: a second INVITE before our final response to the first → 500 + Retry-After.
    // RFC 3311 §5.2: an offer while we still owe an answer → 500 + Retry-After; while our own offer
    // waits for an answer → 491 (glare).
    if ((isInvite && this.#inviteInProgress) || ((isInvite || hasSdp) && this.#remoteOffer)) {
      stack.respond(tx, 500, { reason: 'Server Internal Error', headers: [['Retry-After', String(randomInt(0, 11))]] });
      return;
    }
    if ((isInvite || hasSdp) && this.#localOffer) {
      stack.respond(tx, 491);
      return;
    }
    const timer = negotiateSessionTimer(request, this.#options.minSeS);
    if (timer.kind === 'too-small') {
      stack.respond(tx, 422, { headers: [['Min-SE', String(timer.minSeS)]] }); // RFC 4028 §9
      return;
    }
    if (!hasSdp) {
      if (isInvite) return this.#offerInResponse(tx, timer);
      // An UPDATE without SDP: a session refresh only (RFC 4028 §7.4).
      this.#refreshed(timer);
      stack.respondInDialog(this.#options.dialog, tx, 200, {
        contact: this.#options.contact,
        headers: sessionTimerHeaders(timer),
      });
      return;
    }
    const outcome = this.#readSdp(request);
    if (!outcome) {
      stack.respond(tx, 415, { headers: [['Accept', 'application/sdp']] });
      return;
    }
    if (!outcome.ok) {
      // RFC 3261 §14.2: a re-INVITE we cannot accept leaves the session as it was.
      this.#log.info({ warning: outcome.warning }, `${request.method} offer refused: ${outcome.status}`);
      stack.respond(tx, outcome.status, { headers: [['Warning', outcome.warning]] });
      return;
    }
    if (
      outcome.offer.crypto?.keyBase64 !== this.#offer.crypto?.keyBase64 ||
      outcome.offer.crypto?.suite !== this.#offer.crypto?.suite
    ) {
      // SDES keys are fixed for the call in media: a re-offer that adds, drops or changes them is refused.
      stack.respond(tx, 488, { headers: [['Warning', '302 voicebridge "SRTP keys cannot change within a call"']] });
      return;
    }
    this.#remoteOffer = true;
    this.#inviteInProgress = isInvite;
    try {
      await this.#applyMedia(outcome.offer);
    } catch (error) {
      this.#log.error({ err: error }, `media update for ${request.method} failed: 500, session unchanged`);
      if (!this.#closed) stack.respond(tx, 500, { headers: [['Retry-After', String(randomInt(1, 11))]] });
      return;
    } finally {
      this.#remoteOffer = false;
      this.#inviteInProgress = false;
    }
    if (this.#closed) return;
    this.#refreshed(timer);
    stack.respondInDialog(this.#options.dialog, tx, 200, {
      contact: this.#options.contact,
      headers: [['Allow', IN_DIALOG_ALLOW], ...sessionTimerHeaders(timer)],
      body: this.#sdp(this.#offer),
      contentType: 'application/sdp',
    });
    this.#log.info(
      {
        method: request.method,
        direction: this.#offer.direction,
        codec: this.#offer.codec.name,
        remote: this.#offer.remoteRtp,
      },
      'session modified',
    );
  }

  /** RFC 3264 §8 / RFC 3261 §14.2: a re-INVITE without an offer gets ours in the 2xx, the answer comes in the ACK. */
  #offerInResponse(tx: ServerTransaction, timer: SessionTimerOffer): void {
    this.#localOffer = true;
    this.#refreshed(timer);
    this.#options.stack.respondInDialog(this.#options.dialog, tx, 200, {
      contact: this.#options.contact,
      headers: [['Allow', IN_DIALOG_ALLOW], ...sessionTimerHeaders(timer)],
      body: this.#sdp({ ...this.#offer, direction: 'sendrecv' }),
      contentType: 'application/sdp',
    });
  }

  #refreshed(timer: SessionTimerOffer): void {
    this.#refresher.apply(timer);
  }

  async #receiveInfo(request: SipRequest, tx: ServerTransaction): Promise<void> {
    const stack = this.#options.stack;
    const type = contentTypeOf(request);
    if (request.body.length === 0) {
      stack.respond(tx, 200); // an empty INFO: a keep-alive some trunks send
      return;
    }
    if (request.headers.get('Info-Package') !== undefined) {
      // RFC 6086 §4.2.2: we announce no Info Package (no Recv-Info), so every one is "bad".
      stack.respond(tx, 469, { reason: 'Bad Info Package', headers: [['Recv-Info', '']] });
      return;
    }
    if (!(DTMF_INFO_TYPES as readonly string[]).includes(type)) {
      stack.respond(tx, 415, { headers: [['Accept', DTMF_INFO_TYPES.join(', ')]] });
      return;
    }
    const dtmf = parseInfoDtmf(type, request.body.toString('utf8'));
    if (!dtmf.ok) {
      stack.respond(tx, 400, { reason: `Bad DTMF: ${dtmf.reason}`.slice(0, 100) });
      return;
    }
    stack.respond(tx, 200);
    await this.#options.media
      .dtmf({ callId: this.#options.callId, digit: dtmf.digit, durationMs: dtmf.durationMs })
      .catch((error: unknown) => {
        this.#log.warn({ err: error }, 'INFO DTMF could not reach media');
      });
  }

  /** undefined: the body is not SDP. */
  #readSdp(message: SipMessage): ReturnType<typeof parseOffer> | undefined {
    if (message.body.length === 0) return undefined;
    if (contentTypeOf(message) !== 'application/sdp') return undefined;
    const outcome = parseOffer(message.body.toString('utf8'), { codecs: ['PCMU', 'PCMA'] });
    if (!outcome.ok) return outcome;
    const refused = this.#options.refuseMediaTarget(outcome.offer.remoteRtp.address);
    return refused === undefined ? outcome : { ok: false, status: 488, warning: refused };
  }

  async #applyMedia(offer: AcceptedOffer): Promise<void> {
    // The ptime we send stays the call's first: media paces one frame size per call.
    const next: AcceptedOffer = { ...offer, ptimeMs: this.#offer.ptimeMs };
    const params: UpdateParams = {
      callId: this.#options.callId,
      remoteRtp: next.remoteRtp,
      codec: next.codec,
      ptimeMs: next.ptimeMs,
      direction: next.direction,
      ...(next.telephoneEventPayloadType === undefined
        ? {}
        : { telephoneEventPayloadType: next.telephoneEventPayloadType }),
    };
    await this.#options.media.update(params);
    this.#offer = next;
  }

  #sdp(offer: AcceptedOffer): Buffer {
    this.#sdpVersion += 1;
    return Buffer.from(buildAnswer(offer, { ...this.#options.local, sessionVersion: this.#sdpVersion }));
  }
}

function contentTypeOf(message: SipMessage): string {
  return (message.headers.get('Content-Type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}
