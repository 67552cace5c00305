import { randomInt } from 'node:crypto';
import {
  dialVerdictOfStatus,
  parseSipReason,
  VoicebridgeError,
  type CallJob,
  type DialOutcome,
  type DialRequest,
  type DialVerdict,
  type CallRecord,
  type HANGUP_PARTIES,
  type MediaStats,
  type NumberConfig,
  type TerminationReason,
  type Verdict,
} from '@voicebridge/protocol';
import {
  buildOffer,
  formatHost,
  generateCallId,
  parseOffer,
  type AcceptedOffer,
  type Dialog,
  type LocalMedia,
  type ServerTransaction,
  type SipMessage,
  type SipRequest,
  type UacInvite,
  type UacOutcome,
} from '@voicebridge/sip';
import { closeSteps } from '@voicebridge/runtime';
import type { Logger } from 'pino';
import { mediaRecordFields } from '../call/admission-failure.ts';
import type { CallDeps } from '../call/call-deps.ts';
import { hardCapMs } from '../call/call-ending.ts';
import { CallRecordWriter } from '../call/call-record-writer.ts';
import { InDialogSession } from '../call/in-dialog-session.ts';
import { ReferClient, type TransferProgress } from '../call/refer-client.ts';
import { IN_DIALOG_ALLOW, SUPPORTED } from '../call/sip-capabilities.ts';
import type { DialHooks, OutboundTarget } from './dial-request.ts';
import { assertOutboundTransition, OutboundState } from './outbound-state.ts';

type Party = (typeof HANGUP_PARTIES)[number];
type VerdictWhy = Pick<Verdict, 'code' | 'detail'>;

/** RFC 4733 payload type we offer for DTMF. */
const TELEPHONE_EVENT_PT = 101;
const PTIME_MS = 20;

/**
 * Coordinates one call we place: the agent claimed and prepared first (no answered call without an
 * agent), media allocated for our offer, the INVITE (UacInvite), the ring timeout's CANCEL, then —
 * once answered — the same in-dialog life as an inbound call (BYE either way, re-INVITE/UPDATE,
 * REFER, the record). Each part has its own close(); this decides when, and writes the verdict.
 */
export class OutboundCall {
  readonly callId: string;
  readonly sipCallId: string;
  readonly #request: DialRequest;
  readonly #resolveTarget: () => Promise<OutboundTarget>;
  #resolvedTarget: OutboundTarget | undefined;
  readonly #deps: CallDeps;
  readonly #log: Logger;
  readonly #abort = new AbortController();
  readonly #onEnded: (call: OutboundCall) => void;
  readonly #record: CallRecordWriter;
  readonly #createdAtMs = Date.now();
  #state = OutboundState.Preparing;
  #uac: UacInvite | undefined;
  #dialog: Dialog | undefined;
  #mediaAllocated = false;
  #local: Omit<LocalMedia, 'sessionVersion'> | undefined;
  #remote: AcceptedOffer | undefined;
  #session: InDialogSession | undefined;
  #refer: ReferClient | undefined;
  #ringTimer: NodeJS.Timeout | undefined;
  #hardCap: NodeJS.Timeout | undefined;
  #ringTimedOut = false;
  /** The first 1xx (180/183): ring time counts from it. */
  #ringingAtMs: number | undefined;
  #cancelledBy: 'operator' | 'drain' | undefined;
  numberConfig: NumberConfig | undefined;

