import type { Endpoint } from '@voicebridge/sip';
import type { Logger } from 'pino';
import { TokenBucket } from './token-bucket.ts';
import type { TrunkDirectory } from './trunk-directory.ts';

/** User-Agent values of SIP scanners and war-dialers (as dropped by Kamailio's and drachtio's examples). */
export const SCANNER_USER_AGENTS =
  /friendly-scanner|sipvicious|sipcli|sip-?scan|sundayddr|iwar|vaxsipuseragent|pplsip|^smap/i;

/** `User-Agent:` in the raw head of a message (no compact form exists, RFC 3261 §20.41). */
const USER_AGENT_LINE = /^User-Agent[ \t]*:[ \t]*([^\r\n]*)/im;

export interface AbuseGuardOptions {
  directory: Pick<TrunkDirectory, 'isTrusted' | 'hasSourcelessTrunk'>;
  /** SIP_UNTRUSTED_RESPONSE: `drop` stops unknown sources here; `403` lets them reach the call manager. */
  untrustedResponse: 'drop' | '403';
  /** SIP_UNTRUSTED_RATE / SIP_UNTRUSTED_BURST: per-IP limit for sources outside every trunk. */
  ratePerSecond: number;
  burst: number;
  /** SIP_BAN_TIME_S in ms; 0 never bans. */
  banMs: number;
  log: Logger;
  nowMs?: () => number;
  /** Bound on the per-IP tables (a spoofed-source flood must not grow memory without limit). */
  maxTrackedSources?: number;
}

/**
 * The first check on every SIP message, before it is parsed: drops scanner user agents, bans
 * sources outside every trunk that go over their rate, and (in `drop` mode) keeps unknown sources
 * from getting any answer at all. Each security event is one log line ending `from <IP>`
 * (docs/operations.md, for fail2ban). Trunk and SIP_ALLOWED_CIDRS sources are never banned.
 */
export class AbuseGuard {
  readonly #options: AbuseGuardOptions;
  readonly #now: () => number;
  readonly #buckets = new Map<string, TokenBucket>();
  /** address → ban end, ms. */
  readonly #bans = new Map<string, number>();
  readonly #maxTracked: number;
  #dropped = 0;

  constructor(options: AbuseGuardOptions) {
    this.#options = options;
    this.#now = options.nowMs ?? Date.now;
    this.#maxTracked = options.maxTrackedSources ?? 100_000;
  }

  /** Messages dropped here (scanners, bans, unknown sources). */
  get dropped(): number {
    return this.#dropped;
  }

  isBanned(address: string): boolean {
    const until = this.#bans.get(address);
    if (until === undefined) return false;
    if (until > this.#now()) return true;
    this.#bans.delete(address);
    return false;
  }

  /** True when the message may go on to the SIP core. */
  admit(data: Buffer, source: Endpoint): boolean {
    const address = source.address;
    if (this.isBanned(address)) return this.#drop();
    const trusted = this.#options.directory.isTrusted(address);
    const userAgent = scannerUserAgent(data);
    if (userAgent !== undefined) {
      this.#options.log.warn(
        { source: address, userAgent },
        `SIP scanner dropped (User-Agent "${userAgent}") from ${address}`,
      );
      if (!trusted) this.#count(address);
      return this.#drop();
    }
    if (trusted) return true;
    if (!this.#count(address)) return this.#drop();
    // A response answers nothing back: it may be a registrar's (outbound registration) and reaches
    // the core, which drops it unless it matches one of our client transactions.
    if (!isRequest(data)) return true;
    if (this.#options.untrustedResponse === '403' || this.#options.directory.hasSourcelessTrunk) return true;
    this.#options.log.warn({ source: address }, `SIP request dropped: source matches no trunk from ${address}`);
    return this.#drop();
  }

  /**
   * Whether to accept a new TCP/TLS connection: never from a banned source; from a source outside
   * every trunk only when its requests could be answered (403 mode, or a trunk without sources), and
   * then it counts against the source's rate like a request, so a connection flood ends in a ban.
   */
  acceptsConnection(address: string): boolean {
    if (this.isBanned(address)) return this.#drop();
    if (this.#options.directory.isTrusted(address)) return true;
    if (!this.#count(address)) return this.#drop();
    if (this.#options.untrustedResponse === '403' || this.#options.directory.hasSourcelessTrunk) return true;
    this.#options.log.warn({ source: address }, `SIP connection dropped: source matches no trunk from ${address}`);
    return this.#drop();
  }

  /** Counts one request from an untrusted source; false (and a ban) when it is over the rate. */
  #count(address: string): boolean {
    const now = this.#now();
    let bucket = this.#buckets.get(address);
    if (bucket === undefined) {
      this.#prune(now);
      bucket = new TokenBucket(this.#options.ratePerSecond, this.#options.burst, now);
      this.#buckets.set(address, bucket);
    }
    if (bucket.take(now)) return true;
    if (this.#options.banMs > 0) {
      this.#buckets.delete(address);
      if (this.#bans.size >= this.#maxTracked) this.#bans.delete(this.#bans.keys().next().value as string);
      this.#bans.set(address, now + this.#options.banMs);
      this.#options.log.warn(
        { source: address, banS: Math.round(this.#options.banMs / 1000) },
        `SIP source banned for ${Math.round(this.#options.banMs / 1000)} s: over ${this.#options.ratePerSecond} requests/s from ${address}`,
      );
    }
    return false;
  }

  /** Forgets idle buckets (full again) when the table is at its bound. */
  #prune(now: number): void {
    if (this.#buckets.size < this.#maxTracked) return;
    for (const [address, bucket] of this.#buckets) if (bucket.isFull(now)) this.#buckets.delete(address);
    if (this.#buckets.size >= this.#maxTracked) this.#buckets.delete(this.#buckets.keys().next().value as string);
  }

  #drop(): false {
    this.#dropped++;
    return false;
  }
}

function scannerUserAgent(data: Buffer): string | undefined {
  const head = data.subarray(0, 4096).toString('latin1');
  const value = USER_AGENT_LINE.exec(head)?.[1]?.trim();
  if (value === undefined || !SCANNER_USER_AGENTS.test(value)) return undefined;
  return value.slice(0, 60).replace(/[^\x20-\x7e]|"/g, '?');
}

/** A request starts with a method token; a response with `SIP/2.0`. */
function isRequest(data: Buffer): boolean {
  return data.length > 0 && !data.subarray(0, 8).toString('latin1').startsWith('SIP/');
}
