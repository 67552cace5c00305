import {
  newCallId,
  VoicebridgeError,
  type DialOutcome,
  type DialRequest,
  type MediaEvent,
  type NumberConfig,
} from '@voicebridge/protocol';
import type {
  InviteServerTransaction,
  NonInviteServerTransaction,
  SipRequest,
  SipStackHandler,
} from '@voicebridge/sip';
import { Call } from './call.ts';
import type { CallDeps } from './call-deps.ts';
import type { CallLimits } from '../admission/call-limits.ts';
import { readInboundCall } from '../admission/inbound-call.ts';
import type { InboundDigest } from '../admission/inbound-digest.ts';
import type { RegistrationManager } from '../registration/registration-manager.ts';
import type { TrunkDirectory } from '../admission/trunk-directory.ts';
import type { TransferProgress } from './refer-client.ts';
import { refuseRequest } from '../admission/request-checks.ts';
import { ACCEPT, ALLOW, KNOWN_METHODS, SUPPORTED } from './sip-capabilities.ts';
import { OutboundCall } from '../outbound/outbound-call.ts';
import type { OutboundTarget } from '../outbound/dial-request.ts';
import type { DialHooks } from '../outbound/dial-request.ts';

/** A live call either way: what the manager asks of it (hang-up, transfer, close, its counts). */
type LiveCall = Call | OutboundCall;

/** Who may call and how many: see docs/operations.md "Admission". Without it every source is admitted. */
export interface AdmissionOptions {
  directory: Pick<TrunkDirectory, 'match' | 'isAllowed'>;
  limits: Pick<CallLimits, 'admit'>;
  /** SIP_UNTRUSTED_RESPONSE: a request from a source outside every trunk gets nothing, or 403. */
  untrustedResponse: 'drop' | '403';
  /** Digest for trunks with `auth`: 401 until the INVITE carries their credentials. */
  digest?: Pick<InboundDigest, 'check'>;
  /** Trunks we register to: an INVITE to a registered contact belongs to its trunk. */
  registrations?: Pick<RegistrationManager, 'match'>;
}

/** Out-of-dialog methods other than INVITE answered below (each a case of onRequest's switch). */
const SERVED_OUT_OF_DIALOG = new Set(['OPTIONS', 'BYE']);

/** Owns the live calls: admits each INVITE (trunk, limits), creates its Call, drains on shutdown. */
export class CallManager implements SipStackHandler {
  readonly #deps: CallDeps;
  readonly #admission: AdmissionOptions | undefined;
  readonly #calls = new Map<string, LiveCall>();
  /** SIP Call-ID → our call id, for the live calls (the SIP trace's lookup per message). */
  readonly #bySipCallId = new Map<string, string>();
  /** Calls in progress per trunk name, for the trunks' maxCalls. */
  readonly #perTrunk = new Map<string, number>();
  readonly #idle: (() => void)[] = [];
  #draining = false;
  #refusedBeforeAdmission = 0;

  constructor(deps: CallDeps, admission?: AdmissionOptions) {
    this.#deps = deps;
    this.#admission = admission;
  }

  get size(): number {
    return this.#calls.size;
  }

  /**
   * INVITEs refused before a call was admitted (403, 401, limits, a bad request, 404 for an unknown
   * number…): none of them leaves a call record, so this count is where a flood shows.
   */
  get refusedBeforeAdmission(): number {
    return this.#refusedBeforeAdmission;
  }

  get draining(): boolean {
    return this.#draining;
  }

