import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { VoicebridgeError } from './errors.ts';
import { NODE_ID_PATTERN } from './ids.ts';
import { MAX_AUTO_MEDIA_WORKERS, MAX_MEDIA_WORKERS, parseHostPortList, rtpPairCount } from './media-workers.ts';
import { DEFAULT_AGENT_SECRET_ENV, secretEnvListProblem } from './secret-env.ts';

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);
const ms = (fallback: number, max = 3_600_000) => z.coerce.number().int().min(0).max(max).default(fallback);
const int = (fallback: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(fallback);
const address = z
  .string()
  .trim()
  .refine((v) => isIP(v) !== 0, 'must be an IPv4 or IPv6 address');
const cidrList = z
  .string()
  .trim()
  .refine(
    (v) => v === 'none' || v.split(',').every((c) => parseCidr(c.trim()) !== undefined),
    'must be a comma-separated list of CIDRs like 203.0.113.0/24',
  );
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const DEFAULT_ALLOWED_CIDRS = '127.0.0.0/8,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,::1/128,fc00::/7';

/**
 * The whole bridge's configuration, from the environment, validated once at start.
 * Every service reads its part; docs/configuration.md lists every key.
 */
export const BridgeConfigSchema = z
  .object({
    SIP_BIND_ADDRESS: address.default('127.0.0.1'),
    SIP_ADVERTISED_ADDRESS: address.optional(),
    SIP_PORT: port(5060),
    SIP_TRANSPORTS: z
      .string()
      .trim()
      .refine(
        (v) => v.split(',').every((t) => ['udp', 'tcp', 'tls'].includes(t.trim())) && v.trim() !== '',
        'must be a list of udp, tcp, tls',
      )
      .default('udp,tcp'),
    SIP_ALLOWED_CIDRS: cidrList.default(DEFAULT_ALLOWED_CIDRS),
    /** What a source that matches no trunk and no SIP_ALLOWED_CIDRS gets: nothing, or 403. */
    SIP_UNTRUSTED_RESPONSE: z.enum(['drop', '403']).default('drop'),
    /**
     * Keep each call's SIP messages with its record (credentials and SDES keys masked). `false` keeps
     * none, for deployments where even masked headers (caller names, numbers) must not be stored.
     */
    SIP_TRACE: bool.default(true),
    /** Requests per second (sustained) a source outside every trunk may send before it is banned. */
    SIP_UNTRUSTED_RATE: z.coerce.number().positive().max(10_000).default(5),
    /** Requests such a source may send at once (the rate limiter's burst). */
    SIP_UNTRUSTED_BURST: z.coerce.number().int().min(1).max(100_000).default(20),
    /** How long a banned source is ignored, seconds; 0 never bans (the requests are still refused). */
    SIP_BAN_TIME_S: z.coerce.number().int().min(0).max(604_800).default(600),
    /** Concurrent calls, whole bridge; beyond it new INVITEs get 503 + Retry-After. */
    MAX_CONCURRENT_CALLS: z.coerce.number().int().min(1).max(100_000).default(500),
    /** New calls per second, whole bridge (burst: one second's worth). */
    MAX_CALLS_PER_SECOND: z.coerce.number().positive().max(10_000).default(50),
    /** SIP over TLS (listens when SIP_TRANSPORTS has `tls`): port, PEM certificate chain and key files. */
    SIP_TLS_PORT: port(5061),
    SIP_TLS_CERT: z.string().trim().min(1).optional(),
    SIP_TLS_KEY: z.string().trim().min(1).optional(),
    /** PEM CA bundle: verifies client certificates, and servers we connect to (else the system roots). */
    SIP_TLS_CA: z.string().trim().min(1).optional(),
    SIP_TLS_VERIFY_CLIENT: bool.default(false),
    /**
     * Inbound digest challenges, preferred first (RFC 8760 §2.4). Some UAs (SIPp 3.6, older PBXs) read
     * only the first WWW-Authenticate and know only MD5: `MD5,SHA-256` or `MD5` serves them.
     */
    SIP_DIGEST_ALGORITHMS: z
      .string()
      .trim()
      .refine(
        (v) =>
          v.split(',').every((a) => ['SHA-256', 'MD5'].includes(a.trim())) &&
          new Set(v.split(',').map((a) => a.trim())).size === v.split(',').length,
        'must be a list of SHA-256, MD5 without repeats',
      )
      .default('SHA-256,MD5'),
    /** Keep-alive to a registrar between refreshes: CRLF on TCP/TLS, OPTIONS on UDP (RFC 5626 §4.4). */
    SIP_REGISTER_KEEPALIVE_S: z.coerce.number().int().min(5).max(3600).default(30),
    RTP_BIND_ADDRESS: address.default('127.0.0.1'),
    RTP_ADVERTISED_ADDRESS: address.optional(),
    RTP_PORT_MIN: port(20000),
    RTP_PORT_MAX: port(29999),
    RTP_QUARANTINE_MS: ms(4000, 60_000),
    MEDIA_TIMEOUT_MS: ms(60_000, 3_600_000),
    /** RFC 4028 Min-SE in seconds: shorter Session-Expires get 422. The RFC floor is 90; lower only for tests. */
    SESSION_MIN_SE_S: z.coerce.number().int().min(1).max(86_400).default(90),
    /** RFC 4028 Session-Expires our outbound INVITEs offer (a trunk may override it); 0 offers none. */
    SESSION_EXPIRES_S: z.coerce.number().int().min(0).max(86_400).default(1800),
    MEDIA_CONTROL_HOST: address.default('127.0.0.1'),
    /** Where the media worker writes call recordings (numbers with `recording.enabled`). */
    RECORDINGS_DIR: z.string().trim().min(1).max(4096).default('recordings'),
    MEDIA_CONTROL_PORT: port(7077),
    /**
     * Media worker processes `voicebridge start` runs: `auto` = one per core (at most 8), or 1-64.
     * Worker i listens on MEDIA_CONTROL_PORT + i and owns the i-th slice of the RTP range.
     */
    MEDIA_WORKERS: z
      .string()
      .trim()
      .refine(
        (v) => v === 'auto' || (/^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= MAX_MEDIA_WORKERS),
        `must be auto or an integer from 1 to ${MAX_MEDIA_WORKERS}`,
      )
      .default('auto')
      .transform((v) => (v === 'auto' ? Math.min(MAX_AUTO_MEDIA_WORKERS, availableParallelism()) : Number(v))),
    /** Which of the MEDIA_WORKERS this media process is (0-based; set by the supervisor). Unset: a lone worker with the whole range. */
    MEDIA_WORKER_INDEX: z.coerce
      .number()
      .int()
      .min(0)
      .max(MAX_MEDIA_WORKERS - 1)
      .optional(),
    /** Media workers run elsewhere: signaling connects to exactly these (`host:port,host:port`). */
    MEDIA_CONTROL_ADDRESSES: z
      .string()
      .trim()
      .superRefine((v, ctx) => {
        const parsed = parseHostPortList(v);
        if (typeof parsed === 'string')
          ctx.addIssue({ code: 'custom', message: `must be a list of host:port: ${parsed}` });
      })
      .optional(),
    REDIS_URL: z
      .string()
      .trim()
      .regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL')
      .default('redis://127.0.0.1:6379'),
    /**
     * This signaling node's id (node-id.ts): held as a Redis lease while it runs, written into its call
     * records. Default: the advertised SIP address:port and the host name.
     */
    NODE_ID: z.string().trim().regex(NODE_ID_PATTERN, 'must be 1-128 of A-Z a-z 0-9 _ . : @ -').optional(),
    /** How long a node's lease outlives its last renewal: what a start elsewhere waits after a crash. */
    NODE_LEASE_TTL_MS: ms(10_000, 300_000).refine((v) => v >= 3000, 'must be at least 3000'),
    REDIS_KEY_PREFIX: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 _ . : -')
      .default('vb'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    LOG_REDACT: bool.default(true),
    ANSWER_TIMEOUT_MS: ms(5000, 60_000),
    GREETING_DELAY_MS: ms(300, 10_000),
    DRAIN_TIMEOUT_MS: ms(30_000, 3_600_000),
    AGENT_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(50),
    STT_POOL_SIZE: z.coerce.number().int().min(1).max(64).default(4),
    /** Calls at once on an offline fallback after their cloud speech engine failed (docs/engines.md). */
    ENGINE_FALLBACK_MAX: z.coerce.number().int().min(0).max(1000).default(4),
    CALL_RECORD_TTL_S: z.coerce.number().int().min(60).max(31_536_000).default(604_800),
    /** Call events (docs/api.md "Call events"): attempts per event, and the first retry's delay (doubling). */
    EVENTS_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(30).default(12),
    EVENTS_BACKOFF_MS: z.coerce.number().int().min(100).max(3_600_000).default(5000),
    /** Events one agent process delivers at once (each waits at most its number's 10 s timeout). */
    EVENTS_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(20),
    SEED_DEMO_NUMBERS: bool.default(true),
    // SIP limits (docs/configuration.md "SIP limits"): what one peer may make us hold.
    SIP_MAX_MESSAGE_BYTES: int(65_535, 1024, 1_048_576),
    SIP_MAX_HEADERS: int(256, 16, 4096),
    SIP_MAX_HEADER_LINE_BYTES: int(8192, 256, 65_535),
    SIP_MAX_BODY_BYTES: int(65_535, 0, 1_048_576),
    SIP_TCP_MAX_CONNECTIONS: int(1000, 1, 100_000),
    SIP_TCP_MAX_BUFFER_BYTES: int(131_072, 2048, 4_194_304),
    SIP_TCP_IDLE_TIMEOUT_MS: ms(300_000, 86_400_000),
    SIP_TCP_MESSAGE_TIMEOUT_MS: ms(10_000, 600_000),
    /** RFC 3261 §17.1.1.1 T1, the RTT estimate every transaction timer derives from (64·T1 = 32 s). */
    SIP_T1_MS: int(500, 50, 10_000),
    /** RFC 3581 for every UDP request: answer the source port even without `;rport`. */
    SIP_FORCE_RPORT: bool.default(true),
    /** The node's HTTP server (health, readiness, metrics, API), run by `voicebridge start`. */
    HTTP_BIND_ADDRESS: address.default('127.0.0.1'),
    HTTP_PORT: port(8080),
    /** Bearer token for every HTTP route that can change something (and read everything). */
    ADMIN_TOKEN: z.string().trim().min(16, 'must be at least 16 characters').max(512).optional(),
    /** Bearer token for the read-only HTTP routes. */
    READ_TOKEN: z.string().trim().min(16, 'must be at least 16 characters').max(512).optional(),
    /** The account of the Twilio-compatible REST route (bots hang up through it); with the token, the route is on. */
    TWILIO_COMPAT_ACCOUNT_SID: z
      .string()
      .regex(/^AC[0-9a-f]{32}$/, 'must be AC and 32 lower-case hex digits')
      .optional(),
    /** The password of that account (HTTP Basic AccountSid:token), as Twilio's auth token. */
    TWILIO_COMPAT_AUTH_TOKEN: z.string().trim().min(16, 'must be at least 16 characters').max(512).optional(),
    /** How long a readiness check must fail without a break before /readyz says 503 (draining counts at once). */
    HTTP_READY_FAIL_AFTER_MS: ms(3000, 60_000),
    /** Serve /metrics without a token (for a Prometheus on a trusted network). */
    METRICS_PUBLIC: bool.default(false),
    /** Agent processes `voicebridge start` runs (and restarts): two or more take over each other's calls. */
    AGENT_PROCESSES: z.coerce.number().int().min(1).max(32).default(1),
    /** A call's ownership (docs/adr/0010): the BullMQ lock an agent renews every half of it. */
    AGENT_LOCK_DURATION_MS: ms(3000, 600_000).refine((v) => v >= 500, 'must be at least 500'),
    /** How often agents look for calls whose owner stopped renewing its lock. */
    AGENT_STALLED_INTERVAL_MS: ms(1000, 600_000).refine((v) => v >= 100, 'must be at least 100'),
    /** Takeovers allowed per call before it is given up (the media worker then ends it: `agent-lost`). */
    AGENT_MAX_STALLED_COUNT: z.coerce.number().int().min(0).max(100).default(3),
    /** How often an agent tells the media worker it still owns a call. */
    AGENT_HEARTBEAT_MS: ms(1000, 60_000).refine((v) => v >= 100, 'must be at least 100'),
    /** A call with no word from any owner for this long is ended with `agent-lost`. */
    AGENT_LOST_TIMEOUT_MS: ms(10_000, 600_000).refine((v) => v >= 1000, 'must be at least 1000'),
    /** The variables a number may name as its API key (names, `PREFIX_*`, or `none`); see secret-env.ts. */
    AGENT_SECRET_ENV: z
      .string()
      .trim()
      .superRefine((v, ctx) => {
        const problem = secretEnvListProblem(v);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
      })
      .default(DEFAULT_AGENT_SECRET_ENV),
    /** Addresses no user-supplied URL may reach, besides link-local and cloud metadata (outbound-url.ts). */
    OUTBOUND_DENY_CIDRS: cidrList.default('none'),
  })
  .superRefine((c, ctx) => {
    if (isWildcard(c.SIP_BIND_ADDRESS) && !c.SIP_ADVERTISED_ADDRESS) {
      ctx.addIssue({
        code: 'custom',
        path: ['SIP_ADVERTISED_ADDRESS'],
        message: `is required when SIP_BIND_ADDRESS is ${c.SIP_BIND_ADDRESS}`,
      });
    }
    if (isWildcard(c.RTP_BIND_ADDRESS) && !c.RTP_ADVERTISED_ADDRESS) {
      ctx.addIssue({
        code: 'custom',
        path: ['RTP_ADVERTISED_ADDRESS'],
        message: `is required when RTP_BIND_ADDRESS is ${c.RTP_BIND_ADDRESS}`,
      });
    }
    for (const key of ['SIP_ADVERTISED_ADDRESS', 'RTP_ADVERTISED_ADDRESS'] as const) {
      const v = c[key];
      if (v && isWildcard(v)) ctx.addIssue({ code: 'custom', path: [key], message: 'must not be a wildcard address' });
    }
    // Reported after the address's own problem: a wildcard advertised address is refused above anyway,
    // but if it ever is allowed, it still names no node.
    if (c.NODE_ID === undefined && isWildcard(c.SIP_ADVERTISED_ADDRESS ?? c.SIP_BIND_ADDRESS)) {
      ctx.addIssue({
        code: 'custom',
        path: ['NODE_ID'],
        message: 'is required when the advertised SIP address is a wildcard',
      });
    }
    if (c.SIP_TCP_MAX_BUFFER_BYTES < c.SIP_MAX_MESSAGE_BYTES) {
      ctx.addIssue({
        code: 'custom',
        path: ['SIP_TCP_MAX_BUFFER_BYTES'],
        message: 'must be at least SIP_MAX_MESSAGE_BYTES: a whole message has to fit',
      });
    }
    if (c.SIP_TRANSPORTS.split(',').some((t) => t.trim() === 'tls')) {
      for (const key of ['SIP_TLS_CERT', 'SIP_TLS_KEY'] as const) {
        if (!c[key])
          ctx.addIssue({ code: 'custom', path: [key], message: 'is required when SIP_TRANSPORTS includes tls' });
      }
    }
    if (!isLoopback(c.HTTP_BIND_ADDRESS) && !c.ADMIN_TOKEN && !c.READ_TOKEN) {
      ctx.addIssue({
        code: 'custom',
        path: ['ADMIN_TOKEN'],
        message: `is required (or READ_TOKEN) when HTTP_BIND_ADDRESS ${c.HTTP_BIND_ADDRESS} is not loopback`,
      });
    }
    if (c.ADMIN_TOKEN !== undefined && c.ADMIN_TOKEN === c.READ_TOKEN) {
      ctx.addIssue({ code: 'custom', path: ['READ_TOKEN'], message: 'must differ from ADMIN_TOKEN' });
    }
    if (c.SIP_TLS_VERIFY_CLIENT && !c.SIP_TLS_CA) {
      ctx.addIssue({ code: 'custom', path: ['SIP_TLS_CA'], message: 'is required when SIP_TLS_VERIFY_CLIENT is true' });
    }
    if (c.AGENT_HEARTBEAT_MS * 3 > c.AGENT_LOST_TIMEOUT_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['AGENT_HEARTBEAT_MS'],
        message: 'must be at most a third of AGENT_LOST_TIMEOUT_MS',
      });
    }
    const pairs = rtpPairCount(c.RTP_PORT_MIN, c.RTP_PORT_MAX);
    if (c.RTP_PORT_MAX <= c.RTP_PORT_MIN) {
      ctx.addIssue({ code: 'custom', path: ['RTP_PORT_MAX'], message: 'must be greater than RTP_PORT_MIN' });
    } else if (pairs < c.MEDIA_WORKERS) {
      ctx.addIssue({
        code: 'custom',
        path: ['MEDIA_WORKERS'],
        message: `${c.MEDIA_WORKERS} media workers would get fewer than 2 RTP ports each: RTP_PORT_MIN-RTP_PORT_MAX (${c.RTP_PORT_MIN}-${c.RTP_PORT_MAX}) holds ${pairs} even/odd pair${pairs === 1 ? '' : 's'}; widen the range or lower MEDIA_WORKERS`,
      });
    }
    if (c.MEDIA_CONTROL_PORT + c.MEDIA_WORKERS - 1 > 65535) {
      ctx.addIssue({
        code: 'custom',
        path: ['MEDIA_WORKERS'],
        message: `${c.MEDIA_WORKERS} control ports from MEDIA_CONTROL_PORT ${c.MEDIA_CONTROL_PORT} go past 65535`,
      });
    }
    if (c.MEDIA_WORKER_INDEX !== undefined && c.MEDIA_WORKER_INDEX >= c.MEDIA_WORKERS) {
      ctx.addIssue({
        code: 'custom',
        path: ['MEDIA_WORKER_INDEX'],
        message: `must be below MEDIA_WORKERS (${c.MEDIA_WORKERS})`,
      });
    }
  });
