import { E164_PATTERN } from './ids.ts';

/**
 * Normalises a dialled number as found in a Request-URI or To user part:
 * strips URI parameters (`;npdi`, `;rn=`), visual separators (`-`, `.`, space, parentheses,
 * RFC 3966 §5.1.1), and a `tel:`/`sip:` scheme; a bare digit string gains a leading `+`.
 * Returns undefined when what is left is not E.164.
 */
export function normalizeNumber(raw: string): string | undefined {
  let s = raw.trim();
  s = s.replace(/^(tel|sips?):/i, '');
  const at = s.indexOf('@');
  if (at >= 0) s = s.slice(0, at);
  const semi = s.indexOf(';');
  if (semi >= 0) s = s.slice(0, semi);
  s = s.replace(/%2[bB]/g, '+').replace(/[\s\-.()]/g, '');
  if (/^00[1-9]/.test(s)) s = `+${s.slice(2)}`;
  else if (/^[1-9]\d+$/.test(s)) s = `+${s}`;
  return E164_PATTERN.test(s) ? s : undefined;
}
