import {
  SipHeaders,
  formatNameAddr,
  parseCSeq,
  generateBranch,
  parseNameAddr,
  parseUri,
  type SipRequest,
  type SipResponse,
} from '../messages/index.ts';
import { isIP } from 'node:net';
import type { Endpoint, SipTimerValues } from '../core/timers.ts';
import { timer64 } from '../core/timers.ts';
import type { ServerTransaction } from '../transactions/server-transaction.ts';

/**
 * A dialog: a UAS one created by our 2xx to an INVITE (RFC 3261 §12.1.1), or a UAC one created
 * by a 2xx to our INVITE (§12.1.2, `Dialog.uac`), which starts Confirmed since we send the ACK.
 *
 *   Accepted ── ACK ──► Confirmed ── BYE either way / close() ──► Terminated
 *      │ no ACK within 64·T1 (§13.3.1.4)
 *      └──────────────────────────────────────────────────────────► Terminated (onAckTimeout)
 *
 * While Accepted, the UAS core retransmits the 2xx at T1, 2·T1 … capped at T2 (§13.3.1.4);
 * the INVITE transaction itself sits in RFC 6026's Accepted state and does not. A 2xx to a
 * re-INVITE is retransmitted the same way until the ACK with its CSeq (§14.2, §13.3.1.4).
 */
export enum DialogState {
  Accepted = 'accepted',
  Confirmed = 'confirmed',
  Terminated = 'terminated',
}

export interface DialogListener {
  onConfirmed(ack: SipRequest): void;
  /** The 2xx was never ACKed: the TU should send BYE (RFC 3261 §13.3.1.4). */
  onAckTimeout(): void;
  /** An in-dialog request other than ACK; the listener must respond on the transaction. */
  onRequest(request: SipRequest, tx: ServerTransaction): void;
  /** The ACK to our 2xx to a re-INVITE (it carries the answer when our 2xx carried the offer). */
  onReinviteAck?(ack: SipRequest): void;
  /** Our 2xx to a re-INVITE was never ACKed: the session SHOULD end with a BYE (§13.3.1.4). */
  onReinviteAckTimeout?(): void;
}

export interface DialogHost {
  sendResponse(response: SipResponse, to: Endpoint): void;
  terminated(dialog: Dialog): void;
  /** Our Via for a request leaving over `transport` (RFC 3261 §18.1.1: the transport actually used). */
  via(branch: string, transport: Endpoint['transport']): string;
  userAgent: string;
}

export interface DialogId {
  callId: string;
  localTag: string;
  remoteTag: string;
}

interface DialogInit {
  id: DialogId;
  remoteTarget: string;
  routeSet: readonly string[];
  remoteEndpoint: Endpoint;
  localHeader: string;
  remoteHeader: string;
  localSeq: number;
  remoteSeq: number;
  ok: SipResponse;
  state: DialogState;
}

export function dialogKey(id: DialogId): string {
  return `${id.callId}\u0000${id.localTag}\u0000${id.remoteTag}`;
}

export class Dialog {
  readonly id: DialogId;
  readonly key: string;
  /** Remote Contact URI: where in-dialog requests go (§12.1.1); a target refresh replaces it (§12.2.2). */
  remoteTarget: string;
  /** Record-Route of the INVITE, in order (§12.1.1, UAS side). */
  readonly routeSet: readonly string[];
  /** The peer that sent the INVITE: the fallback destination when a URI host is not an IP literal. */
  readonly remoteEndpoint: Endpoint;
  listener: DialogListener | undefined;
  /** Answers a 401/407 to our in-dialog requests (the trunk's credentials), when set by the TU. */
  credentials: { username: string; password: string } | undefined;
  #state = DialogState.Accepted;
  #localSeq: number;
  #remoteSeq: number;
  readonly #localHeader: string;
  readonly #remoteHeader: string;
  readonly #okResponse: SipResponse;
  readonly #host: DialogHost;
  readonly #timers: SipTimerValues;
  #retransmitInterval: number;
  #timer2xxRetransmit: NodeJS.Timeout | undefined;
  #timer2xxGiveUp: NodeJS.Timeout | undefined;
  /** Our 2xx to a re-INVITE, waiting for its ACK. */
  #reinviteOk: { seq: number; response: SipResponse; to: Endpoint; intervalMs: number } | undefined;
  #timerReinviteRetransmit: NodeJS.Timeout | undefined;
  #timerReinviteGiveUp: NodeJS.Timeout | undefined;

