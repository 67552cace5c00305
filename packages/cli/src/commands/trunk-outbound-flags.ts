import type { TrunkOutbound } from '@voicebridge/protocol';
import type { TrunkConfigInput } from '@voicebridge/store';
import { UsageError } from '../args.ts';
import type { ParsedArgs } from '../args.ts';

/** Flag → field of the trunk's `outbound` block, for flags that set one scalar. "" removes the field. */
export const OUTBOUND_STRINGS = {
  'outbound-uri': 'uri',
  'outbound-username': 'username',
  'outbound-password-env': 'passwordEnv',
  'from-user': 'fromUser',
  'outbound-number-format': 'numberFormat',
} as const;
export const OUTBOUND_NUMBERS = {
  'outbound-max-calls': 'maxCalls',
  'outbound-cps': 'callsPerSecond',
  'daily-max-calls': 'dailyMaxCalls',
  'daily-max-minutes': 'dailyMaxMinutes',
  'outbound-session-expires': 'sessionExpiresS',
} as const;
/** Repeatable flags; each replaces the stored list, `--flag ""` empties it. */
export const OUTBOUND_LISTS = { 'caller-id': 'callerIds', 'outbound-allow': 'allow' } as const;

/** Field → the flag that sets it, for error messages (`invalid --caller-id #2: ...`). */
export const OUTBOUND_FLAGS: Record<string, string> = Object.fromEntries(
  Object.entries({ ...OUTBOUND_STRINGS, ...OUTBOUND_NUMBERS, ...OUTBOUND_LISTS }).map(([flag, field]) => [
    field,
    `--${flag}`,
  ]),
);

export function outboundFlagSpecs(): Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> {
  const specs: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {
    'no-outbound': { type: 'boolean' },
  };
  for (const flag of [...Object.keys(OUTBOUND_STRINGS), ...Object.keys(OUTBOUND_NUMBERS)])
    specs[flag] = { type: 'string' };
  for (const flag of Object.keys(OUTBOUND_LISTS)) specs[flag] = { type: 'string', multiple: true };
  return specs;
}

/**
 * Merges the --outbound-* flags into the trunk's `outbound` block (created by the first of them);
 * `--no-outbound` removes the block and refuses to be combined with them. The schema checks values.
 */
export function applyOutbound(next: TrunkConfigInput, args: ParsedArgs, command: string): void {
  const flags = [...Object.keys(OUTBOUND_STRINGS), ...Object.keys(OUTBOUND_NUMBERS), ...Object.keys(OUTBOUND_LISTS)];
  const given = flags.some((flag) => args.has(flag));
  if (args.flag('no-outbound')) {
    if (given) throw new UsageError('--no-outbound excludes the outbound options', command);
    delete next.outbound;
    return;
  }
  if (!given) return;
  const merged: Record<string, unknown> = { ...next.outbound };
  for (const [flag, field] of Object.entries(OUTBOUND_STRINGS)) {
    const value = args.string(flag);
    if (value === '') delete merged[field];
    else if (value !== undefined) merged[field] = value;
  }
  for (const [flag, field] of Object.entries(OUTBOUND_NUMBERS)) {
    const value = args.string(flag);
    if (value === '') delete merged[field];
    else if (value !== undefined) merged[field] = numberValue(value, flag, command);
  }
  for (const [flag, field] of Object.entries(OUTBOUND_LISTS)) {
    const values = args.strings(flag);
    if (values === undefined) continue;
    const list = values
      .flatMap((v) => v.split(','))
      .map((v) => v.trim())
      .filter((v) => v !== '');
    if (list.length === 0) delete merged[field];
    else merged[field] = list;
  }
  next.outbound = merged as TrunkOutbound;
}

function numberValue(value: string, flag: string, command: string): number {
  const parsed = /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(parsed) || parsed <= 0)
    throw new UsageError(`invalid --${flag} ${JSON.stringify(value)}: must be a positive number`, command);
  return parsed;
}

/** `sip:carrier.example:5060;transport=tcp as alice, 2 caller ids, allow +1555*, 10 calls, 2/s, daily 500 calls`. */
export function outboundText(o: TrunkOutbound): string {
  const parts = [o.uri ?? 'through the registrar'];
  if (o.username !== undefined)
    parts.push(`as ${o.username}${o.passwordEnv === undefined ? '' : ` (password from $${o.passwordEnv})`}`);
  parts.push(`caller ids ${o.callerIds?.join(' ') ?? '(none: every dial is refused)'}`);
  if (o.fromUser !== undefined) parts.push(`From user ${o.fromUser}`);
  parts.push(`allow ${o.allow?.join(' ') ?? 'own country, no premium rate'}`);
  if (o.maxCalls !== undefined) parts.push(`${o.maxCalls} calls`);
  if (o.callsPerSecond !== undefined) parts.push(`${o.callsPerSecond}/s`);
  if (o.dailyMaxCalls !== undefined) parts.push(`${o.dailyMaxCalls} calls/day`);
  if (o.dailyMaxMinutes !== undefined) parts.push(`${o.dailyMaxMinutes} min/day`);
  if (o.numberFormat === 'national') parts.push('national numbers');
  if (o.sessionExpiresS !== undefined) parts.push(`Session-Expires ${o.sessionExpiresS} s`);
  return parts.join(', ');
}
