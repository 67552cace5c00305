import { randomInt } from 'node:crypto';
import {
  VoicebridgeError,
  type DialOutcome,
  type DialRequest,
  type DialVerdict,
  type HANGUP_PARTIES,
  type MediaStats,
  type NumberConfig,
  type TerminationReason,
  type Verdict,
} from '@voicebridge/protocol';
import {
  generateCallId,
  type AcceptedOffer,
  type Dialog,
  type LocalMedia,
  type SipMessage,
  type SipResponse,
  type UacInvite,
  type UacOutcome,
} from '@voicebridge/sip';
import { closeSteps } from '@voicebridge/runtime';
import type { Logger } from 'pino';
import { mediaRecordFields } from '../call/admission-failure.ts';
import type { CallDeps } from '../call/call-deps.ts';
import { hardCapMs } from '../call/call-ending.ts';
import { CallRecordWriter } from '../call/call-record-writer.ts';
import type { TransferProgress } from '../call/refer-client.ts';
import { RFC_MIN_SE_S } from '../call/session-timer.ts';
import { dialOutcome, failureOfUac, verdictOfFailure, type DialFailure } from './dial-outcome.ts';
import type { DialHooks, OutboundTarget } from './dial-request.ts';
import { OutboundDialog } from './outbound-dialog.ts';
import { outboundContact, outboundInvite } from './outbound-invite.ts';
import { mediaUpdateOf, outboundAllocation, outboundOffer, readAnswerSdp } from './outbound-media.ts';
import { answeredRecordOf, initialOutboundRecord, outboundCallJob } from './outbound-record.ts';
import { RingTimeout } from './ring-timeout.ts';
import { assertOutboundTransition, OutboundState } from './outbound-state.ts';

