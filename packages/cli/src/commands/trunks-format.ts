import type { RegistrationStatus, TrunkConfig } from '@voicebridge/protocol';
import { isoTime, printable, table, truncate } from '../format.ts';
import { outboundText } from './trunk-outbound-flags.ts';

/** Expects a masked config (maskTrunkConfig): passwords are printed as stored here. */
export function formatTrunk(t: TrunkConfig): string {
  const rows: [string, string | undefined][] = [
    ['name', t.name],
    ['enabled', t.enabled ? 'yes' : 'no'],
    ['configVersion', String(t.configVersion)],
    ['updated', isoTime(t.updatedAtMs)],
    ['sources', t.sources.length === 0 ? '(none)' : t.sources.join(', ')],
    ['transport', t.transport],
    [
      'inbound auth',
      t.auth === undefined ? 'none' : `digest, user ${printable(t.auth.username)}, password ${t.auth.password}`,
    ],
    ['number from', t.numberFrom === 'ruri' ? 'Request-URI' : 'To'],
    ['number format', t.numberFormat === 'e164' ? 'E.164' : `national, country code ${t.countryCode ?? '?'}`],
    ['caller', t.trusted ? 'trusted: P-Asserted-Identity, Privacy honoured' : 'From header'],
    ['default number', t.defaultNumber],
    ['max calls', t.maxCalls === undefined ? undefined : String(t.maxCalls)],
    ['calls/s', t.callsPerSecond === undefined ? undefined : String(t.callsPerSecond)],
    ['rtp latching', t.rtpLatching],
    ['register', t.register === undefined ? undefined : registerText(t.register)],
    ['outbound', t.outbound === undefined ? undefined : printable(outboundText(t.outbound))],
  ];
  const present = rows.filter((r): r is [string, string] => r[1] !== undefined);
  const width = Math.max(...present.map(([label]) => label.length));
  return present.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n') + '\n';
}

function registerText(r: NonNullable<TrunkConfig['register']>): string {
  const auth = r.authUsername === undefined ? '' : ` (auth user ${printable(r.authUsername)})`;
  return `${printable(r.registrar)} as ${printable(r.username)}${auth} over ${r.transport}, expires ${r.expires}s, password ${r.password}`;
}

export function formatTrunkTable(
  trunks: readonly TrunkConfig[],
  statuses: ReadonlyMap<string, RegistrationStatus> = new Map(),
): string {
  if (trunks.length === 0) return 'no trunks configured\n';
  return table(
    ['NAME', 'ENABLED', 'SOURCES', 'AUTH', 'LIMITS', 'REGISTER', 'REGISTRATION'],
    trunks.map((t) => [
      t.name,
      t.enabled ? 'yes' : 'no',
      t.sources.length === 0 ? '-' : truncate(t.sources.join(','), 40),
      t.auth === undefined ? '-' : 'digest',
      limitsText(t),
      t.register === undefined ? '-' : truncate(printable(t.register.registrar), 40),
      t.register === undefined ? '-' : registrationText(statuses.get(t.name)),
    ]),
  );
}

/** `registered (expires in 42 s)`, `failed: 403 Forbidden (3 tries)`, or `unknown` when signaling wrote none. */
function registrationText(status: RegistrationStatus | undefined): string {
  if (status === undefined) return 'unknown';
  if (status.state === 'registered') {
    const left =
      status.expiresAtMs === undefined ? undefined : Math.max(0, Math.round((status.expiresAtMs - Date.now()) / 1000));
    return left === undefined ? 'registered' : `registered (expires in ${left} s)`;
  }
  if (status.state === 'failed')
    return truncate(`failed: ${printable(status.lastError ?? 'error')} (${status.failures} tries)`, 60);
  return 'registering';
}

function limitsText(t: TrunkConfig): string {
  const parts: string[] = [];
  if (t.maxCalls !== undefined) parts.push(`${t.maxCalls} calls`);
  if (t.callsPerSecond !== undefined) parts.push(`${t.callsPerSecond}/s`);
  return parts.length === 0 ? '-' : parts.join(', ');
}
