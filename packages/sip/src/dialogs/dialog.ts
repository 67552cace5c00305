import {
  SipHeaders,
  formatNameAddr,
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
 * A UAS dialog created by our 2xx to an INVITE (RFC 3261 §12.1.1).
 *
 *   Accepted ── ACK ──► Confirmed ── BYE either way / close() ──► Terminated
 *      │ no ACK within 64·T1 (§13.3.1.4)
 *      └──────────────────────────────────────────────────────────► Terminated (onAckTimeout)
 *
 * While Accepted, the UAS core retransmits the 2xx at T1, 2·T1 … capped at T2 (§13.3.1.4);
 * the INVITE transaction itself sits in RFC 6026's Accepted state and does not.
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

export function dialogKey(id: DialogId): string {
  return `${id.callId}\u0000${id.localTag}\u0000${id.remoteTag}`;
}

export class Dialog {
  readonly id: DialogId;
  readonly key: string;
  /** Remote Contact URI: where in-dialog requests go (§12.1.1). */
  readonly remoteTarget: string;
  /** Record-Route of the INVITE, in order (§12.1.1, UAS side). */
  readonly routeSet: readonly string[];
  /** The peer that sent the INVITE: the fallback destination when a URI host is not an IP literal. */
  readonly remoteEndpoint: Endpoint;
  listener: DialogListener | undefined;
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

  constructor(invite: SipRequest, ok: SipResponse, source: Endpoint, host: DialogHost, timers: SipTimerValues) {
    const to = parseNameAddr(ok.headers.get('To') ?? '');
    const from = parseNameAddr(invite.headers.get('From') ?? '');
    const contact = parseNameAddr(invite.headers.get('Contact') ?? '');
    if (!to?.tag || !from) throw new Error('Dialog: the 2xx needs a To tag and the INVITE a From');
    this.id = { callId: invite.headers.get('Call-ID') ?? '', localTag: to.tag, remoteTag: from.tag ?? '' };
    this.key = dialogKey(this.id);
    this.remoteTarget = contact?.uri ?? invite.uri;
    this.routeSet = invite.headers.getAll('Record-Route');
    this.remoteEndpoint = source;
    this.#localHeader = ok.headers.get('To') ?? '';
    this.#remoteHeader = invite.headers.get('From') ?? '';
    this.#remoteSeq = Number.parseInt((invite.headers.get('CSeq') ?? '0').trim(), 10);
    this.#localSeq = 1 + Math.floor(Math.random() * 10_000);
    this.#okResponse = ok;
    this.#host = host;
    this.#timers = timers;
    this.#retransmitInterval = timers.T1;
  }

  get state(): DialogState {
    return this.#state;
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

  receiveAck(ack: SipRequest): void {
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
  createRequest(method: string, options?: { headers?: [string, string][]; body?: Buffer }): { request: SipRequest; destination: Endpoint } {
    this.#localSeq += 1;
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
    headers.append('CSeq', `${this.#localSeq} ${method}`);
    headers.append('User-Agent', this.#host.userAgent);
    for (const [name, value] of options?.headers ?? []) headers.append(name, value);
    const request: SipRequest = { type: 'request', method, uri: requestUri, headers, body: options?.body ?? Buffer.alloc(0) };
    return { request, destination };
  }

  /** Ends the dialog locally. Emits no traffic: sending BYE is the TU's decision, made before this. */
  close(): void {
    if (this.#state === DialogState.Terminated) return;
    this.#state = DialogState.Terminated;
    this.#stopRetransmission();
    this.listener = undefined;
    this.#host.terminated(this);
  }

  #destination(uriText: string): Endpoint {
    const uri = parseUri(uriText);
    const host = uri?.host.replace(/^\[|\]$/g, '');
    if (!uri || !host || isIP(host) === 0) return this.remoteEndpoint;
    const transportParam = uri.params.get('transport')?.toLowerCase();
    const transport = transportParam === 'tcp' ? 'tcp' : transportParam === undefined ? this.remoteEndpoint.transport : 'udp';
    return { address: host, port: uri.port ?? 5060, transport };
  }

  #schedule2xx(): void {
    this.#timer2xxRetransmit = setTimeout(() => {
      if (this.#state !== DialogState.Accepted) return;
      this.#host.sendResponse(this.#okResponse, this.remoteEndpoint);
      this.#retransmitInterval = Math.min(2 * this.#retransmitInterval, this.#timers.T2);
      this.#schedule2xx();
    }, this.#retransmitInterval);
  }

  #stopRetransmission(): void {
    clearTimeout(this.#timer2xxRetransmit);
    clearTimeout(this.#timer2xxGiveUp);
    this.#timer2xxRetransmit = this.#timer2xxGiveUp = undefined;
  }
}
