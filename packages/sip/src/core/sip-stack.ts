import { silentLogger, type Logger } from '@voicebridge/protocol';
import {
  createResponse,
  formatHost,
  generateBranch,
  generateTag,
  parseCSeq,
  parseMessage,
  parseNameAddr,
  serializeMessage,
  type ParseLimits,
  type SipMessage,
  type SipRequest,
  type SipResponse,
} from '../messages/index.ts';
import { Dialog, type DialogListener } from '../dialogs/dialog.ts';
import { UacInvite, type UacInviteOptions } from '../dialogs/uac-invite.ts';
import { InviteServerTransaction } from '../transactions/invite-server-transaction.ts';
import type { NonInviteServerTransaction } from '../transactions/non-invite-server-transaction.ts';
import type { ClientOutcome } from '../transactions/non-invite-client-transaction.ts';
import type { ServerTransaction } from '../transactions/server-transaction.ts';
import { serverTransactionKey } from '../transactions/transaction-key.ts';
import { ClientTransactions } from './client-transactions.ts';
import { DialogTable } from './dialog-table.ts';
import { withDigestRetry } from './digest-retry.ts';
import { replyTo, stampVia } from './reply-routing.ts';
import { ServerTransactions } from './server-transactions.ts';
import { ThrottledWarning } from './throttled-warning.ts';
import { DEFAULT_TIMERS, type Endpoint, type SipTimerValues } from './timers.ts';

export interface SipStackHandler {
  /** A new out-of-dialog INVITE; 100 Trying is already sent. The handler must send a final response. */
  onInvite(tx: InviteServerTransaction): void;
  /** A new out-of-dialog request other than INVITE/ACK/CANCEL. The handler must respond. */
  onRequest(request: SipRequest, tx: NonInviteServerTransaction): void;
}

export interface SipStackOptions {
  send(data: Buffer, to: Endpoint): void;
  handler: SipStackHandler;
  /** The advertised sent-by for our Via (never a wildcard bind address). */
  advertised: {
    host: string;
    port: number;
    /** Our SIP-over-TLS port for Vias sent over TLS; default `port`. */ tlsPort?: number;
  };
  timers?: Partial<SipTimerValues>;
  limits?: Partial<ParseLimits>;
  userAgent?: string;
  /** Malformed and stray messages are logged here (warn, debug); default silent. */
  log?: Logger;
  /**
   * Answer UDP requests at their source port even without `;rport` (default true): RFC 3581
   * behaviour for every peer, which is what gets through NATs. Off, a Via without rport is answered
   * at its sent-by port (5060 when absent), RFC 3261 §18.2.2. Either way only at the source address.
   */
  forceRport?: boolean;
  /** Every response we send on a server transaction, as sent (for metrics: counts, never content). */
  onResponse?: (method: string, status: number) => void;
}

export interface RespondOptions {
  reason?: string;
  toTag?: string;
  headers?: [string, string][];
  body?: Buffer;
  contentType?: string;
}

/**
 * The transport-independent SIP core: transactions and dialogs, fed with bytes and a source,
 * writing bytes through `send`. Never opens a socket, so the whole core is tested in memory.
 */
export class SipStack {
  readonly timers: SipTimerValues;
  readonly userAgent: string;
  readonly #options: SipStackOptions;
  readonly #log: Logger;
  /** Messages over a size limit that cannot be answered (the long line was Via or CSeq). */
  readonly #oversizeDrops: ThrottledWarning;
  readonly #serverTransactions: ServerTransactions;
  readonly #clientTransactions: ClientTransactions;
  readonly #dialogs = new DialogTable();
  /** Our outgoing INVITEs until each has its outcome. */
  readonly #uacInvites = new Set<UacInvite>();
  #closed = false;

  constructor(options: SipStackOptions) {
    this.#options = options;
    this.timers = { ...DEFAULT_TIMERS, ...options.timers };
    this.userAgent = options.userAgent ?? 'voicebridge';
    this.#log = options.log ?? silentLogger;
    this.#oversizeDrops = new ThrottledWarning(this.#log);
    this.#clientTransactions = new ClientTransactions((request, to) => this.#write(request, to), this.timers);
    this.#serverTransactions = new ServerTransactions((response, to) => this.#write(response, to), this.timers);
  }