  constructor(
    request: DialRequest,
    resolveTarget: () => Promise<OutboundTarget>,
    deps: CallDeps,
    onEnded: (call: OutboundCall) => void,
  ) {
    this.callId = request.callId;
    this.sipCallId = generateCallId(deps.advertisedAddress);
    this.#request = request;
    this.#resolveTarget = resolveTarget;
    this.#deps = deps;
    this.#onEnded = onEnded;
    this.#log = deps.log.child({
      callId: this.callId,
      sipCallId: this.sipCallId,
      direction: 'outbound',
      trunk: request.trunk,
    });
    this.#record = new CallRecordWriter(this.callId, deps.records, this.#log);
  }

  get trunkName(): string {
    return this.#request.trunk;
  }

  /** Never refused before admission: every dial leaves a record. */
  get refusedUnadmitted(): boolean {
    return false;
  }

  get state(): OutboundState {
    return this.#state;
  }

  /** Places the call; resolves at the answer or the end. Never throws: a failure is an outcome. */
  async run(hooks: DialHooks = {}): Promise<DialOutcome> {
    const onAbort = (): void => void this.#cancel('operator');
    hooks.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.#place(hooks);
    } catch (error) {
      if (this.#ended()) return this.#outcomeOfEnd(); // the abort of an await by a close or a cancel
      this.#log.error({ err: error }, 'outbound call failed');
      const detail = error instanceof Error ? error.message.slice(0, 300) : 'internal failure';
      return this.#fail('failed', { detail, code: error instanceof VoicebridgeError ? error.code : undefined });
    } finally {
      hooks.signal?.removeEventListener('abort', onAbort);
    }
  }

  async #place(hooks: DialHooks): Promise<DialOutcome> {
    const request = this.#request;
    this.#record.create(this.#initialRecord());
    if (hooks.signal?.aborted) return this.#fail('cancelled', { by: 'bridge' });
    try {
      this.#resolvedTarget = await this.#resolveTarget();
    } catch (error) {
      const detail = error instanceof Error ? error.message : 'no route for the call';
      return this.#fail('failed', { detail, code: error instanceof VoicebridgeError ? error.code : undefined });
    }
    const { destination } = this.#target;
    this.#record.update({ remoteSip: { address: destination.address, port: destination.port } });
    const config = await this.#deps.numbers.get(request.number);
    if (!config || !config.enabled) {
      const detail = `number ${request.number} is ${config ? 'disabled' : 'not configured'}`;
      return this.#fail('failed', { detail });
    }
    this.numberConfig = config;
    const allocated = await this.#deps.media.allocate({
      callId: this.callId,
      // Unknown until the answer: port 0 sends nothing (RFC 3264 §5.1), and media sends only to a
      // source that latched anyway. The answer's SDP updates it.
      remoteRtp: { address: '0.0.0.0', port: 0 },
      codec: { name: 'PCMU', payloadType: 0 },
      telephoneEventPayloadType: TELEPHONE_EVENT_PT,
      ptimeMs: PTIME_MS,
      direction: 'sendrecv',
      ...(config.recording?.enabled ? { recording: { retentionDays: config.recording.retentionDays } } : {}),
    });
    this.#mediaAllocated = true;
    if (this.#ended()) return this.#outcomeOfEnd();
    this.#local = {
      address: allocated.localRtp.address,
      port: allocated.localRtp.port,
      sessionId: String(randomInt(1, 2 ** 31)),
    };
    this.#record.update({
      agent: config.agent.kind,
      configVersion: config.configVersion,
      localRtp: allocated.localRtp,
    });
    // The agent is claimed and prepared before the INVITE leaves: a callee never answers silence.
    const decision = await this.#deps.dispatcher.dispatch(
      this.#job(config),
      this.#deps.answerTimeoutMs,
      this.#abort.signal,
    );
    if (this.#ended()) return this.#outcomeOfEnd();
    if (decision.decision === 'timeout') return this.#fail('failed', { detail: 'no agent claimed the call in time' });
    if (decision.decision === 'refuse')
      return this.#fail('failed', { detail: `the agent refused the call: ${decision.reason}`.slice(0, 300) });
    await hooks.onInviteSending?.();
    if (this.#ended()) return this.#outcomeOfEnd();
    return await this.#invite();
  }

  async #invite(): Promise<DialOutcome> {
    const request = this.#request;
    const local = this.#local as Omit<LocalMedia, 'sessionVersion'>;
    const offer = buildOffer({
      ...local,
      sessionVersion: 1,
      codecs: ['PCMU', 'PCMA'],
      telephoneEventPayloadType: TELEPHONE_EVENT_PT,
      ptimeMs: PTIME_MS,
    });
    const target = this.#target;
    const host = formatHost(this.#deps.advertisedAddress);
    const transport = target.destination.transport;
    const contact =
      transport === 'tls'
        ? `sip:${host}:${this.#deps.tlsPort ?? this.#deps.sipPort};transport=tls`
        : `sip:${host}:${this.#deps.sipPort}${transport === 'tcp' ? ';transport=tcp' : ''}`;
    this.#transition(OutboundState.Calling);
    this.#uac = this.#deps.stack.dial({
      requestUri: target.requestUri,
      from: `<sip:${target.fromUser ?? request.callerId}@${host}>;tag=${this.#deps.stack.generateTag()}`,
      to: `<${target.requestUri}>`,
      callId: this.sipCallId,
      contact,
      destination: target.destination,
      ...(target.routes && { routes: target.routes }),
      headers: [
        ['Allow', IN_DIALOG_ALLOW],
        ['Supported', SUPPORTED],
      ],
      body: Buffer.from(offer),
      contentType: 'application/sdp',
      ...(target.credentials && { credentials: target.credentials }),
      listener: { onProvisional: (response) => this.#onProvisional(response) },
    });
    this.#ringTimer = setTimeout(() => {
      this.#ringTimedOut = true;
      this.#log.info({ ringTimeoutS: request.ringTimeoutS }, 'ring timeout: cancelling');
      this.#uac?.cancel('SIP;cause=480;text="No answer"');
    }, request.ringTimeoutS * 1000);
    if (this.#cancelledBy) this.#uac.cancel();
    const outcome = await this.#uac.outcome;
    clearTimeout(this.#ringTimer);
    return this.#settle(outcome, contact);
  }

  #onProvisional(response: SipMessage & { status: number }): void {
    if (this.#ended()) return;
    if (this.#state === OutboundState.Calling) {
      this.#ringingAtMs = Date.now();
      this.#transition(OutboundState.Ringing);
      this.#record.update({ status: 'ringing' });
    }
    // Early media (183 with SDP, RFC 3960): media learns the callee's address now, so the first
    // words after the answer are not lost to a late latch.
    const remote = this.#readSdp(response);
    if (remote && !this.#remote) {
      this.#remote = remote;
      void this.#deps.media.update(this.#updateParams(remote)).catch((error: unknown) => {
        this.#log.warn({ err: error }, 'media update for early media failed');
      });
    }
  }

  async #settle(outcome: UacOutcome, contact: string): Promise<DialOutcome> {
    const attempts = this.#uac?.attempts ?? 1;
    if (outcome.kind === 'answered') return this.#answered(outcome.dialog, outcome.response, contact, attempts);
    if (outcome.kind === 'cancelled') {
      if (outcome.crossed) this.#log.info('a 200 crossed our CANCEL: ACKed and sent BYE');
      const verdict: DialVerdict = this.#ringTimedOut && !this.#cancelledBy ? 'no-answer' : 'cancelled';
      const status = outcome.crossed ? undefined : outcome.response?.status;
      return this.#fail(verdict, { by: 'bridge', status, attempts });
    }
    if (outcome.kind === 'timeout') {
      const detail = outcome.provisional ? 'no final response after our CANCEL' : 'no response to the INVITE';
      return this.#fail(this.#ringTimedOut ? 'no-answer' : 'failed', { by: 'bridge', detail, attempts });
    }
    const { status } = outcome.response;
    return this.#fail(dialVerdictOfStatus(status) as Exclude<DialVerdict, 'answered'>, {
      by: 'caller',
      status,
      reason: outcome.response.headers.get('Reason'),
      attempts,
    });
  }

  async #answered(dialog: Dialog, response: SipMessage, contact: string, attempts: number): Promise<DialOutcome> {
    if (this.#ended()) {
      // Closed (shutdown) while the 2xx was on its way: the dialog gets its BYE.
      void this.#deps.stack.request(dialog, 'BYE').finally(() => dialog.close());
      return this.#outcomeOfEnd();
    }
    this.#dialog = dialog;
    this.#transition(OutboundState.Answered);
    const remote = this.#readSdp(response) ?? this.#remote;

    dialog.listener = {
      onConfirmed: () => undefined,
      onAckTimeout: () => undefined,
      onRequest: (req, tx) => this.#onDialogRequest(req, tx),
      onReinviteAck: (ack) => this.#session?.onReinviteAck(ack),
      onReinviteAckTimeout: () => void this.hangup('bridge', 'no-ack'),
    };
    dialog.credentials = this.#target.credentials;
    this.#refer = new ReferClient({ stack: this.#deps.stack, dialog, contact, log: this.#log });
    if (!remote) {
      this.#log.warn('the 2xx carried no usable SDP answer: BYE');
      const failed = this.#dialOutcome('failed', { status: 200, attempts, detail: 'no usable SDP answer in the 2xx' });
      this.#record.update({ dial: failed });
      await this.hangup('bridge', 'error', { code: 'VB_BAD_MESSAGE', detail: 'no usable SDP answer in the 2xx' });
      return failed;
    }
    this.#remote = remote;
    try {
      await this.#deps.media.update(this.#updateParams(remote));
    } catch (error) {
      // The dialog exists: the callee gets its BYE, the dial still counts as answered.
      this.#log.error({ err: error }, 'media update for the answer failed: BYE');
      await this.hangup('bridge', 'media-lost');
      return this.#dialOutcome('answered', { status: 200, attempts });
    }
    this.#session = new InDialogSession({
      callId: this.callId,
      stack: this.#deps.stack,
      dialog,
      media: this.#deps.media,
      contact,
      local: this.#local as Omit<LocalMedia, 'sessionVersion'>,
      offer: remote,
      sdpVersion: 1,
      minSeS: this.#deps.sessionMinSeS ?? 90,
      timer: { kind: 'none' },
      remoteAllowsUpdate: false,
      log: this.#log,
      refuseMediaTarget: (address) => this.#deps.mediaTargets.refusal(address, this.#target.destination.address),
      onEnd: (reason) => void this.hangup('bridge', reason),
      onNotify: (req, tx) => this.#refer?.onNotify(req, tx) ?? false,
    });
    const answered = this.#dialOutcome('answered', { status: 200, attempts });
    this.#record.update({
      status: 'answered',
      dial: answered,
      answeredAtMs: Date.now(),
      codec: remote.codec.name,
      ptimeMs: remote.ptimeMs,
      sdpRtp: remote.remoteRtp,

      dialog: {
        local: dialog.localHeader,
        remote: dialog.remoteHeader,
        remoteTarget: dialog.remoteTarget,
        routeSet: [...dialog.routeSet],
        transport: this.#target.destination.transport,
      },
    });
    this.#hardCap = setTimeout(() => void this.hangup('bridge', 'max-duration'), hardCapMs(this.numberConfig));
    this.#deps.media.start(this.callId, Date.now()).catch((error: unknown) => {
      this.#log.error({ err: error }, 'media start failed: ending the call');
      void this.hangup('bridge', 'media-lost');
    });
    this.#log.info({ dial: answered, codec: remote.codec.name }, 'outbound call answered');
    return answered;
  }

  /** Ends the call from our side: BYE once answered, CANCEL (per §9.1) before. */
  async hangup(by: Party, reason: TerminationReason, why: VerdictWhy = {}): Promise<void> {
    if (this.#ended()) return;
    if (this.#state !== OutboundState.Answered) {
      void this.#cancel(reason === 'drain' ? 'drain' : 'operator');
      return;
    }
    const bye = this.#dialog && this.#deps.stack.request(this.#dialog, 'BYE');
    await this.#finish({ by, reason, ...why });
    if ((await bye)?.kind === 'timeout') this.#log.warn('BYE got no response');
  }

  async transfer(target: string, onProgress?: (progress: TransferProgress) => void): Promise<TransferProgress> {
    if (this.#state !== OutboundState.Answered || !this.#refer)
      throw new VoicebridgeError('VB_CALL_NOT_FOUND', `call ${this.callId} is not in a confirmed dialog`);
    const outcome = await this.#refer.refer(target, onProgress);
    if (outcome.state === 'success') await this.hangup('bridge', 'transferred');
    return outcome;
  }

  /** Parent-initiated: ends the call without any SIP traffic. */
  async close(reason: TerminationReason = 'drain'): Promise<void> {
    await this.#finish({ by: 'bridge', reason });
  }

  async #cancel(by: 'operator' | 'drain'): Promise<void> {
    if (this.#ended() || this.#state === OutboundState.Answered) return;
    this.#cancelledBy ??= by;
    if (this.#uac) {
      this.#uac.cancel(by === 'drain' ? 'SIP;cause=503;text="Shutting down"' : undefined);
      return;
    }
    // Before the INVITE: nothing left the bridge; the preparation stops at its next await.
    const cancelled = this.#dialOutcome('cancelled', { attempts: 0, detail: `${by} before the INVITE` });
    this.#record.update({ dial: cancelled });
    await this.#finish({ by: 'bridge', reason: 'cancelled' });
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

  async #fail(
    verdict: Exclude<DialVerdict, 'answered'>,
    options: { by?: Party; status?: number; reason?: string; attempts?: number; detail?: string } & VerdictWhy = {},
  ): Promise<DialOutcome> {
    const outcome = this.#dialOutcome(verdict, options);
    this.#log.info({ dial: outcome }, `outbound call not answered: ${verdict}`);
    this.#record.update({ dial: outcome });
    await this.#finish({
      by: options.by ?? 'bridge',
      reason: verdict,
      ...(options.status !== undefined && { sipStatus: options.status }),
      ...(options.detail !== undefined && { detail: options.detail }),
      ...(options.code !== undefined && { code: options.code }),
    });
    return outcome;
  }

  #dialOutcome(
    verdict: DialVerdict,
    options: { status?: number; reason?: string; attempts?: number; detail?: string },
  ): DialOutcome {
    const reason = parseSipReason(options.reason);
    return {
      verdict,
      attempts: options.attempts ?? this.#uac?.attempts ?? 0,
      ...(options.status !== undefined && { finalStatus: options.status }),
      ...(reason !== undefined && { reason }),
      ...(this.#ringingAtMs !== undefined && { ringMs: Date.now() - this.#ringingAtMs }),
      ...(options.detail !== undefined && { detail: options.detail.slice(0, 500) }),
    };
  }

  /** The outcome of a call that ended (closed, cancelled) while it was being prepared. */
  #outcomeOfEnd(): DialOutcome {
    return { verdict: 'cancelled', attempts: this.#uac?.attempts ?? 0 };
  }

  async #finish(verdict: Verdict): Promise<void> {
    if (this.#ended()) return;
    this.#transition(OutboundState.Ended);
    this.#abort.abort(new VoicebridgeError('VB_CLOSED', `call ended: ${verdict.reason}`));
    clearTimeout(this.#ringTimer);
    clearTimeout(this.#hardCap);
    this.#uac?.close();
    await closeSteps(this.#log, [
      ['session', () => this.#session?.close()],
      ['refer', () => this.#refer?.close()],
      ['dialog', () => this.#dialog?.close()],
    ]);
    this.#log.info({ verdict }, 'call ended');
    this.#deps.metrics?.callEnded(verdict);
    const endedAtMs = Date.now();
    const [media] = await Promise.allSettled([
      this.#closeMedia(verdict.reason),
      this.#deps.dispatcher.withdraw(this.callId),
    ]);
    const stats = media.status === 'fulfilled' ? media.value : undefined;
    this.#record.update({ status: 'ended', endedAtMs, verdict, ...(stats && mediaRecordFields(stats)) });
    await this.#record.settled();
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

  #readSdp(message: SipMessage): AcceptedOffer | undefined {
    if (message.body.length === 0) return undefined;
    const type = (message.headers.get('Content-Type') ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/sdp') return undefined;
    const read = parseOffer(message.body.toString('utf8'), { codecs: ['PCMU', 'PCMA'] });
    if (!read.ok) {
      this.#log.info({ warning: read.warning }, 'SDP answer unusable');
      return undefined;
    }
    const refused = this.#deps.mediaTargets.refusal(read.offer.remoteRtp.address, this.#target.destination.address);
    if (refused !== undefined) {
      this.#log.warn({ warning: refused }, 'SDP answer names a media address we refuse');
      return undefined;
    }
    return read.offer;
  }

  #updateParams(remote: AcceptedOffer) {
    return {
      callId: this.callId,
      remoteRtp: remote.remoteRtp,
      codec: remote.codec,
      ptimeMs: PTIME_MS,
      direction: remote.direction,
      ...(remote.telephoneEventPayloadType !== undefined && {
        telephoneEventPayloadType: remote.telephoneEventPayloadType,
      }),
    };
  }

  #job(config: NumberConfig): CallJob {
    return {
      version: 1,
      callId: this.callId,
      number: config.number,
      config,
      codec: 'PCMU',
      sampleRateHz: 8000,
      ptimeMs: PTIME_MS,
      invitedAtMs: this.#createdAtMs,
      direction: 'outbound',
    };
  }

  #initialRecord(): CallRecord {
    const request = this.#request;
    return {
      version: 1,
      callId: this.callId,
      sipCallId: this.sipCallId,
      from: request.callerId,
      to: request.destination,
      number: request.number,
      status: 'setup',
      invitedAtMs: this.#createdAtMs,
      direction: 'outbound',
      ...(this.#deps.nodeId !== undefined && { nodeId: this.#deps.nodeId }),
      trunk: request.trunk,
      ...(Object.keys(request.metadata).length > 0 && { metadata: request.metadata }),
      transcript: [],
    };
  }

  /** Set before the INVITE is built; read only after that. */
  get #target(): OutboundTarget {
    if (!this.#resolvedTarget) throw new Error('outbound call: no target yet');
    return this.#resolvedTarget;
  }

  #ended(): boolean {
    return this.#state === OutboundState.Ended;
  }

  #transition(next: OutboundState): void {
    assertOutboundTransition(this.#state, next);
    this.#state = next;
  }
}
