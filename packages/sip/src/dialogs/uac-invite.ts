import { answerDigestChallenge, type DigestClientCredentials } from '../auth/digest-client.ts';
import { timer64, type Endpoint, type SipTimerValues } from '../core/timers.ts';
import { SipHeaders, generateBranch, parseNameAddr, type SipRequest, type SipResponse } from '../messages/index.ts';
import type { ClientOutcome } from '../transactions/non-invite-client-transaction.ts';
import { Dialog, type DialogHost } from './dialog.ts';
import { ackForFailure, cancelFor } from './invite-cancel-ack.ts';

/** What a UacInvite needs from the stack: its transactions, its wire and its dialog table. */
export interface UacInviteHost {
  startInvite(
    request: SipRequest,
    destination: Endpoint,
    hooks: {
      ackFor(response: SipResponse): SipRequest;
      onSuccess(response: SipResponse): void;
      onProvisional(response: SipResponse): void;
    },
  ): Promise<ClientOutcome>;
  /** A non-INVITE request (CANCEL, the BYE of a forked or crossed 2xx) on a client transaction. */
  startRequest(request: SipRequest, destination: Endpoint): Promise<ClientOutcome>;
  /** Ends the INVITE client transaction of `request` without traffic. */
  endInvite(request: SipRequest): void;
  write(request: SipRequest, destination: Endpoint): void;
  addDialog(dialog: Dialog): void;
  dialogHost: DialogHost;
  timers: SipTimerValues;
  userAgent: string;
}

export interface UacInviteOptions {
  requestUri: string;
  /** Our From, with our tag (name-addr). */
  from: string;
  /** The callee's To, without a tag (name-addr). */
  to: string;
  callId: string;
  /** Our Contact URI (advertised address). */
  contact: string;
  /** Where the INVITE goes: the trunk's outbound proxy or the callee. */
  destination: Endpoint;
  /** A preloaded route set (RFC 3261 §8.1.2), e.g. the trunk's outbound proxy; each a name-addr. */
  routes?: readonly string[];
  /** Sent with every INVITE of the call (Allow, Supported, P-Asserted-Identity…). */
  headers?: readonly [string, string][];
  body: Buffer;
  contentType: string;
  /** Answers one 401/407 to the INVITE (§22.2); a CANCEL is never challenged (§22.1). */
  credentials?: DigestClientCredentials;
  /** RFC 4028 as UAC: Session-Expires and Min-SE in the INVITE; one 422 retry with the larger Min-SE. */
  sessionTimer?: { intervalS: number; minSeS: number };
  listener?: UacInviteListener;
}

export interface UacInviteListener {
  /** A 1xx other than 100 (180, 183…): `toTag` names its early dialog, if it has one. */
  onProvisional?(response: SipResponse, toTag: string | undefined): void;
}

/** How an outgoing INVITE ended. `response` is the final response that decided it, when there was one. */
export type UacOutcome =
  | { kind: 'answered'; dialog: Dialog; response: SipResponse }
  | { kind: 'failed'; response: SipResponse }
  /** Our CANCEL won (487), or a 2xx crossed it and was ACKed then BYEd (`crossed`). */
  | { kind: 'cancelled'; response?: SipResponse; crossed: boolean }
  /** Timer B (no response at all), or no final response 64·T1 after our CANCEL (§9.1). */
  | { kind: 'timeout'; provisional: boolean };

/**
 *   Calling ── 1xx ──► Proceeding (early dialogs per To tag) ── 2xx ──► Answered
 *     │  401/407 once, 422 once: a new INVITE (CSeq + 1, new branch) ◄─┘      │ later 2xx: ACK again;
 *     │  cancel() before a 1xx: remembered, sent at the first 1xx               │ other tag: ACK + BYE
 *     ├── 300-699 ──► Failed                 Proceeding ── cancel() ──► Cancelling ── 487 ──► Cancelled
 *     └── Timer B ──► TimedOut                                              └── 2xx ──► ACK + BYE, Cancelled
 */
export enum UacInviteState {
  Calling = 'calling',
  Proceeding = 'proceeding',
  Cancelling = 'cancelling',
  Answered = 'answered',
  Failed = 'failed',
  Cancelled = 'cancelled',
  TimedOut = 'timed-out',
}

