import { VoicebridgeError } from './errors.ts';
import type { TrunkConfig } from './trunk-config.ts';

/**
 * The rules a dial is refused by, each a stable name an API client or script may key on, with the
 * trunk setting that governs it (what an operator changes to allow the call).
 */
export const DIAL_RULES = {
  trunk: 'voicebridge trunks add NAME',
  'trunk-disabled': '--enabled',
  outbound: '--outbound-uri',
  number: 'voicebridge numbers set',
  'caller-id': '--caller-id',
  'outbound-allow': '--outbound-allow',
  'premium-rate': '--outbound-allow',
  'daily-max-calls': '--daily-max-calls',
  'daily-max-minutes': '--daily-max-minutes',
} as const;
export type DialRule = keyof typeof DIAL_RULES;

export interface DialRefusal {
  rule: DialRule;
  /** The request field the rule looked at: `trunk`, `to`, `from`, `number`. */
  field: 'trunk' | 'to' | 'from' | 'number';
  /** One line naming the rule and the setting that governs it; quotes no secret. */
  message: string;
}

/**
 * Premium-rate and high-fraud prefixes (E.164 without +), where calls cost the caller per minute and
 * toll fraud cashes out. An allow pattern opens one of these only when it is at least as specific as
 * the prefix, so `+1*` or a default "own country" never reaches `+1900`. NANP's Caribbean area codes
 * are listed because they are dialled like domestic US numbers but billed as international and
 * are the classic "one ring" (wangiri) fraud destinations.
 */
export const PREMIUM_RATE_PREFIXES: readonly string[] = [
  '1900',
  '1976',
  ...['242', '246', '264', '268', '284', '345', '441', '473', '649', '658', '664', '721']
    .concat(['758', '767', '784', '809', '829', '849', '868', '869', '876'])
    .map((npa) => `1${npa}`),
  '449',
  '4470',
  '44871',
  '44872',
  '44873',
  '49900',
  '49137',
  '3389',
  '3989',
  '34803',
  '34806',
  '34807',
  '34905',
  '6119',
];

/** The literal digits a pattern fixes (`+1555*` → `1555`), and whether it is a prefix or one number. */
function patternDigits(pattern: string): { digits: string; prefix: boolean } {
  const prefix = pattern.endsWith('*');
  return { digits: pattern.slice(1, prefix ? -1 : undefined), prefix };
}

function patternMatches(pattern: string, digits: string): boolean {
  const p = patternDigits(pattern);
  return p.prefix ? digits.startsWith(p.digits) : digits === p.digits;
}

/** The premium prefix a destination (E.164 digits) falls in, if any. */
export function premiumPrefixOf(digits: string): string | undefined {
  return PREMIUM_RATE_PREFIXES.find((prefix) => digits.startsWith(prefix));
}

/**
 * The allow patterns in force on a trunk: its own, or `+<countryCode>*` (the trunk's own country).
 * Empty when it has neither: nothing may be dialled.
 */
export function outboundAllowPatterns(trunk: TrunkConfig): string[] {
  if (trunk.outbound?.allow !== undefined) return trunk.outbound.allow;
  return trunk.countryCode === undefined ? [] : [`+${trunk.countryCode}*`];
}

export interface DialGuardInput {
  /** E.164 destination. */
  to: string;
  /** E.164 caller id asked for, or undefined for the trunk's first. */
  from?: string;
}

/**
 * The configuration guards every dial passes (toll fraud and spoofing), in a fixed order so that a
 * refusal always names the same rule: trunk, caller id, destination (allow list, premium rate).
 * Counters (daily caps, CPS, channels) are checked against Redis by DialLimits. Returns the caller id
 * to use when the dial may go on.
 */
export function checkDialGuards(
  trunk: TrunkConfig | undefined,
  name: string,
  input: DialGuardInput,
): { ok: true; callerId: string } | { ok: false; refusal: DialRefusal } {
  const refuse = (rule: DialRule, field: DialRefusal['field'], message: string) => ({
    ok: false as const,
    refusal: { rule, field, message: `${rule}: ${message}` },
  });
  if (trunk === undefined) return refuse('trunk', 'trunk', `no trunk ${name} is configured`);
  if (!trunk.enabled) return refuse('trunk-disabled', 'trunk', `trunk ${name} is disabled (--enabled)`);
  const outbound = trunk.outbound;
  if (outbound === undefined)
    return refuse('outbound', 'trunk', `trunk ${name} has no outbound settings (--outbound-uri, --caller-id)`);
  const callerIds = outbound.callerIds ?? [];
  const callerId = input.from ?? callerIds[0];
  if (callerId === undefined)
    return refuse('caller-id', 'from', `trunk ${name} has no caller id configured (--caller-id)`);
  if (!callerIds.includes(callerId))
    return refuse('caller-id', 'from', `${callerId} is not a caller id of trunk ${name} (--caller-id)`);
  const digits = input.to.slice(1);
  const patterns = outboundAllowPatterns(trunk);
  const matching = patterns.filter((pattern) => patternMatches(pattern, digits));
  if (matching.length === 0) {
    const where =
      patterns.length === 0
        ? 'the trunk has neither --outbound-allow nor --country-code'
        : `allowed: ${patterns.join(' ')}`;
    return refuse('outbound-allow', 'to', `${input.to} is not allowed on trunk ${name} (${where}; --outbound-allow)`);
  }
  const premium = premiumPrefixOf(digits);
  if (premium !== undefined && !matching.some((pattern) => patternDigits(pattern).digits.length >= premium.length)) {
    return refuse(
      'premium-rate',
      'to',
      `${input.to} is in the premium-rate or high-fraud range +${premium}; allow it explicitly with --outbound-allow '+${premium}*' on trunk ${name}`,
    );
  }
  return { ok: true, callerId };
}

/** A dial a guard refused: code VB_DIAL_REFUSED, the rule, and the request field it looked at. */
export class DialRefusedError extends VoicebridgeError {
  readonly rule: DialRule;
  readonly field: DialRefusal['field'];

  constructor(refusal: DialRefusal) {
    super('VB_DIAL_REFUSED', refusal.message);
    this.name = 'DialRefusedError';
    this.rule = refusal.rule;
    this.field = refusal.field;
  }
}
