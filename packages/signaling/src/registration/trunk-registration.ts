import type { RegistrationStatus, TrunkConfig, TrunkRegister } from '@voicebridge/protocol';
import {
  answerDigestChallenge,
  formatHost,
  generateCallId,
  parseNameAddr,
  parseUri,
  SipHeaders,
  type Endpoint,
  type SipRequest,
  type SipResponse,
  type SipStack,
} from '@voicebridge/sip';
import type { Logger } from 'pino';
import { parseSipTarget, type SipResolver } from './sip-resolver.ts';

export interface TrunkRegistrationOptions {
  trunk: TrunkConfig & { register: TrunkRegister };
  stack: Pick<SipStack, 'sendRequest' | 'via' | 'generateTag' | 'userAgent'>;
  resolver: Pick<SipResolver, 'resolve'>;
  /** Our advertised address and the port of each transport, for the Contact. */
  contactHost: string;
  contactPort: (transport: Endpoint['transport']) => number;
  /** RFC 5626 §4.4.1 CRLF keep-alive on a stream connection. */
  sendKeepAlive: (to: Endpoint) => void;
  onStatus: (status: RegistrationStatus) => void;
  log: Logger;
  keepAliveIntervalMs?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
}

/** RFC 3261 §10.2.4: refresh before the binding lapses; ~60% leaves room for a lost request or two. */
const REFRESH_FRACTION = 0.6;
const MIN_REFRESH_MS = 2000;
const DEFAULT_KEEPALIVE_MS = 30_000;
const DEFAULT_RETRY_BASE_MS = 5000;
const DEFAULT_RETRY_MAX_MS = 300_000;

/**
 * One trunk's registration to its carrier (RFC 3261 §10): REGISTER with digest (401/407 answered
 * once, again only for stale=true), refreshed at ~60% of the granted expiry, kept alive between
 * refreshes (CRLF on TCP/TLS, OPTIONS on UDP; a keep-alive without answer re-registers), retried with
 * exponential back-off on failure. close() sends a REGISTER with Expires: 0 and stops every timer.
 */