  /** Use `Dialog.uas` or `Dialog.uac`: the two sides fill the dialog state differently (§12.1.1, §12.1.2). */
  private constructor(init: DialogInit, host: DialogHost, timers: SipTimerValues) {
    this.id = init.id;
    this.key = dialogKey(init.id);
    this.remoteTarget = init.remoteTarget;
    this.routeSet = init.routeSet;
    this.remoteEndpoint = init.remoteEndpoint;
    this.#state = init.state;
    this.#localHeader = init.localHeader;
    this.#remoteHeader = init.remoteHeader;
    this.#localSeq = init.localSeq;
    this.#remoteSeq = init.remoteSeq;
    this.#okResponse = init.ok;
    this.#host = host;
    this.#timers = timers;
    this.#retransmitInterval = timers.T1;
  }

  /** The dialog our 2xx to `invite` creates (RFC 3261 §12.1.1); it waits for the ACK. */
  static uas(invite: SipRequest, ok: SipResponse, source: Endpoint, host: DialogHost, timers: SipTimerValues): Dialog {
    const to = parseNameAddr(ok.headers.get('To') ?? '');
    const from = parseNameAddr(invite.headers.get('From') ?? '');
    const contact = parseNameAddr(invite.headers.get('Contact') ?? '');
    if (!to?.tag || !from) throw new Error('Dialog: the 2xx needs a To tag and the INVITE a From');
    const init: DialogInit = {
      id: { callId: invite.headers.get('Call-ID') ?? '', localTag: to.tag, remoteTag: from.tag ?? '' },
      remoteTarget: contact?.uri ?? invite.uri,
      routeSet: invite.headers.getAll('Record-Route'),
      remoteEndpoint: source,
      localHeader: ok.headers.get('To') ?? '',
      remoteHeader: invite.headers.get('From') ?? '',
      remoteSeq: Number.parseInt((invite.headers.get('CSeq') ?? '0').trim(), 10),
      localSeq: 1 + Math.floor(Math.random() * 10_000),
      ok,
      state: DialogState.Accepted,
    };
    return new Dialog(init, host, timers);
  }

  /**
   * The dialog a 2xx to our INVITE creates (RFC 3261 §12.1.2): the route set is the 2xx's
   * Record-Route in reverse order, the remote target its Contact, the local CSeq the INVITE's, the
   * remote CSeq empty (0: any first request of the peer is in order). It starts Confirmed: the ACK
   * is ours to send (§13.2.2.4), not one to wait for. `destination` is where the INVITE went.
   */
  static uac(
    invite: SipRequest,
    ok: SipResponse,
    destination: Endpoint,
    host: DialogHost,
    timers: SipTimerValues,
  ): Dialog {
    const to = parseNameAddr(ok.headers.get('To') ?? '');
    const from = parseNameAddr(invite.headers.get('From') ?? '');
    if (!to?.tag || !from?.tag) throw new Error('Dialog: the 2xx needs a To tag and our INVITE a From tag');
    const contact = parseNameAddr(ok.headers.get('Contact') ?? '');
    const init: DialogInit = {
      id: { callId: invite.headers.get('Call-ID') ?? '', localTag: from.tag, remoteTag: to.tag },
      // A 2xx without Contact is broken; the INVITE's Request-URI is the best target left.
      remoteTarget: contact?.uri ?? invite.uri,
      routeSet: ok.headers.getAll('Record-Route').reverse(),
      remoteEndpoint: destination,
      localHeader: invite.headers.get('From') ?? '',
      remoteHeader: ok.headers.get('To') ?? '',
      localSeq: parseCSeq(invite.headers.get('CSeq') ?? '')?.seq ?? 1,
      remoteSeq: 0,
      ok,
      state: DialogState.Confirmed,
    };
    return new Dialog(init, host, timers);
  }

  get state(): DialogState {
    return this.#state;
  }

  /** Our From/To in the dialog's requests: our header with our tag (a record keeps it for a BYE after a restart). */
  get localHeader(): string {
    return this.#localHeader;
  }

  /** The peer's header with its tag: the To of our in-dialog requests. */
  get remoteHeader(): string {
    return this.#remoteHeader;
  }