export type BridgeConfig = z.infer<typeof BridgeConfigSchema>;

export function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::' || address === '0:0:0:0:0:0:0:0';
}

/** 127.0.0.0/8 or ::1: reachable only from this machine. */
export function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === '::1' || address === '0:0:0:0:0:0:0:1' || address === 'localhost';
}

/** Keys whose values are secrets: an error names them but never echoes what they hold. */
const SECRET_KEYS = new Set(['ADMIN_TOKEN', 'READ_TOKEN', 'TWILIO_COMPAT_AUTH_TOKEN']);

/** Reads the config from an environment; a bad value throws VB_CONFIG_INVALID naming the variable. */
export function loadBridgeConfig(env: Record<string, string | undefined>): BridgeConfig {
  const input: Record<string, string> = {};
  for (const key of Object.keys(BridgeConfigSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const parsed = BridgeConfigSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const key = String(issue?.path[0] ?? 'config');
  const value = env[key];
  const shown =
    value === undefined ? '' : SECRET_KEYS.has(key) ? ' (value not shown)' : ` (got ${JSON.stringify(value)})`;
  throw new VoicebridgeError('VB_CONFIG_INVALID', `${key}${shown}: ${issue?.message ?? 'invalid'}`);
}

export function advertisedSipAddress(c: BridgeConfig): string {
  return c.SIP_ADVERTISED_ADDRESS ?? c.SIP_BIND_ADDRESS;
}

export function advertisedRtpAddress(c: BridgeConfig): string {
  return c.RTP_ADVERTISED_ADDRESS ?? c.RTP_BIND_ADDRESS;
}

export interface Cidr {
  family: 4 | 6;
  bits: bigint;
  prefix: number;
}

export function parseCidr(text: string): Cidr | undefined {
  const [addr, prefixText] = text.split('/');
  if (!addr) return undefined;
  const family = isIP(addr);
  if (family !== 4 && family !== 6) return undefined;
  const max = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) return undefined;
  return { family, bits: addressBits(addr, family), prefix };
}

/** SIP_ALLOWED_CIDRS as CIDRs; `none` is the empty list (only trunks may call). */
export function parseCidrList(text: string): Cidr[] {
  if (text.trim() === 'none') return [];
  return text.split(',').flatMap((c) => parseCidr(c.trim()) ?? []);
}

/** Whether an address lies in any of the CIDRs. IPv4-mapped IPv6 (::ffff:a.b.c.d) is checked as IPv4. */
export function cidrContains(cidrs: readonly Cidr[], address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const addr = mapped?.[1] ?? address;
  const family = isIP(addr);
  if (family !== 4 && family !== 6) return false;
  const bits = addressBits(addr, family);
  const width = family === 4 ? 32n : 128n;
  return cidrs.some((c) => {
    if (c.family !== family) return false;
    const shift = width - BigInt(c.prefix);
    return bits >> shift === c.bits >> shift;
  });
}

function addressBits(addr: string, family: 4 | 6): bigint {
  if (family === 4) return addr.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
  const [head = '', tail = ''] = addr.split('::');
  const parse = (s: string): string[] => (s === '' ? [] : s.split(':'));
  let headParts = parse(head);
  let tailParts = parse(tail);
  const expandV4 = (parts: string[]): string[] => {
    const last = parts[parts.length - 1];
    if (!last?.includes('.')) return parts;
    const v4 = addressBits(last, 4);
    return [...parts.slice(0, -1), (v4 >> 16n).toString(16), (v4 & 0xffffn).toString(16)];
  };
  headParts = expandV4(headParts);
  tailParts = expandV4(tailParts);
  const missing = addr.includes('::') ? 8 - headParts.length - tailParts.length : 0;
  const groups = [...headParts, ...Array<string>(missing).fill('0'), ...tailParts];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g || '0', 16)), 0n);
}