  /**
   * A new INVITE transaction (retransmissions were absorbed by the SIP core, so nothing here counts
   * one twice). Refusals before a Call exists leave no record and no job.
   */
  onInvite(tx: InviteServerTransaction): void {
    const stack = this.#deps.stack;
    const refuse = (status: number, headers: [string, string][] = []): void => {
      this.#refusedBeforeAdmission++;
      stack.respond(tx, status, { toTag: stack.generateTag(), headers });
    };
    const metrics = this.#deps.metrics;
    if (this.#draining) {
      metrics?.refused('draining');
      return refuse(503, [['Retry-After', '30']]);
    }
    const address = tx.source.address;
    const admission = this.#admission;
    let trunk = admission?.directory.match(address) ?? admission?.registrations?.match(tx.request);
    const digest = admission?.digest?.check(tx.request, address, trunk);
    if (digest?.kind === 'challenge') {
      metrics?.refused('challenge');
      return refuse(401, digest.headers); // RFC 3261 §22.2: no record, no job
    }
    if (digest?.kind === 'authenticated') trunk = digest.trunk;
    if (admission !== undefined && trunk === undefined && !admission.directory.isAllowed(address)) {
      // Reached only in 403 mode, or when a trunk without sources (digest, registration) exists.
      this.#deps.log.warn({ source: address }, `SIP INVITE refused with 403: source matches no trunk from ${address}`);
      metrics?.refused('untrusted-source');
      return refuse(403);
    }
    if (trunk?.transport !== undefined && trunk.transport !== tx.source.transport) {
      this.#deps.log.warn(
        { source: address, trunk: trunk.name },
        `SIP INVITE refused with 403: trunk ${trunk.name} calls over ${trunk.transport} only from ${address}`,
      );
      metrics?.refused('wrong-transport');
      return refuse(403);
    }
    const refusal = admission?.limits.admit(
      trunk,
      this.#calls.size,
      trunk === undefined ? 0 : (this.#perTrunk.get(trunk.name) ?? 0),
    );
    if (refusal !== undefined) {
      this.#deps.log.warn(
        { source: address, limit: refusal.limit, retryAfterS: refusal.retryAfterS },
        `new call refused with 503: over ${refusal.limit} from ${address}`,
      );
      metrics?.refused('over-limit');
      return refuse(503, [['Retry-After', String(refusal.retryAfterS)]]);
    }
    const call = new Call(
      newCallId(),
      tx,
      this.#deps,
      (ended) => this.#forget(ended),
      readInboundCall(tx.request, trunk),
    );
    this.#calls.set(call.callId, call);
    this.#bySipCallId.set(call.sipCallId, call.callId);
    if (trunk !== undefined) this.#perTrunk.set(trunk.name, (this.#perTrunk.get(trunk.name) ?? 0) + 1);
    void call.run();
  }

  /**
   * Places an outbound call (OutboundCall): resolves at the answer or the end; an answered call then
   * lives here like an inbound one (hang-up, transfer, drain) and ends with the usual record.
   * Outbound calls count against their trunk's calls like inbound ones.
   */
  dial(request: DialRequest, target: () => Promise<OutboundTarget>, hooks?: DialHooks): Promise<DialOutcome> {
    if (this.#draining) return Promise.resolve({ verdict: 'failed', attempts: 0, detail: 'draining' });
    if (this.#calls.has(request.callId))
      return Promise.reject(new VoicebridgeError('VB_CONFLICT', `call ${request.callId} is already live`));
    const call = new OutboundCall(request, target, this.#deps, (ended) => this.#forget(ended));
    this.#calls.set(call.callId, call);
    this.#bySipCallId.set(call.sipCallId, call.callId);
    const trunk = call.trunkName;
    this.#perTrunk.set(trunk, (this.#perTrunk.get(trunk) ?? 0) + 1);
    return call.run(hooks);
  }

  /** Calls in progress through a trunk, both directions (its channel limit counts them all). */
  callsOnTrunk(trunk: string): number {
    return this.#perTrunk.get(trunk) ?? 0;
  }

  onRequest(request: SipRequest, tx: NonInviteServerTransaction): void {
    const stack = this.#deps.stack;
    const admission = this.#admission;
    const address = tx.source.address;
    if (
      admission !== undefined &&
      admission.directory.match(address) === undefined &&
      !admission.directory.isAllowed(address)
    ) {
      this.#deps.log.warn(
        { source: address, method: request.method },
        `SIP ${request.method} refused with 403: source matches no trunk from ${address}`,
      );
      stack.respond(tx, 403);
      return;
    }
    if (!SERVED_OUT_OF_DIALOG.has(request.method)) {
      // RFC 3261 §8.2.1: the method is inspected first, before the URI scheme (416) or Require (420).
      stack.respond(tx, KNOWN_METHODS.has(request.method) ? 405 : 501, { headers: [['Allow', ALLOW]] });
      return;
    }
    const refusal = refuseRequest(request);
    if (refusal) {
      stack.respond(tx, refusal.status, { headers: refusal.headers });
      return;
    }
    switch (request.method) {
      case 'OPTIONS':
        // RFC 3261 §11.2; 503 while draining so a load balancer stops sending us calls.
        stack.respond(tx, this.#draining ? 503 : 200, {
          headers: [
            ['Allow', ALLOW],
            ['Accept', ACCEPT],
            ['Supported', SUPPORTED],
          ],
        });
        return;
      case 'BYE':
        stack.respond(tx, 481, { reason: 'Call/Transaction Does Not Exist' }); // §15.1.2
        return;
    }
  }

  /** A media worker went away: the audio of the calls it held is gone with it, so each gets a BYE (`media-lost`). */
  onMediaLost(callIds: readonly string[]): void {
    for (const callId of callIds) void this.#calls.get(callId)?.hangup('bridge', 'media-lost');
  }

  onMediaEvent(event: MediaEvent): void {
    if (event.event !== 'hangup') return;
    const { code, detail } = event;
    void this.#calls.get(event.callId)?.hangup(event.by, event.reason, { code, detail });
  }

  /** Our call id of a live call by its SIP Call-ID. */
  callIdOfSip(sipCallId: string): string | undefined {
    return this.#bySipCallId.get(sipCallId);
  }

  /**
   * An operator's hang-up (API): BYE, verdict `operator-hangup`. False when this node has no such
   * call (it ended meanwhile, or another node owns it).
   */
  hangupByOperator(callId: string): boolean {
    const call = this.#calls.get(callId);
    if (call === undefined) return false;
    void call.hangup('bridge', 'operator-hangup');
    return true;
  }

  /** Transfers a live call (REFER): see Call.transfer. VB_CALL_NOT_FOUND for an unknown call. */
  transfer(
    callId: string,
    target: string,
    onProgress?: (progress: TransferProgress) => void,
  ): Promise<TransferProgress> {
    const call = this.#calls.get(callId);
    if (!call) return Promise.reject(new VoicebridgeError('VB_CALL_NOT_FOUND', `no live call ${callId}`));
    return call.transfer(target, onProgress);
  }

  /** The config of the number a live call was answered for (undefined before that, or for an unknown call). */
  numberConfigOf(callId: string): NumberConfig | undefined {
    return this.#calls.get(callId)?.numberConfig;
  }

  /** Refuses new calls, waits for live ones up to the deadline, then hangs up the rest with `drain`. */
  async drain(deadlineMs: number): Promise<void> {
    this.#draining = true;
    if (this.#calls.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadlineMs);
        this.#idle.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    await Promise.allSettled([...this.#calls.values()].map((call) => call.hangup('bridge', 'drain')));
  }

  /** Ends every call without SIP traffic (the parent is going away). */
  async close(): Promise<void> {
    this.#draining = true;
    await Promise.allSettled([...this.#calls.values()].map((call) => call.close('drain')));
  }

  #forget(call: LiveCall): void {
    if (!this.#calls.delete(call.callId)) return;
    if (this.#bySipCallId.get(call.sipCallId) === call.callId) this.#bySipCallId.delete(call.sipCallId);
    if (call.refusedUnadmitted) this.#refusedBeforeAdmission++;
    const trunk = call.trunkName;
    if (trunk !== undefined) {
      const left = (this.#perTrunk.get(trunk) ?? 1) - 1;
      if (left > 0) this.#perTrunk.set(trunk, left);
      else this.#perTrunk.delete(trunk);
    }
    if (this.#calls.size === 0) for (const idle of this.#idle.splice(0)) idle();
  }
}
