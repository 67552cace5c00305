import { randomInt } from 'node:crypto';
import {
  VoicebridgeError,
  type HANGUP_PARTIES,
  type MediaStats,
  type NumberConfig,
  type TerminationReason,
  type Verdict,
} from '@voicebridge/protocol';
import {
  buildAnswer,
  type AcceptedOffer,
  type LocalMedia,
  type Dialog,
  type InviteServerTransaction,
  type ServerTransaction,
  type SipRequest,
} from '@voicebridge/sip';
import { closeSteps } from '@voicebridge/runtime';
import type { Logger } from 'pino';
import { assertTransition, CallState } from './call-state.ts';
import { CallRecordWriter, initialRecord } from './call-record-writer.ts';
import { readOffer } from './read-offer.ts';
import { admissionFailure, mediaRecordFields } from './admission-failure.ts';
import type { CallDeps } from './call-deps.ts';
import { InDialogSession } from './in-dialog-session.ts';
import { ReferClient, trunkCredentials, type TransferProgress } from './refer-client.ts';
import { readInboundCall, type InboundCall } from '../admission/inbound-call.ts';
import { refuseRequest } from '../admission/request-checks.ts';
import { negotiateSessionTimer, RFC_MIN_SE_S, sessionTimerHeaders, type SessionTimerOffer } from './session-timer.ts';
import { IN_DIALOG_ALLOW, peerAllows, SUPPORTED } from './sip-capabilities.ts';
import { srtpKeysFor } from './srtp-keys.ts';
import { contactUri } from './contact-uri.ts';
import { dialogSnapshot } from './dialog-snapshot.ts';
import { callJob, hardCapMs } from './call-ending.ts';
import { ringingData } from './call-event-data.ts';

type Party = (typeof HANGUP_PARTIES)[number];
type VerdictWhy = Pick<Verdict, 'code' | 'detail'>; // an error verdict's code and one line of why

/**
 * Coordinates one inbound call: admission, the agent reservation, the dialog and the media session.
 * Each of those has its own close(); Call only decides when, and writes the record's verdict.
 */
export class Call {
  readonly callId: string;
  readonly sipCallId: string;
  readonly #tx: InviteServerTransaction;
  readonly #deps: CallDeps;
  readonly #log: Logger;
  readonly #abort = new AbortController();
  readonly #toTag: string;
  readonly #invitedAtMs = Date.now();
  readonly #onEnded: (call: Call) => void;
  readonly #inbound: InboundCall;
  #state = CallState.Admitting;
  #dialog: Dialog | undefined;
  #mediaAllocated = false;
  #answerSdp: Buffer | undefined;
  #sdpVersion = 1;
  #offer: AcceptedOffer | undefined;
  #local: Omit<LocalMedia, 'sessionVersion'> | undefined;
  #sessionTimer: SessionTimerOffer = { kind: 'none' };
  /** re-INVITE, UPDATE, INFO, OPTIONS and the session timer once the dialog exists. */
  #session: InDialogSession | undefined;
  /** Our REFERs (call transfer) once the dialog exists. */
  #refer: ReferClient | undefined;
  readonly #record: CallRecordWriter;
  /** A hangup asked for between our 2xx and its ACK, carried out at the ACK (RFC 3261 §15). */
  #pendingHangup: { by: Party; reason: TerminationReason; why: VerdictWhy } | undefined;
  /** Ends the call at maxCallDurationS + 30 s when the agent could not (call-ending.ts). */
  #hardCap: NodeJS.Timeout | undefined;
  #unadmitted = false;
  /** The config that answers the call, once found (an agent's transfer targets are checked against it). */
  numberConfig: NumberConfig | undefined;

