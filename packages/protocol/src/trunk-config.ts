import { z } from 'zod';
import { parseCidr } from './bridge-config.ts';
import { E164_PATTERN } from './ids.ts';
import { TrunkOutboundSchema } from './trunk-outbound.ts';

/** A trunk's name: what the CLI, logs and call records call it; also a Redis key segment. */
export const TRUNK_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** What `trunks show`, `--json` and logs print in place of a stored password. */
export const PASSWORD_MASK = '********';

export const SIP_TRANSPORT_NAMES = ['udp', 'tcp', 'tls'] as const;
export type SipTransportName = (typeof SIP_TRANSPORT_NAMES)[number];

const cidrText = z
  .string()
  .trim()
  .max(64)
  .refine((v) => parseCidr(v) !== undefined, 'must be a CIDR like 203.0.113.0/24 or an address');

/** Printable, no control characters or spaces: it goes into SIP headers verbatim. */
const credential = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

/** Inbound digest (RFC 3261 §22): what the carrier must answer our 401 challenge with. */
export const TrunkAuthSchema = z.object({
  username: credential(128),
  /** Stored as the operator gave it (digest needs it in clear); never printed (see maskTrunkConfig). */
  password: credential(256),
});
export type TrunkAuth = z.infer<typeof TrunkAuthSchema>;

/**
 * `sip:host[:port]`, `sips:host[:port]` or plain `host[:port]`; host is a name, IPv4 or [IPv6].
 * Resolved per RFC 3263 by the registrar client.
 */
export const REGISTRAR_PATTERN =
  /^(?:sips?:)?(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** Outbound registration: we REGISTER to the carrier so that it delivers calls to our contact. */
export const TrunkRegisterSchema = z.object({
  registrar: z.string().trim().max(255).regex(REGISTRAR_PATTERN, 'must be sip:host[:port] or host[:port]'),
  /** The user part of the AOR we register (and the digest username unless authUsername is set). */
  username: credential(128),
  /** Digest username when the carrier's differs from the AOR user. */
  authUsername: credential(128).optional(),
  password: credential(256),
  /** Requested registration lifetime, seconds. */
  expires: z.number().int().min(60).max(86_400),
  transport: z.enum(SIP_TRANSPORT_NAMES),
});
export type TrunkRegister = z.infer<typeof TrunkRegisterSchema>;

/**
 * Trunk config v1: one carrier or PBX that may send us calls. Stored as JSON under the trunk's key.
 * `configVersion` increments on every write, as for NumberConfig.
 */
export const TrunkConfigSchema = z
  .object({
    version: z.literal(1),
    name: z
      .string()
      .regex(TRUNK_NAME_PATTERN, 'must be 1 to 63 of letters, digits, _ . - (starting with a letter or digit)'),
    enabled: z.boolean(),
    /**
     * CIDRs allowed to send new calls. Carriers send in-dialog requests (BYE) from other edge
     * addresses: any of the trunk's addresses is accepted inside a dialog it started.
     * May be empty only for a trunk reached by registration or digest.
     */
    sources: z.array(cidrText).max(100),
    /** Inbound digest: INVITEs from this trunk are challenged (401) and must answer with these. */
    auth: TrunkAuthSchema.optional(),
    /** Where the dialled number is read: the Request-URI user part or the To user part. */
    numberFrom: z.enum(['ruri', 'to']),
    /** How the carrier writes it: E.164 (with or without +) or national digits plus `countryCode`. */
    numberFormat: z.enum(['e164', 'national']),
    /** Country calling code without +, e.g. `44`; required for `national`. */
    countryCode: z
      .string()
      .regex(/^[1-9]\d{0,2}$/, 'must be 1 to 3 digits, no +')
      .optional(),
    /** Caller from P-Asserted-Identity (RFC 3325), `Privacy: id` honoured; only for carriers that set it. */
    trusted: z.boolean(),
    /** A configured number whose agent answers dialled numbers that are not configured. */
    defaultNumber: z.string().regex(E164_PATTERN, 'must be E.164: + then 7 to 15 digits').optional(),
    /** Concurrent calls from this trunk; beyond it 503 + Retry-After. */
    maxCalls: z.number().int().min(1).max(100_000).optional(),
    /** New calls per second from this trunk; beyond it 503 + Retry-After. */
    callsPerSecond: z.number().positive().max(10_000).optional(),
    /** Passed to media: `learn` latches to the real RTP source, `sdp` trusts only the SDP address. */
    rtpLatching: z.enum(['learn', 'sdp']),
    /** When set, calls from this trunk over another transport are refused. */
    transport: z.enum(SIP_TRANSPORT_NAMES).optional(),
    register: TrunkRegisterSchema.optional(),
    /** Calls out through this trunk: where, as whom, and the toll-fraud guards (trunk-outbound.ts). */
    outbound: TrunkOutboundSchema.optional(),
    configVersion: z.number().int().nonnegative(),
    updatedAtMs: z.number().int().nonnegative(),
  })
  .superRefine((t, ctx) => {
    if (t.numberFormat === 'national' && t.countryCode === undefined) {
      ctx.addIssue({ code: 'custom', path: ['countryCode'], message: 'is required when numberFormat is national' });
    }
    if (t.outbound?.numberFormat === 'national' && t.countryCode === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['outbound', 'numberFormat'],
        message: 'national needs the trunk country code (--country-code)',
      });
    }
    if (t.outbound !== undefined && t.outbound.uri === undefined && t.register === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['outbound', 'uri'],
        message: 'is required unless the trunk registers (then it dials through its registrar)',
      });
    }
    if (t.outbound?.passwordEnv !== undefined && t.outbound.username === undefined && t.register === undefined) {
      ctx.addIssue({ code: 'custom', path: ['outbound', 'username'], message: 'is required with a password variable' });
    }
    if (t.sources.length === 0 && t.auth === undefined && t.register === undefined && t.outbound === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['sources'],
        message: 'needs at least one CIDR unless auth, register or outbound is set',
      });
    }
  });
export type TrunkConfig = z.infer<typeof TrunkConfigSchema>;

/** A copy safe to print or log: every password replaced by PASSWORD_MASK. */
export function maskTrunkConfig(config: TrunkConfig): TrunkConfig {
  return {
    ...config,
    ...(config.auth && { auth: { ...config.auth, password: PASSWORD_MASK } }),
    ...(config.register && { register: { ...config.register, password: PASSWORD_MASK } }),
  };
}