  get stats(): { serverTransactions: number; clientTransactions: number; dialogs: number } {
    return {
      serverTransactions: this.#serverTransactions.size,
      clientTransactions: this.#clientTransactions.size,
      dialogs: this.#dialogs.size,
    };
  }

  receive(data: Buffer, source: Endpoint): void {
    if (this.#closed) return;
    // RFC 5626 §4.4.1 keep-alives: a bare CRLF (or CRLFCRLF) is not a message.
    if (data.length <= 4 && data.toString('latin1').trim() === '') return;
    const outcome = parseMessage(data, this.#options.limits);
    if (!outcome.ok) {
      if (outcome.request && outcome.request.method !== 'ACK') {
        this.#log.warn(
          { status: outcome.status, reason: outcome.reason, from: source.address },
          'malformed SIP request rejected',
        );
        this.sendResponse(
          createResponse(outcome.request, outcome.status, outcome.reason),
          this.#replyTo(outcome.request, source),
        );
      } else if (outcome.status === 513 || outcome.status === 413) {
        // Over a limit before Via or CSeq was read (an over-long Via, say): no answer can reach the
        // sender, but an operator whose trunk sends such headers must be able to see why calls vanish.
        this.#oversizeDrops.warn(
          { status: outcome.status, reason: outcome.reason, from: source.address },
          `SIP message dropped unanswered: ${outcome.reason} (over the SIP_MAX_* limits, before Via or CSeq could be read)`,
        );
      } else {
        this.#log.debug({ reason: outcome.reason, from: source.address }, 'unparseable SIP message dropped');
      }
      return;
    }
    if (outcome.message.type === 'response') this.#receiveResponse(outcome.message);
    else this.#receiveRequest(outcome.message, this.#replyTo(outcome.message, source));
  }

  #replyTo(request: SipRequest, source: Endpoint): Endpoint {
    return replyTo(request, source, this.#options.forceRport !== false);
  }

  /** Builds a response to a request with our Server header, and sends it on the transaction. */
  respond(tx: ServerTransaction, status: number, options?: RespondOptions): SipResponse {
    const headers: [string, string][] = [['Server', this.userAgent], ...(options?.headers ?? [])];
    const response = createResponse(tx.request, status, options?.reason, {
      toTag: status === 100 ? undefined : options?.toTag,
      headers,
      body: options?.body,
      contentType: options?.contentType,
    });
    tx.respond(response);
    this.#options.onResponse?.(tx.request.method, status);
    return response;
  }

