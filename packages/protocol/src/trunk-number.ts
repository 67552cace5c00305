import { E164_PATTERN } from './ids.ts';
import { normalizeNumber } from './number-normalize.ts';
import type { TrunkConfig } from './trunk-config.ts';

/**
 * The dialled number as a trunk writes it, to E.164. `e164` trunks go through normalizeNumber
 * (`tel:`, URI parameters, separators, `00`). `national` trunks: a `+` or `00` number is already
 * international; otherwise one national trunk prefix `0` is dropped and the country code put in front
 * (`02079460000`, 44 → `+442079460000`). For country code 1, an 11-digit `1NXX...` is already complete.
 */
export function normalizeTrunkNumber(
  raw: string,
  trunk: Pick<TrunkConfig, 'numberFormat' | 'countryCode'>,
): string | undefined {
  if (trunk.numberFormat === 'e164' || trunk.countryCode === undefined) return normalizeNumber(raw);
  let s = raw.trim().replace(/^(tel|sips?):/i, '');
  const at = s.indexOf('@');
  if (at >= 0) s = s.slice(0, at);
  const semi = s.indexOf(';');
  if (semi >= 0) s = s.slice(0, semi);
  s = s.replace(/%2[bB]/g, '+').replace(/[\s\-.()]/g, '');
  if (s.startsWith('+') || /^00[1-9]/.test(s)) return normalizeNumber(s);
  if (!/^\d+$/.test(s)) return undefined;
  const cc = trunk.countryCode;
  let national = s.startsWith('0') ? s.slice(1) : s;
  if (cc === '1' && national.length === 11 && national.startsWith('1')) national = national.slice(1);
  const e164 = `+${cc}${national}`;
  return E164_PATTERN.test(e164) ? e164 : undefined;
}
