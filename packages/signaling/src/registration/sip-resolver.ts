import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import type { Endpoint } from '@voicebridge/sip';

/** What the resolver needs of node:dns (tests may pass their own). */
export interface DnsLookups {
  resolveSrv(name: string): Promise<{ name: string; port: number; priority: number; weight: number }[]>;
  resolve4(name: string, options: { ttl: true }): Promise<{ address: string; ttl: number }[]>;
  resolve6(name: string, options: { ttl: true }): Promise<{ address: string; ttl: number }[]>;
}

export interface SipResolverOptions {
  dns?: DnsLookups;
  /** Cache lifetime for SRV answers (node:dns does not report their TTL) and the cap for A/AAAA. */
  maxCacheMs?: number;
  now?: () => number;
}

export interface SipTarget {
  /** host or [IPv6], from `sip:host[:port]`, `sips:host[:port]` or `host[:port]`. */
  host: string;
  port?: number;
  secure: boolean;
}

const DEFAULT_CACHE_MS = 300_000;

/** Reads a registrar as the trunk config stores it (REGISTRAR_PATTERN). */
export function parseSipTarget(text: string): SipTarget | undefined {
  const match = /^(?:(sips?):)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(text.trim());
  if (!match) return undefined;
  const port = match[3] === undefined ? undefined : Number(match[3]);
  if (port !== undefined && (port < 1 || port > 65535)) return undefined;
  const target: SipTarget = { host: (match[2] as string).replace(/^\[|\]$/g, ''), secure: match[1] === 'sips' };
  if (port !== undefined) target.port = port;
  return target;
}

/**
 * RFC 3263 §4 for a configured transport: an IP literal is used as is; a name with a port gets its
 * A/AAAA records; a name without a port gets SRV `_sip._udp`, `_sip._tcp` or `_sips._tcp` first
 * (lowest priority, then a weighted pick, §4.4 / RFC 2782), falling back to A/AAAA on 5060/5061.
 * Answers are cached (A/AAAA by their TTL, SRV for `maxCacheMs`).
 */
export class SipResolver {
  readonly #dns: DnsLookups;
  readonly #maxCacheMs: number;
  readonly #now: () => number;
  readonly #cache = new Map<string, { until: number; value: unknown }>();

  constructor(options: SipResolverOptions = {}) {
    this.#dns = options.dns ?? dns;
    this.#maxCacheMs = options.maxCacheMs ?? DEFAULT_CACHE_MS;
    this.#now = options.now ?? Date.now;
  }

  async resolve(target: SipTarget, transport: Endpoint['transport']): Promise<Endpoint> {
    const defaultPort = transport === 'tls' ? 5061 : 5060;
    if (isIP(target.host) !== 0) return { address: target.host, port: target.port ?? defaultPort, transport };
    if (target.port !== undefined) return { address: await this.#address(target.host), port: target.port, transport };
    const service = transport === 'tls' ? '_sips._tcp' : transport === 'tcp' ? '_sip._tcp' : '_sip._udp';
    const records = await this.#cached(`srv ${service}.${target.host}`, async () => {
      try {
        return { value: await this.#dns.resolveSrv(`${service}.${target.host}`), ttlMs: this.#maxCacheMs };
      } catch {
        return { value: [], ttlMs: this.#maxCacheMs }; // §4.2: no SRV → A/AAAA on the default port
      }
    });
    const chosen = pickSrv(records);
    if (chosen === undefined) return { address: await this.#address(target.host), port: defaultPort, transport };
    return { address: await this.#address(chosen.name), port: chosen.port, transport };
  }

  async #address(host: string): Promise<string> {
    return this.#cached(`a ${host}`, async () => {
      for (const lookup of [
        () => this.#dns.resolve4(host, { ttl: true }),
        () => this.#dns.resolve6(host, { ttl: true }),
      ]) {
        try {
          const records = await lookup();
          const first = records[0];
          if (first !== undefined) return { value: first.address, ttlMs: Math.min(first.ttl * 1000, this.#maxCacheMs) };
        } catch {
          // try the other family
        }
      }
      // `localhost` and names in /etc/hosts are not in DNS.
      if (host === 'localhost') return { value: '127.0.0.1', ttlMs: this.#maxCacheMs };
      throw new Error(`cannot resolve ${host}`);
    });
  }

  async #cached<T>(key: string, load: () => Promise<{ value: T; ttlMs: number }>): Promise<T> {
    const hit = this.#cache.get(key);
    if (hit !== undefined && hit.until > this.#now()) return hit.value as T;
    const { value, ttlMs } = await load();
    this.#cache.set(key, { until: this.#now() + ttlMs, value });
    return value;
  }
}

function pickSrv(
  records: { name: string; port: number; priority: number; weight: number }[],
): { name: string; port: number } | undefined {
  const usable = records.filter((r) => r.name !== '.' && r.port > 0);
  if (usable.length === 0) return undefined;
  const best = Math.min(...usable.map((r) => r.priority));
  const tier = usable.filter((r) => r.priority === best);
  const total = tier.reduce((sum, r) => sum + r.weight, 0);
  if (total === 0) return tier[0];
  let point = Math.random() * total;
  for (const record of tier) {
    point -= record.weight;
    if (point < 0) return record;
  }
  return tier[tier.length - 1];
}