type Party = (typeof HANGUP_PARTIES)[number];
type VerdictWhy = Pick<Verdict, 'code' | 'detail'>;

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
  /** The answered dialog's in-dialog life (session, REFER, the callee's BYE). */
  #inDialog: OutboundDialog | undefined;
  readonly #ring = new RingTimeout();
  #hardCap: NodeJS.Timeout | undefined;
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
    const ids = { callId: this.callId, sipCallId: this.sipCallId, nodeId: this.#deps.nodeId };
    this.#record.create(initialOutboundRecord(request, ids, this.#createdAtMs));
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
    const allocated = await this.#deps.media.allocate(outboundAllocation(this.callId, config));
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
    const job = outboundCallJob(this.callId, config, this.#createdAtMs);
    const decision = await this.#deps.dispatcher.dispatch(job, this.#deps.answerTimeoutMs, this.#abort.signal);
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
    const offer = outboundOffer(this.#local as Omit<LocalMedia, 'sessionVersion'>);
    const sender = this.#deps;
    const contact = outboundContact(sender, this.#target.destination.transport);
    const tag = this.#deps.stack.generateTag();
    const call = { sender, callerId: request.callerId, tag, sipCallId: this.sipCallId, contact, offer };
    this.#transition(OutboundState.Calling);
    const timer = { sessionExpiresS: this.#deps.sessionExpiresS, minSeS: this.#deps.sessionMinSeS ?? RFC_MIN_SE_S };
    const onProvisional = (response: SipResponse): void => this.#onProvisional(response);
    this.#uac = this.#deps.stack.dial(outboundInvite(this.#target, call, onProvisional, timer));
    this.#ring.start(request.ringTimeoutS * 1000, () => {
      this.#log.info({ ringTimeoutS: request.ringTimeoutS }, 'ring timeout: cancelling');
      this.#uac?.cancel('SIP;cause=480;text="No answer"');
    });
    if (this.#cancelledBy) this.#uac.cancel();
    const outcome = await this.#uac.outcome;
    this.#ring.close();
    return this.#settle(outcome, contact);
  }

  #onProvisional(response: SipMessage & { status: number }): void {
    if (this.#ended()) return;
    if (this.#state === OutboundState.Calling) {
      this.#ring.ringing();
      this.#transition(OutboundState.Ringing);
      this.#record.update({ status: 'ringing' });
    }
    // Early media (183 with SDP, RFC 3960): media learns the callee's address now, so the first
    // words after the answer are not lost to a late latch.
    const remote = this.#readSdp(response);
    if (remote && !this.#remote) {
      this.#remote = remote;
      void this.#deps.media.update(mediaUpdateOf(this.callId, remote)).catch((error: unknown) => {
        this.#log.warn({ err: error }, 'media update for early media failed');
      });
    }
  }

  async #settle(outcome: UacOutcome, contact: string): Promise<DialOutcome> {
    const attempts = this.#uac?.attempts ?? 1;
    if (outcome.kind === 'answered') return this.#answered(outcome.dialog, outcome.response, contact, attempts);
    if (outcome.kind === 'cancelled' && outcome.crossed) this.#log.info('a 200 crossed our CANCEL: ACKed and sent BYE');
    const cancel = { ringTimedOut: this.#ring.timedOut, cancelledByOther: this.#cancelledBy !== undefined };
    const { verdict, options } = failureOfUac(outcome, attempts, cancel);
    return this.#fail(verdict, options);
  }

  async #answered(dialog: Dialog, response: SipResponse, contact: string, attempts: number): Promise<DialOutcome> {
    if (this.#ended()) {
      // Closed (shutdown) while the 2xx was on its way: the dialog gets its BYE.
      void this.#deps.stack.request(dialog, 'BYE').finally(() => dialog.close());
      return this.#outcomeOfEnd();
    }
    this.#dialog = dialog;
    this.#transition(OutboundState.Answered);
    dialog.credentials = this.#target.credentials;
    const remote = this.#readSdp(response) ?? this.#remote;
    if (!remote) {
      this.#log.warn('the 2xx carried no usable SDP answer: BYE');
      const failed = this.#dialOutcome('failed', { status: 200, attempts, detail: 'no usable SDP answer in the 2xx' });
      this.#record.update({ dial: failed });
      await this.hangup('bridge', 'error', { code: 'VB_BAD_MESSAGE', detail: 'no usable SDP answer in the 2xx' });
      return failed;
    }
    this.#remote = remote;
    this.#inDialog = new OutboundDialog({
      callId: this.callId,
      stack: this.#deps.stack,
      dialog,
      response,
      media: this.#deps.media,
      contact,
      local: this.#local as Omit<LocalMedia, 'sessionVersion'>,
      remote,
      minSeS: this.#deps.sessionMinSeS ?? RFC_MIN_SE_S,
      log: this.#log,
      refuseMediaTarget: (address) => this.#deps.mediaTargets.refusal(address, this.#target.destination.address),
      onRemoteBye: () => void this.#finish({ by: 'caller', reason: 'caller-bye' }),
      onEnd: (reason) => void this.hangup('bridge', reason),
    });
    try {
      await this.#deps.media.update(mediaUpdateOf(this.callId, remote));
    } catch (error) {
      // The dialog exists: the callee gets its BYE, the dial still counts as answered.
      this.#log.error({ err: error }, 'media update for the answer failed: BYE');
      await this.hangup('bridge', 'media-lost');
      return this.#dialOutcome('answered', { status: 200, attempts });
    }
    if (this.#ended()) return this.#dialOutcome('answered', { status: 200, attempts });
    const answered = this.#dialOutcome('answered', { status: 200, attempts });
    this.#record.update(answeredRecordOf(answered, remote, dialog, this.#target.destination.transport));
    this.#hardCap = setTimeout(() => void this.hangup('bridge', 'max-duration'), hardCapMs(this.numberConfig));
    this.#deps.media.start(this.callId, Date.now()).catch((error: unknown) => {
      this.#log.error({ err: error }, 'media start failed: ending the call');
      void this.hangup('bridge', 'media-lost');
    });
    const sessionTimer = this.#inDialog.sessionTimer ?? null;
    this.#log.info({ dial: answered, codec: remote.codec.name, sessionTimer }, 'outbound call answered');
    return answered;
  }

  /** Ends the call from our side: BYE once answered, CANCEL (per §9.1) before. */
  async hangup(by: Party, reason: TerminationReason, why: VerdictWhy = {}): Promise<void> {
    if (this.#ended()) return;
    if (this.#state !== OutboundState.Answered) {
      void this.#cancel(reason === 'drain' ? 'drain' : 'operator');
      return;
    }
    const bye = this.#inDialog?.bye() ?? (this.#dialog && this.#deps.stack.request(this.#dialog, 'BYE'));
    await this.#finish({ by, reason, ...why });
    if ((await bye)?.kind === 'timeout') this.#log.warn('BYE got no response');
  }

  async transfer(target: string, onProgress?: (progress: TransferProgress) => void): Promise<TransferProgress> {
    if (this.#state !== OutboundState.Answered || !this.#inDialog)
      throw new VoicebridgeError('VB_CALL_NOT_FOUND', `call ${this.callId} is not in a confirmed dialog`);
    const outcome = await this.#inDialog.transfer(target, onProgress);
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

  async #fail(verdict: Exclude<DialVerdict, 'answered'>, options: DialFailure['options'] = {}): Promise<DialOutcome> {
    const outcome = this.#dialOutcome(verdict, options);
    this.#log.info({ dial: outcome }, `outbound call not answered: ${verdict}`);
    this.#record.update({ dial: outcome });
    await this.#finish(verdictOfFailure({ verdict, options }));
    return outcome;
  }

  #dialOutcome(
    verdict: DialVerdict,
    options: { status?: number; reason?: string; attempts?: number; detail?: string },
  ): DialOutcome {
    return dialOutcome(verdict, options, { attempts: this.#uac?.attempts ?? 0, ringingAtMs: this.#ring.ringingAtMs });
  }

  /** The outcome of a call that ended (closed, cancelled) while it was being prepared. */
  #outcomeOfEnd(): DialOutcome {
    return { verdict: 'cancelled', attempts: this.#uac?.attempts ?? 0 };
  }

  async #finish(verdict: Verdict): Promise<void> {
    if (this.#ended()) return;
    this.#transition(OutboundState.Ended);
    this.#abort.abort(new VoicebridgeError('VB_CLOSED', `call ended: ${verdict.reason}`));
    this.#ring.close();
    clearTimeout(this.#hardCap);
    this.#uac?.close();
    await closeSteps(this.#log, [
      ['in-dialog', () => this.#inDialog?.close()],
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
    const refusal = (address: string): string | undefined =>
      this.#deps.mediaTargets.refusal(address, this.#target.destination.address);
    return readAnswerSdp(message, refusal, this.#log);
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