  constructor(
    callId: string,
    tx: InviteServerTransaction,
    deps: CallDeps,
    onEnded: (call: Call) => void,
    inbound?: InboundCall,
  ) {
    this.callId = callId;
    this.#inbound = inbound ?? readInboundCall(tx.request, undefined);
    this.#tx = tx;
    this.#deps = deps;
    this.sipCallId = tx.request.headers.get('Call-ID') ?? '';
    this.#toTag = deps.stack.generateTag();
    this.#onEnded = onEnded;
    this.#log = deps.log.child({
      callId,
      sipCallId: this.sipCallId,
      ...(this.#inbound.trunk && { trunk: this.#inbound.trunk.name }),
    });
    this.#record = new CallRecordWriter(callId, deps.records, this.#log);
    tx.onCancel = () => this.#onCancel();
  }

  /** The trunk the call came from, if any (per-trunk limits count by it). */
  get trunkName(): string | undefined {
    return this.#inbound.trunk?.name;
  }

  /** The INVITE was refused before admission (bad request, unknown number): it left no record. */
  get refusedUnadmitted(): boolean {
    return this.#unadmitted;
  }

  get state(): CallState {
    return this.#state;
  }

  /** Admission through answer. Never throws: every failure becomes a SIP response and a verdict. */
  async run(): Promise<void> {
    const request = this.#tx.request;
    const { dialled, number, trunk } = this.#inbound;
    const ids = { callId: this.callId, sipCallId: this.sipCallId, invitedAtMs: this.#invitedAtMs };
    // Written once the number is known: a flood of bad or misdialled INVITEs must not write records.
    this.#record.hold(initialRecord(ids, this.#tx, this.#inbound, number ?? dialled, this.#deps.nodeId));
    const refusal = refuseRequest(request);
    if (refusal) return this.#refuseUnadmitted(refusal.status, refusal.headers);
    this.#sessionTimer = negotiateSessionTimer(request, this.#minSeS());
    if (this.#sessionTimer.kind === 'too-small') {
      // RFC 4028 §9: an interval below our minimum → 422 naming it.
      return this.#refuseUnadmitted(422, [['Min-SE', String(this.#sessionTimer.minSeS)]]);
    }
    try {
      let config = number ? await this.#deps.numbers.get(number) : undefined;
      if (!config && trunk?.defaultNumber !== undefined) config = await this.#deps.numbers.get(trunk.defaultNumber);
      if (this.#ended()) return;
      if (!config) {
        this.#log.info({ dialled, normalised: number ?? null }, 'no agent for the dialled number: 404');
        return this.#refuseUnadmitted(404, []);
      }
      this.#record.create();
      this.#deps.metrics?.admitted();
      if (!config.enabled) return this.#reject(480, 'rejected', { detail: 'number disabled' });
      this.numberConfig = config;
      const read = readOffer(request, { policy: this.#deps.mediaTargets, sipSource: this.#tx.source.address });
      if (!read.ok) {
        if (read.warning !== undefined) this.#log.info({ warning: read.warning }, `SDP offer refused: ${read.status}`);
        return this.#reject(read.status, 'rejected', { headers: read.headers, detail: read.warning });
      }
      const offer = read.offer;
      const srtp = srtpKeysFor(offer);
      const allocated = await this.#deps.media.allocate({
        srtp: srtp?.params,
        callId: this.callId,
        remoteRtp: offer.remoteRtp,
        codec: offer.codec,
        telephoneEventPayloadType: offer.telephoneEventPayloadType,
        ptimeMs: offer.ptimeMs,
        direction: offer.direction,
        ...(trunk && { rtpLatching: trunk.rtpLatching }),
        ...(config.recording?.enabled ? { recording: { retentionDays: config.recording.retentionDays } } : {}),
      });
      this.#mediaAllocated = true;
      if (this.#ended()) {
        await this.#closeMedia('caller-cancel');
        return;
      }
      this.#offer = offer;
      this.#local = {
        address: allocated.localRtp.address,
        port: allocated.localRtp.port,
        sessionId: String(randomInt(1, 2 ** 31)),
        ...(srtp ? { crypto: srtp.answer } : {}),
      };
      this.#answerSdp = Buffer.from(buildAnswer(offer, { ...this.#local, sessionVersion: this.#sdpVersion }));
      this.#record.update({
        status: 'ringing',
        agent: config.agent.kind,
        configVersion: config.configVersion,
        codec: offer.codec.name,
        ptimeMs: offer.ptimeMs,
        sdpRtp: offer.remoteRtp,
        localRtp: allocated.localRtp,
      });
      this.#transition(CallState.Ringing);
      this.#deps.stack.respond(this.#tx, 180, { toTag: this.#toTag });
      this.#deps.events?.publish(config, this.callId, 'call.ringing', ringingData(this.#inbound, this.#invitedAtMs));
      const outcome = await this.#deps.dispatcher.dispatch(
        callJob(this.callId, this.#invitedAtMs, config, offer),
        this.#deps.answerTimeoutMs,
        this.#abort.signal,
      );
      if (this.#ended()) return;
      if (outcome.decision === 'timeout') {
        const detail = outcome.claimed ? 'the agent that claimed the call did not accept it in time' : undefined;
        this.#log.warn({ timeoutMs: this.#deps.answerTimeoutMs }, `${detail ?? 'no agent claimed the call'}: 503`);
        return this.#reject(503, 'no-agent', { headers: [['Retry-After', '5']], detail });
      }
      if (outcome.decision === 'refuse') {
        this.#log.info(
          { code: outcome.code, status: outcome.sipStatus },
          `the agent refused the call: ${outcome.reason}`,
        );
        return this.#reject(outcome.sipStatus, outcome.code, { by: 'agent', detail: outcome.reason });
      }
      this.#answer();
    } catch (error) {
      if (this.#ended()) return;
      const failure = admissionFailure(error, this.#log);
      this.#reject(failure.status, failure.reason, failure);
    }
  }

  /** Ends the call from our side: BYE once answered, a final response before that. */
  async hangup(by: Party, reason: TerminationReason, why: VerdictWhy = {}): Promise<void> {
    if (this.#state === CallState.Ended) return;
    if (this.#state === CallState.Admitting || this.#state === CallState.Ringing) {
      this.#reject(reason === 'drain' ? 503 : 480, reason, { by, ...why });
      return;
    }
    if (this.#state === CallState.Answered) {
      // §15: no BYE before the ACK for our 2xx (or the transaction's timeout, which ends as no-ack).
      this.#pendingHangup ??= { by, reason, why };
      return;
    }
    // Protocol first: the BYE leaves before media is released and the record written, which wait
    // for the media worker and Redis (during an outage, until it returns).
    const bye = this.#dialog && this.#deps.stack.request(this.#dialog, 'BYE');
    await this.#finish({ by, reason, ...why });
    if ((await bye)?.kind === 'timeout') this.#log.warn('BYE got no response');
  }

  /**
   * Transfers the answered call (RFC 3515 REFER; we are the transferor) to a number or sip:/tel:
   * URI. Progress comes from the transferee's NOTIFYs; on success we hang up (`transferred`), on
   * failure the call goes on. Rejects when the call is not confirmed or a transfer is under way.
   */
  async transfer(target: string, onProgress?: (progress: TransferProgress) => void): Promise<TransferProgress> {
    if (this.#state !== CallState.Confirmed || !this.#refer)
      throw new VoicebridgeError('VB_CALL_NOT_FOUND', `call ${this.callId} is not in a confirmed dialog`);
    const outcome = await this.#refer.refer(target, onProgress);
    if (outcome.state === 'success') await this.hangup('bridge', 'transferred');
    return outcome;
  }

  /** Parent-initiated: ends the call without any SIP traffic. */
  async close(reason: TerminationReason = 'drain'): Promise<void> {
    await this.#finish({ by: 'bridge', reason });
  }

  #answer(): void {
    this.#transition(CallState.Answered);
    const contact = this.#contact();
    const request = this.#tx.request;
    this.#dialog = this.#deps.stack.accept(this.#tx, {
      toTag: this.#toTag,
      contact,
      body: this.#answerSdp ?? Buffer.alloc(0),
      contentType: 'application/sdp',
      headers: [['Allow', IN_DIALOG_ALLOW], ['Supported', SUPPORTED], ...sessionTimerHeaders(this.#sessionTimer)],
      listener: {
        onConfirmed: () => this.#onConfirmed(),
        onAckTimeout: () => {
          this.#transition(CallState.Confirmed); // the transaction timed out: a BYE is allowed now (§15)
          void this.hangup('bridge', 'no-ack');
        },
        onRequest: (req, tx) => this.#onDialogRequest(req, tx),
        onReinviteAck: (ack) => this.#session?.onReinviteAck(ack),
        onReinviteAckTimeout: () => void this.hangup('bridge', 'no-ack'),
      },
    });
    this.#dialog.credentials = trunkCredentials(this.#inbound.trunk);
    this.#refer = new ReferClient({ stack: this.#deps.stack, dialog: this.#dialog, contact, log: this.#log });
    if (this.#offer && this.#local) {
      this.#session = new InDialogSession({
        callId: this.callId,
        stack: this.#deps.stack,
        dialog: this.#dialog,
        media: this.#deps.media,
        contact,
        local: this.#local,
        offer: this.#offer,
        sdpVersion: this.#sdpVersion,
        minSeS: this.#minSeS(),
        timer: this.#sessionTimer,
        remoteAllowsUpdate: peerAllows(request, 'UPDATE'),
        log: this.#log,
        refuseMediaTarget: (address) => this.#deps.mediaTargets.refusal(address, this.#tx.source.address),
        onEnd: (reason) => void this.hangup('bridge', reason),
        onNotify: (req, tx) => this.#refer?.onNotify(req, tx) ?? false,
      });
    }
    const dialog = dialogSnapshot(this.#tx, this.#toTag, this.#dialog);
    this.#record.update({ status: 'answered', answeredAtMs: Date.now(), dialog });
    this.#deps.events?.publish(this.numberConfig, this.callId, 'call.answered', { answeredAtMs: Date.now() });
    this.#hardCap = setTimeout(() => {
      this.#log.warn({ afterMs: hardCapMs(this.numberConfig) }, 'call over its hard cap (the agent did not end it)');
      void this.hangup('bridge', 'max-duration');
    }, hardCapMs(this.numberConfig));
    this.#log.info({ sessionTimer: this.#session?.sessionTimer ?? null }, 'call answered');
  }

  /** RFC 3261 §8.1.1.8 / §18: a TCP caller gets a Contact that brings its requests back over TCP. */
  #contact(): string {
    return contactUri(this.#deps.advertisedAddress, this.#tx, this.#deps.sipPort, this.#deps.tlsPort);
  }

  #minSeS(): number {
    return this.#deps.sessionMinSeS ?? RFC_MIN_SE_S;
  }

  #onConfirmed(): void {
    if (this.#state !== CallState.Answered) return;
    this.#transition(CallState.Confirmed);
    if (this.#pendingHangup) {
      void this.hangup(this.#pendingHangup.by, this.#pendingHangup.reason, this.#pendingHangup.why);
      return;
    }
    this.#deps.media.start(this.callId, Date.now()).catch((error: unknown) => {
      this.#log.error({ err: error }, 'media start failed: ending the call');
      void this.hangup('bridge', 'media-lost');
    });
  }

  #onDialogRequest(request: SipRequest, tx: ServerTransaction): void {
    if (request.method === 'BYE') {
      this.#deps.stack.respond(tx, 200);
      void this.#finish({ by: 'caller', reason: 'caller-bye' });
      return;
    }
    if (this.#session) this.#session.handle(request, tx);
    else this.#deps.stack.respond(tx, 405, { headers: [['Allow', IN_DIALOG_ALLOW]] });
  }

  #onCancel(): void {
    if (this.#state !== CallState.Admitting && this.#state !== CallState.Ringing) return;
    // RFC 3261 §9.2: the CANCEL got its 200 from the stack; the INVITE gets 487.
    this.#deps.stack.respond(this.#tx, 487, { toTag: this.#toTag });
    void this.#finish({ by: 'caller', reason: 'caller-cancel', sipStatus: 487 });
  }

  /** Refused before admission: no record (the writer discards it); CallManager counts these instead. */
  #refuseUnadmitted(status: number, headers: [string, string][]): void {
    this.#unadmitted = true;
    this.#deps.metrics?.refused(status === 404 ? 'unknown-number' : 'bad-request');
    this.#record.discard();
    this.#reject(status, 'rejected', { headers });
  }

  #reject(
    status: number,
    reason: TerminationReason,
    options: { headers?: [string, string][]; by?: Party } & VerdictWhy = {},
  ): void {
    if (this.#state === CallState.Ended) return;
    this.#deps.stack.respond(this.#tx, status, { toTag: this.#toTag, headers: options.headers });
    const { code, detail } = options;
    void this.#finish({ by: options.by ?? 'bridge', reason, sipStatus: status, code, detail });
  }

  async #finish(verdict: Verdict): Promise<void> {
    if (this.#state === CallState.Ended) return;
    this.#transition(CallState.Ended);
    this.#abort.abort(new VoicebridgeError('VB_CLOSED', `call ended: ${verdict.reason}`));
    this.#tx.onCancel = undefined;
    clearTimeout(this.#hardCap);
    await closeSteps(this.#log, [
      ['session', () => this.#session?.close()],
      ['refer', () => this.#refer?.close()],
      ['dialog', () => this.#dialog?.close()],
    ]);
    this.#log.info({ verdict }, 'call ended');
    if (!this.#unadmitted) this.#deps.metrics?.callEnded(verdict);
    const endedAtMs = Date.now();
    // Release first, then mark the record ended: "ended" means nothing of the call is left.
    const [media] = await Promise.allSettled([
      this.#closeMedia(verdict.reason),
      this.#deps.dispatcher.withdraw(this.callId),
    ]);
    const stats = media.status === 'fulfilled' ? media.value : undefined;
    this.#record.update({ status: 'ended', endedAtMs, verdict, ...(stats && mediaRecordFields(stats)) });
    await this.#record.settled();
    this.#deps.events?.ended(this.numberConfig, this.callId);
    this.#onEnded(this);
  }

  async #closeMedia(reason: TerminationReason): Promise<MediaStats | undefined> {
    if (!this.#mediaAllocated) return undefined;
    this.#mediaAllocated = false;
    return this.#deps.media.closeCall(this.callId, reason).catch((error: unknown) => {
      this.#log.warn({ err: error }, 'media close failed');
      return undefined;
    });
  }

  #ended(): boolean {
    return this.#state === CallState.Ended;
  }

  #transition(next: CallState): void {
    assertTransition(this.#state, next);
    this.#state = next;
  }
}