export class TrunkRegistration {
  readonly name: string;
  readonly #options: TrunkRegistrationOptions;
  readonly #register: TrunkRegister;
  readonly #callId = generateCallId();
  readonly #fromTag: string;
  #cseq = 0;
  #status: RegistrationStatus;
  #endpoint: Endpoint | undefined;
  #timer: NodeJS.Timeout | undefined;
  #keepAlive: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: TrunkRegistrationOptions) {
    this.#options = options;
    this.name = options.trunk.name;
    this.#register = options.trunk.register;
    this.#fromTag = options.stack.generateTag();
    this.#status = { state: 'registering', registrar: this.#register.registrar, failures: 0, updatedAtMs: Date.now() };
  }

  get status(): RegistrationStatus {
    return this.#status;
  }

  /** The user part of our Contact: calls to it belong to this trunk. */
  get contactUser(): string {
    return this.#register.username;
  }

  start(): void {
    void this.#attempt();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    clearInterval(this.#keepAlive);
    this.#timer = undefined;
    this.#keepAlive = undefined;
    // RFC 3261 §10.2.2: Expires: 0 removes our binding; best effort, nobody waits for it.
    if (this.#status.state === 'registered' && this.#endpoint)
      void this.#exchange(this.#endpoint, 0).catch(() => undefined);
  }

  async #attempt(): Promise<void> {
    if (this.#closed) return;
    this.#setStatus({ state: 'registering' });
    try {
      const target = parseSipTarget(this.#register.registrar);
      if (target === undefined) return this.#fail('registrar unreadable');
      this.#endpoint = await this.#options.resolver.resolve(target, this.#register.transport);
      this.#setStatus({ resolved: `${this.#endpoint.address}:${this.#endpoint.port}/${this.#endpoint.transport}` });
      const result = await this.#exchange(this.#endpoint, this.#register.expires);
      if (this.#closed) return;
      if (result.ok) return this.#registered(result.expiresS);
      this.#fail(result.error);
    } catch (error) {
      this.#fail(error instanceof Error ? error.message.slice(0, 200) : 'error');
    }
  }

  /** One REGISTER exchange with its digest round trip; resolves with the granted expiry. */
  async #exchange(
    endpoint: Endpoint,
    expiresS: number,
  ): Promise<{ ok: true; expiresS: number } | { ok: false; error: string }> {
    let credentials: [string, string] | undefined;
    let requested = expiresS;
    // Challenge, a stale nonce, 423 Interval Too Brief, then the answer: four rounds at most, plus one.
    for (let round = 0; round < 5; round++) {
      const request = this.#request(endpoint, requested, credentials);
      const outcome = await this.#options.stack.sendRequest(request, endpoint);
      if (outcome.kind === 'timeout') return { ok: false, error: 'timeout' };
      const response = outcome.response;
      if (response.status >= 200 && response.status < 300)
        return { ok: true, expiresS: this.#granted(response, requested) };
      if (response.status === 401 || response.status === 407) {
        const challenges = response.headers.getAll(response.status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate');
        const answer = answerDigestChallenge(response.status, challenges, this.#credentials(), {
          method: 'REGISTER',
          uri: request.uri,
        });
        // A second challenge means the password was refused, unless only the nonce went stale (RFC 7616 §3.3).
        if (answer === undefined || (credentials !== undefined && !answer.stale))
          return { ok: false, error: `${response.status} ${response.reason}`.slice(0, 200) };
        credentials = [answer.header, answer.value];
        continue;
      }
      const minExpires = Number(response.headers.get('Min-Expires'));
      if (response.status === 423 && Number.isInteger(minExpires) && minExpires > requested) {
        requested = minExpires; // RFC 3261 §10.2.8: Interval Too Brief
        continue;
      }
      return { ok: false, error: `${response.status} ${response.reason}`.slice(0, 200) };
    }
    return { ok: false, error: 'too many challenges' };
  }

  /** RFC 3261 §22.2: the digest user is the account unless the carrier gave a separate one. */
  #credentials(): { username: string; password: string } {
    return { username: this.#register.authUsername ?? this.#register.username, password: this.#register.password };
  }

  #request(endpoint: Endpoint, expiresS: number, credentials: [string, string] | undefined): SipRequest {
    const target = parseSipTarget(this.#register.registrar);
    const scheme = target?.secure ? 'sips' : 'sip';
    const hostPart = target === undefined ? endpoint.address : formatHost(target.host);
    const domain = target?.port === undefined ? hostPart : `${hostPart}:${target.port}`;
    const aor = `${scheme}:${this.#register.username}@${hostPart}`;
    const transport = endpoint.transport;
    const host = formatHost(this.#options.contactHost);
    const contact = `<sip:${this.#register.username}@${host}:${this.#options.contactPort(transport)}${transport === 'udp' ? '' : `;transport=${transport}`}>`;
    const headers = new SipHeaders();
    headers.append('Via', this.#options.stack.via(transport));
    headers.append('Max-Forwards', '70');
    headers.append('From', `<${aor}>;tag=${this.#fromTag}`);
    headers.append('To', `<${aor}>`);
    headers.append('Call-ID', this.#callId);
    headers.append('CSeq', `${++this.#cseq} REGISTER`);
    headers.append('Contact', contact);
    headers.append('Expires', String(expiresS));
    headers.append('User-Agent', this.#options.stack.userAgent);
    if (credentials) headers.append(credentials[0], credentials[1]);
    return { type: 'request', method: 'REGISTER', uri: `${scheme}:${domain}`, headers, body: Buffer.alloc(0) };
  }

  /** §10.2.4: the expires param of our Contact in the 2xx, else its Expires header, else what we asked. */
  #granted(response: SipResponse, requested: number): number {
    const ours = `${this.#register.username}@`;
    for (const value of response.headers.getAll('Contact')) {
      const contact = parseNameAddr(value);
      const user = contact ? parseUri(contact.uri)?.user : undefined;
      const expires = Number(contact?.params.get('expires'));
      if (user !== undefined && `${user}@` === ours && Number.isInteger(expires) && expires >= 0) return expires;
    }
    const header = Number(response.headers.get('Expires'));
    return Number.isInteger(header) && header >= 0 ? header : requested;
  }

  #registered(expiresS: number): void {
    this.#setStatus({
      state: 'registered',
      expiresAtMs: Date.now() + expiresS * 1000,
      failures: 0,
      lastError: undefined,
    });
    this.#options.log.info({ trunk: this.name, expiresS }, `trunk ${this.name} registered for ${expiresS} s`);
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#attempt(), Math.max(MIN_REFRESH_MS, expiresS * 1000 * REFRESH_FRACTION));
    this.#startKeepAlive();
  }

  #startKeepAlive(): void {
    clearInterval(this.#keepAlive);
    this.#keepAlive = setInterval(
      () => void this.#keepAliveOnce(),
      this.#options.keepAliveIntervalMs ?? DEFAULT_KEEPALIVE_MS,
    );
  }

  async #keepAliveOnce(): Promise<void> {
    const endpoint = this.#endpoint;
    if (this.#closed || endpoint === undefined || this.#status.state !== 'registered') return;
    if (endpoint.transport !== 'udp') {
      this.#options.sendKeepAlive(endpoint);
      return;
    }
    // UDP: an OPTIONS out of dialog (RFC 3261 §11); any response means the path and the registrar live.
    const headers = new SipHeaders();
    const target = parseSipTarget(this.#register.registrar);
    const host = target === undefined ? endpoint.address : formatHost(target.host);
    headers.append('Via', this.#options.stack.via('udp'));
    headers.append('Max-Forwards', '70');
    headers.append('From', `<sip:${this.#register.username}@${host}>;tag=${this.#options.stack.generateTag()}`);
    headers.append('To', `<sip:${host}>`);
    headers.append('Call-ID', generateCallId());
    headers.append('CSeq', '1 OPTIONS');
    headers.append('User-Agent', this.#options.stack.userAgent);
    const outcome = await this.#options.stack.sendRequest(
      { type: 'request', method: 'OPTIONS', uri: `sip:${host}`, headers, body: Buffer.alloc(0) },
      endpoint,
    );
    if (this.#closed || outcome.kind !== 'timeout' || this.#status.state !== 'registered') return;
    this.#options.log.warn(
      { trunk: this.name },
      `trunk ${this.name}: registrar keep-alive unanswered, registering again`,
    );
    clearTimeout(this.#timer);
    void this.#attempt();
  }

  #fail(error: string): void {
    if (this.#closed) return;
    clearInterval(this.#keepAlive);
    this.#keepAlive = undefined;
    const failures = this.#status.failures + 1;
    const base = this.#options.retryBaseMs ?? DEFAULT_RETRY_BASE_MS;
    const delay =
      Math.min(this.#options.retryMaxMs ?? DEFAULT_RETRY_MAX_MS, base * 2 ** Math.min(failures - 1, 16)) *
      (0.8 + 0.4 * Math.random());
    this.#setStatus({ state: 'failed', failures, lastError: error, expiresAtMs: undefined });
    this.#options.log.warn(
      { trunk: this.name, error, retryInMs: Math.round(delay) },
      `trunk ${this.name} registration failed (${error})`,
    );
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#attempt(), delay);
  }

  #setStatus(change: Partial<RegistrationStatus>): void {
    const next: RegistrationStatus = { ...this.#status, ...change, updatedAtMs: Date.now() };
    for (const key of Object.keys(next) as (keyof RegistrationStatus)[]) if (next[key] === undefined) delete next[key];
    this.#status = next;
    if (!this.#closed) this.#options.onStatus(next);
  }
}