  /** Starts the §13.3.1.4 2xx retransmission; the 2xx itself was sent by the INVITE transaction. */
  startRetransmission(): void {
    if (this.remoteEndpoint.transport === 'udp') this.#schedule2xx();
    this.#timer2xxGiveUp = setTimeout(() => {
      if (this.#state !== DialogState.Accepted) return;
      this.#stopRetransmission();
      this.listener?.onAckTimeout();
    }, timer64(this.#timers));
  }

  /** Whether a 2xx we sent to a re-INVITE still waits for its ACK. */
  get reinviteAckPending(): boolean {
    return this.#reinviteOk !== undefined;
  }

  /**
   * Retransmits our 2xx to a re-INVITE until its ACK (§14.2 refers to §13.3.1.4); gives up after
   * 64·T1 and tells the listener. `to` is where the transaction sent it.
   */
  retransmitReinviteOk(response: SipResponse, to: Endpoint): void {
    this.#stopReinviteRetransmission();
    const seq = parseCSeq(response.headers.get('CSeq') ?? '')?.seq ?? -1;
    this.#reinviteOk = { seq, response, to, intervalMs: this.#timers.T1 };
    if (to.transport === 'udp') this.#scheduleReinviteOk();
    this.#timerReinviteGiveUp = setTimeout(() => {
      this.#stopReinviteRetransmission();
      this.listener?.onReinviteAckTimeout?.();
    }, timer64(this.#timers));
  }

  /** §12.2.2: a 2xx to a target refresh request (re-INVITE, UPDATE) takes its Contact as the new remote target. */
  refreshTarget(request: SipRequest): void {
    const contact = parseNameAddr(request.headers.get('Contact') ?? '');
    if (contact?.uri) this.remoteTarget = contact.uri;
  }

  receiveAck(ack: SipRequest): void {
    const pending = this.#reinviteOk;
    if (pending && parseCSeq(ack.headers.get('CSeq') ?? '')?.seq === pending.seq) {
      this.#stopReinviteRetransmission();
      this.listener?.onReinviteAck?.(ack);
      return;
    }
    if (this.#state !== DialogState.Accepted) return; // a retransmitted ACK
    this.#state = DialogState.Confirmed;
    this.#stopRetransmission();
    this.listener?.onConfirmed(ack);
  }

  /** A retransmitted INVITE reached us after our 2xx: resend the 2xx (we are still waiting for the ACK). */
  receiveInviteRetransmission(): void {
    if (this.#state === DialogState.Accepted) this.#host.sendResponse(this.#okResponse, this.remoteEndpoint);
  }

  /**
   * §12.2.2: a request whose CSeq is lower than the last one seen is out of order → 500.
   * Returns false for such a request.
   */
  acceptRemoteSequence(seq: number): boolean {
    if (seq < this.#remoteSeq) return false;
    this.#remoteSeq = seq;
    return true;
  }

  /** Builds an in-dialog request per RFC 3261 §12.2.1.1, and where it must be sent. */
  createRequest(
    method: string,
    options?: { headers?: [string, string][]; body?: Buffer },
  ): { request: SipRequest; destination: Endpoint } {
    this.#localSeq += 1;
    return this.#build(method, this.#localSeq, options);
  }

  /**
   * The ACK for a 2xx to our initial INVITE (RFC 3261 §13.2.2.4): built as any in-dialog request
   * (remote target, route set, a new branch) but with the INVITE's CSeq number, and the INVITE's
   * credentials when it carried some.
   */
  createInitialAck(invite: SipRequest): { request: SipRequest; destination: Endpoint } {
    const seq = parseCSeq(invite.headers.get('CSeq') ?? '')?.seq ?? this.#localSeq;
    const credentials: [string, string][] = [];
    for (const name of ['Authorization', 'Proxy-Authorization'])
      for (const value of invite.headers.getLines(name)) credentials.push([name, value]);
    return this.#build('ACK', seq, { headers: credentials });
  }

  #build(
    method: string,
    seq: number,
    options?: { headers?: [string, string][]; body?: Buffer },
  ): { request: SipRequest; destination: Endpoint } {
    const headers = new SipHeaders();
    const firstRoute = this.routeSet[0] ? parseNameAddr(this.routeSet[0]) : undefined;
    const looseRouting = firstRoute ? firstRoute.uri.toLowerCase().includes(';lr') : true;
    let requestUri = this.remoteTarget;
    let routes = [...this.routeSet];
    if (firstRoute && !looseRouting) {
      // Strict routing (RFC 2543 proxy): the first route becomes the Request-URI and the remote target
      // goes last in the Route set (§12.2.1.1).
      requestUri = firstRoute.uri;
      routes = [...this.routeSet.slice(1), formatNameAddr({ uri: this.remoteTarget, params: new Map() })];
    }
    const destination = this.#destination(firstRoute?.uri ?? this.remoteTarget);
    headers.append('Via', this.#host.via(generateBranch(), destination.transport));
    headers.append('Max-Forwards', '70');
    for (const route of routes) headers.append('Route', route);
    headers.append('From', this.#localHeader);
    headers.append('To', this.#remoteHeader);
    headers.append('Call-ID', this.id.callId);
    headers.append('CSeq', `${seq} ${method}`);
    headers.append('User-Agent', this.#host.userAgent);
    for (const [name, value] of options?.headers ?? []) headers.append(name, value);
    const request: SipRequest = {
      type: 'request',
      method,
      uri: requestUri,
      headers,
      body: options?.body ?? Buffer.alloc(0),
    };
    return { request, destination };
  }

  /**
   * The ACK for a response to our re-INVITE: for a 2xx a new transaction end to end (§13.2.2.4), for
   * a 300-699 on the INVITE's branch with the response's To (§17.1.1.3). Same Request-URI, Route and
   * CSeq number as the INVITE.
   */
  createAck(invite: SipRequest, response: SipResponse): SipRequest {
    const headers = new SipHeaders();
    const success = response.status < 300;
    const via = invite.headers.get('Via') ?? '';
    headers.append('Via', success ? via.replace(/;branch=[^;,\s]+/i, `;branch=${generateBranch()}`) : via);
    headers.append('Max-Forwards', '70');
    for (const route of invite.headers.getAll('Route')) headers.append('Route', route);
    headers.append('From', invite.headers.get('From') ?? '');
    headers.append('To', success ? (invite.headers.get('To') ?? '') : (response.headers.get('To') ?? ''));
    headers.append('Call-ID', this.id.callId);
    headers.append('CSeq', `${parseCSeq(invite.headers.get('CSeq') ?? '')?.seq ?? 0} ACK`);
    return { type: 'request', method: 'ACK', uri: invite.uri, headers, body: Buffer.alloc(0) };
  }

  /** Ends the dialog locally. Emits no traffic: sending BYE is the TU's decision, made before this. */
  close(): void {
    if (this.#state === DialogState.Terminated) return;
    this.#state = DialogState.Terminated;
    this.#stopRetransmission();
    this.#stopReinviteRetransmission();
    this.listener = undefined;
    this.#host.terminated(this);
  }

  #destination(uriText: string): Endpoint {
    const uri = parseUri(uriText);
    const host = uri?.host.replace(/^\[|\]$/g, '');
    if (!uri || !host || isIP(host) === 0) return this.remoteEndpoint;
    const transportParam = uri.params.get('transport')?.toLowerCase();
    // RFC 3261 §19.1.2/§26.2.2: a SIPS URI is reached over TLS, port 5061 by default.
    const secure = uri.scheme === 'sips' || transportParam === 'tls';
    let transport: Endpoint['transport'];
    if (secure) transport = 'tls';
    else if (transportParam === 'tcp') transport = 'tcp';
    else transport = transportParam === undefined ? this.remoteEndpoint.transport : 'udp';
    // Connection reuse (RFC 5923's intent): a TLS peer behind NAT cannot take a new connection to its
    // Contact; the one its INVITE came on reaches it, so in-dialog requests go back on that.
    if (transport === 'tls' && this.remoteEndpoint.transport === 'tls' && this.remoteEndpoint.address === host)
      return this.remoteEndpoint;
    return { address: host, port: uri.port ?? (transport === 'tls' ? 5061 : 5060), transport };
  }

  #schedule2xx(): void {
    this.#timer2xxRetransmit = setTimeout(() => {
      if (this.#state !== DialogState.Accepted) return;
      this.#host.sendResponse(this.#okResponse, this.remoteEndpoint);
      this.#retransmitInterval = Math.min(2 * this.#retransmitInterval, this.#timers.T2);
      this.#schedule2xx();
    }, this.#retransmitInterval);
  }

  #scheduleReinviteOk(): void {
    const pending = this.#reinviteOk;
    if (!pending) return;
    this.#timerReinviteRetransmit = setTimeout(() => {
      if (this.#reinviteOk !== pending || this.#state === DialogState.Terminated) return;
      this.#host.sendResponse(pending.response, pending.to);
      pending.intervalMs = Math.min(2 * pending.intervalMs, this.#timers.T2);
      this.#scheduleReinviteOk();
    }, pending.intervalMs);
  }

  #stopReinviteRetransmission(): void {
    clearTimeout(this.#timerReinviteRetransmit);
    clearTimeout(this.#timerReinviteGiveUp);
    this.#timerReinviteRetransmit = this.#timerReinviteGiveUp = undefined;
    this.#reinviteOk = undefined;
  }

  #stopRetransmission(): void {
    clearTimeout(this.#timer2xxRetransmit);
    clearTimeout(this.#timer2xxGiveUp);
    this.#timer2xxRetransmit = this.#timer2xxGiveUp = undefined;
  }
}