  /**
   * Sends the 2xx to an INVITE and creates the dialog (RFC 3261 §12.1.1, §13.3.1.4).
   * `contact` is our Contact URI (advertised address).
   */
  accept(
    tx: InviteServerTransaction,
    options: {
      toTag: string;
      contact: string;
      body: Buffer;
      contentType: string;
      headers?: [string, string][];
      listener: DialogListener;
    },
  ): Dialog {
    const headers: [string, string][] = [['Contact', `<${options.contact}>`]];
    for (const rr of tx.request.headers.getAll('Record-Route')) headers.push(['Record-Route', rr]);
    headers.push(...(options.headers ?? []));
    const ok = this.respond(tx, 200, {
      toTag: options.toTag,
      headers,
      body: options.body,
      contentType: options.contentType,
    });
    const dialog = Dialog.uas(tx.request, ok, tx.source, this.#dialogHost(), this.timers);
    dialog.listener = options.listener;
    this.#dialogs.addAnswered(dialog);
    dialog.startRetransmission();
    return dialog;
  }

  /**
   * Responds to an in-dialog request. A 2xx to a target refresh (re-INVITE, UPDATE) carries our
   * Contact and updates the remote target (§12.2.2); a 2xx to a re-INVITE is retransmitted by the
   * dialog until its ACK (§14.2, §13.3.1.4), as the initial one.
   */
  respondInDialog(
    dialog: Dialog,
    tx: ServerTransaction,
    status: number,
    options: RespondOptions & { contact?: string } = {},
  ): SipResponse {
    const method = tx.request.method;
    const refresh = status >= 200 && status < 300 && (method === 'INVITE' || method === 'UPDATE');
    const headers: [string, string][] = [
      ...(refresh && options.contact ? ([['Contact', `<${options.contact}>`]] as [string, string][]) : []),
      ...(options.headers ?? []),
    ];
    const response = this.respond(tx, status, { ...options, headers });
    if (refresh) dialog.refreshTarget(tx.request);
    if (refresh && method === 'INVITE') dialog.retransmitReinviteOk(response, tx.source);
    return response;
  }

  /**
   * Sends an in-dialog non-INVITE request (BYE, INFO, UPDATE, REFER, …) on a client transaction. A
   * 401/407 is answered once with the dialog's credentials when it has some (RFC 3261 §22.2–22.3):
   * the request goes again with a new CSeq and Authorization/Proxy-Authorization.
   */
  async request(
    dialog: Dialog,
    method: string,
    options?: { headers?: [string, string][]; body?: Buffer },
  ): Promise<ClientOutcome> {
    return withDigestRetry(dialog, method, options, (opts) => this.#requestOnce(dialog, method, opts));
  }

  /** Sends a re-INVITE in the dialog (RFC 3261 §14.1) and ACKs its final response (§13.2.2.4, §17.1.1.3). */
  async invite(dialog: Dialog, options: { headers?: [string, string][]; body?: Buffer }): Promise<ClientOutcome> {
    const { request, destination } = dialog.createRequest('INVITE', options);
    if (this.#closed) return { kind: 'timeout' };
    const ackFor = (response: SipResponse): SipRequest => dialog.createAck(request, response);
    const onSuccess = (response: SipResponse): void => this.#write(ackFor(response), destination);
    return this.#clientTransactions.startInvite(request, destination, ackFor, onSuccess);
  }

  async #requestOnce(
    dialog: Dialog,
    method: string,
    options?: { headers?: [string, string][]; body?: Buffer },
  ): Promise<{ request: SipRequest; outcome: ClientOutcome }> {
    const { request, destination } = dialog.createRequest(method, options);
    if (this.#closed) return { request, outcome: { kind: 'timeout' } };
    return { request, outcome: await this.#clientTransactions.start(request, destination) };
  }

  /**
   * Places a call (RFC 3261 §13.2): our INVITE, its early dialogs, the ACK of every 2xx, forking,
   * digest, the 422 retry and CANCEL (uac-invite.ts). The outcome resolves at the answer or the end;
   * an answered call's dialog is in the stack, so in-dialog requests reach its listener.
   */
  dial(options: UacInviteOptions): UacInvite {
    const uac = new UacInvite(options, {
      startInvite: (request, destination, hooks) => {
        if (this.#closed) return Promise.resolve({ kind: 'timeout' });
        return this.#clientTransactions.startInvite(request, destination, hooks.ackFor, hooks.onSuccess, {
          onProvisional: hooks.onProvisional,
          timerBCallingOnly: true,
        });
      },
      startRequest: (request, destination) => this.sendRequest(request, destination),
      endInvite: (request) => this.#clientTransactions.end(request),
      write: (request, destination) => this.#write(request, destination),
      addDialog: (dialog) => {
        if (!this.#closed) this.#dialogs.add(dialog);
      },
      dialogHost: this.#dialogHost(),
      timers: this.timers,
      userAgent: this.userAgent,
    });
    this.#uacInvites.add(uac);
    void uac.outcome.then(() => this.#uacInvites.delete(uac));
    uac.start();
    return uac;
  }

  /**
   * Sends an out-of-dialog non-INVITE request (REGISTER, OPTIONS keep-alive) built by the caller, on
   * a client transaction (RFC 3261 §17.1.2). Its top Via must come from `via()`.
   */
  async sendRequest(request: SipRequest, destination: Endpoint): Promise<ClientOutcome> {
    if (this.#closed) return { kind: 'timeout' };
    return this.#clientTransactions.start(request, destination);
  }

  /** Our Via for a new request over `transport`: the advertised sent-by, rport, a fresh branch. */
  via(transport: Endpoint['transport']): string {
    return this.#dialogHost().via(generateBranch(), transport);
  }

  generateTag(): string {
    return generateTag();
  }

  sendResponse(response: SipResponse, to: Endpoint): void {
    this.#write(response, to);
  }

  /** Ends every transaction and dialog without sending anything. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#serverTransactions.close();
    for (const uac of this.#uacInvites) uac.close();
    this.#clientTransactions.close();
    this.#dialogs.close();
  }

  #receiveResponse(response: SipResponse): void {
    // RFC 3261 §18.1.2 / §17.1.3: match by branch and CSeq method; a response nobody waits for is dropped.
    if (!this.#clientTransactions.receiveResponse(response)) {
      this.#log.debug({ status: response.status }, 'stray response dropped');
    }
  }

  #receiveRequest(request: SipRequest, source: Endpoint): void {
    stampVia(request, source);
    if (request.method === 'ACK') return this.#receiveAck(request);
    if (request.method === 'CANCEL') return this.#receiveCancel(request, source);
    const key = serverTransactionKey(request);
    if (!key) return;
    const existing = this.#serverTransactions.get(key);
    if (existing) return existing.receiveRetransmission();

    const toTag = parseNameAddr(request.headers.get('To') ?? '')?.tag;
    if (toTag) return this.#receiveInDialog(request, source, key);

    if (request.method === 'INVITE') {
      // An INVITE retransmitted after Timer L ended its transaction: the dialog resends its 2xx
      // (§13.3.1.4) instead of this becoming a second call.
      const dialog = this.#dialogs.findAnswered(request);
      if (dialog) return dialog.receiveInviteRetransmission();
      const tx = this.#serverTransactions.createInvite(key, request, source);
      this.respond(tx, 100); // §17.2.1: we answer at once rather than within 200 ms
      this.#options.handler.onInvite(tx);
      return;
    }
    const tx = this.#serverTransactions.createNonInvite(key, request, source);
    this.#options.handler.onRequest(request, tx);
  }

  #receiveInDialog(request: SipRequest, source: Endpoint, key: string): void {
    const dialog = this.#dialogs.find(request);
    const tx =
      request.method === 'INVITE'
        ? this.#serverTransactions.createInvite(key, request, source)
        : this.#serverTransactions.createNonInvite(key, request, source);
    if (!dialog?.listener) {
      // §12.2.2: a request that matches no dialog gets 481.
      this.respond(tx, 481, { reason: 'Call/Transaction Does Not Exist' });
      return;
    }
    const seq = parseCSeq(request.headers.get('CSeq') ?? '')?.seq ?? 0;
    if (!dialog.acceptRemoteSequence(seq)) {
      this.respond(tx, 500, { reason: 'Out of Order CSeq' }); // §12.2.2
      return;
    }
    dialog.listener.onRequest(request, tx);
  }

  #receiveAck(ack: SipRequest): void {
    // An ACK to a non-2xx belongs to the INVITE transaction (§17.2.1); an ACK to our 2xx to the dialog (§13.3.1.4).
    const key = serverTransactionKey(ack);
    const tx = key ? this.#serverTransactions.get(key) : undefined;
    if (tx instanceof InviteServerTransaction && tx.finalSent && tx.state !== 'accepted') {
      tx.receiveAck();
      return;
    }
    this.#dialogs.find(ack)?.receiveAck(ack);
  }

  #receiveCancel(cancel: SipRequest, source: Endpoint): void {
    const key = serverTransactionKey(cancel);
    if (!key) return;
    const existing = this.#serverTransactions.get(key);
    if (existing) return existing.receiveRetransmission();
    const tx = this.#serverTransactions.createNonInvite(key, cancel, source);
    // §9.2: the CANCEL matches the INVITE transaction with the same branch; it never changes a final response.
    const inviteKey = serverTransactionKey(cancel, 'INVITE');
    const invite = inviteKey ? this.#serverTransactions.get(inviteKey) : undefined;
    if (!(invite instanceof InviteServerTransaction)) {
      this.respond(tx, 481, { reason: 'Call/Transaction Does Not Exist' });
      return;
    }
    this.respond(tx, 200);
    invite.cancel();
  }

  #dialogHost() {
    const { host, port, tlsPort } = this.#options.advertised;
    return {
      sendResponse: (response: SipResponse, to: Endpoint) => this.#write(response, to),
      terminated: (dialog: Dialog) => this.#dialogs.delete(dialog),
      via: (branch: string, transport: Endpoint['transport']) =>
        `SIP/2.0/${transport.toUpperCase()} ${formatHost(host)}:${transport === 'tls' ? (tlsPort ?? port) : port};rport;branch=${branch}`,
      userAgent: this.userAgent,
    };
  }

  #write(message: SipMessage, to: Endpoint): void {
    if (this.#closed) return;
    this.#options.send(serializeMessage(message), to);
  }
}