const ALLOWED: Record<UacInviteState, readonly UacInviteState[]> = {
  [UacInviteState.Calling]: [
    UacInviteState.Calling,
    UacInviteState.Proceeding,
    UacInviteState.Answered,
    UacInviteState.Failed,
    UacInviteState.Cancelled,
    UacInviteState.TimedOut,
  ],
  [UacInviteState.Proceeding]: [
    UacInviteState.Calling,
    UacInviteState.Cancelling,
    UacInviteState.Answered,
    UacInviteState.Failed,
    UacInviteState.TimedOut,
  ],
  [UacInviteState.Cancelling]: [UacInviteState.Cancelled],
  [UacInviteState.Answered]: [],
  [UacInviteState.Failed]: [],
  [UacInviteState.Cancelled]: [],
  [UacInviteState.TimedOut]: [],
};

/**
 * Our INVITE that starts a call (RFC 3261 §13.2): the client transaction(s), the early dialogs, the
 * ACK of every 2xx (§13.2.2.4), forking, digest, the RFC 4028 422 retry and CANCEL (§9.1).
 */
export class UacInvite {
  readonly outcome: Promise<UacOutcome>;
  readonly #options: UacInviteOptions;
  readonly #host: UacInviteHost;
  #state = UacInviteState.Calling;
  #resolve!: (outcome: UacOutcome) => void;
  #seq = 1;
  #latest!: SipRequest;
  #attempts = 0;
  #authAnswered = false;
  #timerRetried = false;
  #cancelWanted: string | undefined;
  #cancelSent = false;
  #sessionTimer: { intervalS: number; minSeS: number } | undefined;
  /** Early dialogs by To tag (§12.1.2 / §13.2.2.4): what each 1xx with a tag told us. */
  readonly #early = new Map<string, { remoteTarget: string | undefined; routeSet: string[] }>();
  /** The ACK sent for each 2xx To tag, resent for every retransmission of that 2xx. */
  readonly #acks = new Map<string, { request: SipRequest; destination: Endpoint }>();
  #dialog: Dialog | undefined;
  /** §9.1: no final response 64·T1 after the CANCEL: the INVITE transaction is given up. */
  #timerCancelGiveUp: NodeJS.Timeout | undefined;

