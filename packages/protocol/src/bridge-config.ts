import { isIP } from 'node:net';
import { z } from 'zod';
import { VoicebridgeError } from './errors.ts';

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);
const ms = (fallback: number, max = 3_600_000) => z.coerce.number().int().min(0).max(max).default(fallback);
const address = z.string().trim().refine((v) => isIP(v) !== 0, 'must be an IPv4 or IPv6 address');
const cidrList = z
  .string()
  .trim()
  .refine((v) => v.split(',').every((c) => parseCidr(c.trim()) !== undefined), 'must be a comma-separated list of CIDRs like 203.0.113.0/24');
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
      .refine((v) => v.split(',').every((t) => t.trim() === 'udp' || t.trim() === 'tcp') && v.trim() !== '', 'must be udp, tcp or udp,tcp')
      .default('udp,tcp'),
    SIP_ALLOWED_CIDRS: cidrList.default(DEFAULT_ALLOWED_CIDRS),
    RTP_BIND_ADDRESS: address.default('127.0.0.1'),
    RTP_ADVERTISED_ADDRESS: address.optional(),
    RTP_PORT_MIN: port(20000),
    RTP_PORT_MAX: port(29999),
    RTP_QUARANTINE_MS: ms(4000, 60_000),
    MEDIA_TIMEOUT_MS: ms(60_000, 3_600_000),
    MEDIA_CONTROL_HOST: address.default('127.0.0.1'),
    MEDIA_CONTROL_PORT: port(7077),
    REDIS_URL: z.string().trim().regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL').default('redis://127.0.0.1:6379'),
    REDIS_KEY_PREFIX: z.string().trim().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 _ . : -').default('vb'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    LOG_REDACT: bool.default(true),
    ANSWER_TIMEOUT_MS: ms(5000, 60_000),
    GREETING_DELAY_MS: ms(300, 10_000),
    DRAIN_TIMEOUT_MS: ms(30_000, 3_600_000),
    AGENT_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(50),
    STT_POOL_SIZE: z.coerce.number().int().min(1).max(64).default(4),
    CALL_RECORD_TTL_S: z.coerce.number().int().min(60).max(31_536_000).default(604_800),
    SEED_DEMO_NUMBERS: bool.default(true),
  })
  .superRefine((c, ctx) => {
    if (isWildcard(c.SIP_BIND_ADDRESS) && !c.SIP_ADVERTISED_ADDRESS) {
      ctx.addIssue({ code: 'custom', path: ['SIP_ADVERTISED_ADDRESS'], message: `is required when SIP_BIND_ADDRESS is ${c.SIP_BIND_ADDRESS}` });
    }
    if (isWildcard(c.RTP_BIND_ADDRESS) && !c.RTP_ADVERTISED_ADDRESS) {
      ctx.addIssue({ code: 'custom', path: ['RTP_ADVERTISED_ADDRESS'], message: `is required when RTP_BIND_ADDRESS is ${c.RTP_BIND_ADDRESS}` });
    }
    for (const key of ['SIP_ADVERTISED_ADDRESS', 'RTP_ADVERTISED_ADDRESS'] as const) {
      const v = c[key];
      if (v && isWildcard(v)) ctx.addIssue({ code: 'custom', path: [key], message: 'must not be a wildcard address' });
    }
    if (c.RTP_PORT_MAX <= c.RTP_PORT_MIN) {
      ctx.addIssue({ code: 'custom', path: ['RTP_PORT_MAX'], message: 'must be greater than RTP_PORT_MIN' });
    }
  });
export type BridgeConfig = z.infer<typeof BridgeConfigSchema>;

export function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::' || address === '0:0:0:0:0:0:0:0';
}

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
  const shown = env[key] === undefined ? '' : ` (got ${JSON.stringify(env[key])})`;
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