  constructor(options: UacInviteOptions, host: UacInviteHost) {
    this.#options = options;
    this.#host = host;
    this.#sessionTimer = options.sessionTimer && { ...options.sessionTimer };
    this.outcome = new Promise((resolve) => (this.#resolve = resolve));
  }

  get state(): UacInviteState {
    return this.#state;
  }

  /** INVITEs sent for this call: 1, or 2 after a digest challenge or a 422. */
  get attempts(): number {
    return this.#attempts;
  }

  /** The last INVITE sent (after an auth or 422 retry, the retry). */
  get latestInvite(): SipRequest {
    return this.#latest;
  }

  get earlyDialogTags(): string[] {
    return [...this.#early.keys()];
  }

  start(): void {
    void this.#send([]);
  }

  /**
   * Ends the attempt (ring timeout, the operator). §9.1: never before a provisional response — then
   * the CANCEL leaves at the first 1xx, or Timer B ends the INVITE. `reason` is an RFC 3326 Reason value.
   */
  cancel(reason = 'SIP;cause=487;text="Request Terminated"'): void {
    if (this.#cancelWanted !== undefined || this.#finished()) return;
    this.#cancelWanted = reason;
    if (this.#state === UacInviteState.Proceeding) this.#sendCancel();
  }

  /** Stops the timers; the stack's close ends the transactions. Emits nothing. */
  close(): void {
    clearTimeout(this.#timerCancelGiveUp);
    this.#timerCancelGiveUp = undefined;
  }

  async #send(extra: [string, string][]): Promise<void> {
    const request = this.#build(extra);
    this.#latest = request;
    this.#attempts += 1;
    const outcome = await this.#host.startInvite(request, this.#options.destination, {
      ackFor: (response) => ackForFailure(request, response),
      onSuccess: (response) => this.#on2xx(request, response),
      onProvisional: (response) => this.#onProvisional(response),
    });
    if (request !== this.#latest) return;
    if (outcome.kind === 'timeout') return this.#timedOut();
    if (outcome.response.status >= 300) this.#onFailure(request, outcome.response);
    else if (!this.#finished()) this.#unusable2xx(outcome.response);
  }

  #build(extra: [string, string][]): SipRequest {
    const o = this.#options;
    const headers = new SipHeaders();
    headers.append('Via', this.#host.dialogHost.via(generateBranch(), o.destination.transport));
    headers.append('Max-Forwards', '70');
    for (const route of o.routes ?? []) headers.append('Route', route);
    headers.append('From', o.from);
    headers.append('To', o.to);
    headers.append('Call-ID', o.callId);
    headers.append('CSeq', `${this.#seq} INVITE`);
    headers.append('Contact', `<${o.contact}>`);
    headers.append('User-Agent', this.#host.userAgent);
    for (const [name, value] of o.headers ?? []) headers.append(name, value);
    if (this.#sessionTimer) {
      headers.append('Session-Expires', String(this.#sessionTimer.intervalS));
      headers.append('Min-SE', String(this.#sessionTimer.minSeS));
    }
    for (const [name, value] of extra) headers.append(name, value);
    headers.append('Content-Type', o.contentType);
    return { type: 'request', method: 'INVITE', uri: o.requestUri, headers, body: o.body };
  }

  #onProvisional(response: SipResponse): void {
    if (this.#finished()) return;
    const tag = parseNameAddr(response.headers.get('To') ?? '')?.tag;
    if (response.status > 100 && tag !== undefined && !this.#early.has(tag)) {
      const contact = parseNameAddr(response.headers.get('Contact') ?? '');
      this.#early.set(tag, { remoteTarget: contact?.uri, routeSet: response.headers.getAll('Record-Route').reverse() });
    }
    if (this.#state === UacInviteState.Calling) this.#transition(UacInviteState.Proceeding);
    if (this.#cancelWanted !== undefined && !this.#cancelSent) this.#sendCancel();
    if (response.status > 100 && this.#state === UacInviteState.Proceeding)
      this.#options.listener?.onProvisional?.(response, tag);
  }

  #on2xx(invite: SipRequest, response: SipResponse): void {
    const tag = parseNameAddr(response.headers.get('To') ?? '')?.tag;
    if (tag === undefined) return; // no dialog can be made from it, nor an ACK addressed
    const sent = this.#acks.get(tag);
    if (sent) {
      this.#host.write(sent.request, sent.destination); // a retransmission: the same ACK again
      return;
    }
    let dialog: Dialog;
    try {
      dialog = Dialog.uac(invite, response, this.#options.destination, this.#host.dialogHost, this.#host.timers);
    } catch {
      return;
    }
    const ack = dialog.createInitialAck(invite);
    this.#acks.set(tag, ack);
    this.#host.write(ack.request, ack.destination);
    this.#early.delete(tag);
    const live = this.#state === UacInviteState.Calling || this.#state === UacInviteState.Proceeding;
    if (live && this.#cancelWanted === undefined) {
      this.#dialog = dialog;
      this.#host.addDialog(dialog);
      this.#transition(UacInviteState.Answered);
      this.#early.clear();
      this.#resolve({ kind: 'answered', dialog, response });
      return;
    }
    // A 2xx from another fork after the first (§13.2.2.4), or one that crossed our CANCEL (§9.1,
    // §15) or came after we gave up before any 1xx: the dialog it made is confirmed with the ACK
    // and ended at once.
    this.#byeAndForget(dialog);
    if (live || this.#state === UacInviteState.Cancelling) {
      this.#transition(UacInviteState.Cancelled);
      this.close();
      this.#resolve({ kind: 'cancelled', response, crossed: true });
    }
  }

  #byeAndForget(dialog: Dialog): void {
    this.#host.addDialog(dialog);
    const { request, destination } = dialog.createRequest('BYE');
    void this.#host.startRequest(request, destination).finally(() => dialog.close());
  }

  #onFailure(invite: SipRequest, response: SipResponse): void {
    if (this.#finished()) return;
    const { status } = response;
    if (this.#state === UacInviteState.Cancelling) {
      this.#transition(UacInviteState.Cancelled);
      this.close();
      this.#resolve({ kind: 'cancelled', response, crossed: false });
      return;
    }
    if ((status === 401 || status === 407) && this.#options.credentials && !this.#authAnswered) {
      this.#authAnswered = true;
      const name = status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate';
      const answer = answerDigestChallenge(status, response.headers.getAll(name), this.#options.credentials, {
        method: 'INVITE',
        uri: invite.uri,
      });
      if (answer) return this.#retry([[answer.header, answer.value]]);
    }
    if (status === 422 && this.#sessionTimer && !this.#timerRetried) {
      // RFC 4028 §7.4: retry with Min-SE the largest seen and Session-Expires no less than it.
      this.#timerRetried = true;
      const minSe = Number.parseInt((response.headers.get('Min-SE') ?? '').split(';')[0]?.trim() ?? '', 10);
      if (Number.isInteger(minSe) && minSe > this.#sessionTimer.minSeS) {
        this.#sessionTimer = { minSeS: minSe, intervalS: Math.max(this.#sessionTimer.intervalS, minSe) };
        return this.#retry(this.#credentialsOf(invite));
      }
    }
    this.#transition(UacInviteState.Failed);
    this.close();
    this.#resolve({ kind: 'failed', response });
  }

  /** A 2xx without a To tag makes no dialog and cannot be ACKed: the attempt ends on it. */
  #unusable2xx(response: SipResponse): void {
    const cancelling = this.#state === UacInviteState.Cancelling;
    this.#transition(cancelling ? UacInviteState.Cancelled : UacInviteState.Failed);
    this.close();
    this.#resolve(cancelling ? { kind: 'cancelled', response, crossed: true } : { kind: 'failed', response });
  }

  /** A retry after 401/407 or 422 (§8.1.3.5, §22.2): same Call-ID and From tag, CSeq + 1, new branch. */
  #retry(extra: [string, string][]): void {
    this.#seq += 1;
    this.#transition(UacInviteState.Calling);
    void this.#send(extra);
  }

  #credentialsOf(invite: SipRequest): [string, string][] {
    const out: [string, string][] = [];
    for (const name of ['Authorization', 'Proxy-Authorization'])
      for (const value of invite.headers.getLines(name)) out.push([name, value]);
    return out;
  }

  /** §9.1: the CANCEL of the latest INVITE (after an auth retry, the retry). */
  #sendCancel(): void {
    this.#cancelSent = true;
    this.#transition(UacInviteState.Cancelling);
    const invite = this.#latest;
    const cancel = cancelFor(invite, this.#cancelWanted, this.#host.userAgent, this.#seq);
    void this.#host.startRequest(cancel, this.#options.destination);
    this.#timerCancelGiveUp = setTimeout(() => {
      this.#host.endInvite(invite); // resolves the INVITE transaction as a timeout
    }, timer64(this.#host.timers));
  }

  #timedOut(): void {
    if (this.#finished()) return;
    const provisional = this.#state !== UacInviteState.Calling;
    if (this.#cancelWanted !== undefined) {
      // The ring timeout came before any 1xx and Timer B ended the INVITE (no CANCEL was ever due),
      // or the CANCEL went and no final response followed within 64·T1 (§9.1).
      this.#transition(UacInviteState.Cancelled);
      this.close();
      this.#resolve({ kind: 'cancelled', crossed: false });
      return;
    }
    this.#transition(UacInviteState.TimedOut);
    this.close();
    this.#resolve({ kind: 'timeout', provisional });
  }

  #finished(): boolean {
    return (
      this.#state === UacInviteState.Answered ||
      this.#state === UacInviteState.Failed ||
      this.#state === UacInviteState.Cancelled ||
      this.#state === UacInviteState.TimedOut
    );
  }

  #transition(next: UacInviteState): void {
    if (!ALLOWED[this.#state].includes(next))
      throw new Error(`uac invite: illegal transition ${this.#state} → ${next}`);
    this.#state = next;
  }
}
