/** Content types of SIP INFO bodies we read as DTMF (legacy INFO usage, RFC 6086 §2). */
export const DTMF_INFO_TYPES = ['application/dtmf-relay', 'application/dtmf'] as const;

const DIGIT = /^[0-9*#A-D]$/;
/** RFC 4733 §3.2 event codes 0-15 as some senders put them in `Signal=`. */
const EVENT_DIGITS = '0123456789*#ABCD';
const DEFAULT_DURATION_MS = 100;

export type InfoDtmf = { ok: true; digit: string; durationMs: number } | { ok: false; reason: string };

/**
 * Reads a DTMF INFO body. No RFC defines these bodies; they are the de-facto formats of Cisco
 * and most trunks:
 *
 *   application/dtmf-relay        application/dtmf
 *   Signal=5                      5
 *   Duration=160   (ms)
 *
 * `Signal` may also be an event code 10-15 (`*`, `#`, A-D); letters are case-insensitive.
 */
export function parseInfoDtmf(contentType: string, body: string): InfoDtmf {
  if (contentType === 'application/dtmf') return digitOf(body.trim(), DEFAULT_DURATION_MS);
  let signal: string | undefined;
  let durationMs = DEFAULT_DURATION_MS;
  for (const line of body.split(/\r?\n/)) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const name = line.slice(0, eq).trim().toLowerCase();
    const value = line.slice(eq + 1).trim();
    if (name === 'signal') signal = value;
    else if (name === 'duration' && /^\d{1,6}$/.test(value)) durationMs = Math.min(Number(value), 60_000);
  }
  if (signal === undefined) return { ok: false, reason: 'no Signal= line' };
  return digitOf(signal, durationMs);
}

function digitOf(text: string, durationMs: number): InfoDtmf {
  const upper = text.toUpperCase();
  if (DIGIT.test(upper)) return { ok: true, digit: upper, durationMs };
  if (/^1[0-5]$/.test(text)) return { ok: true, digit: EVENT_DIGITS[Number(text)] as string, durationMs };
  return { ok: false, reason: `not a DTMF digit: ${JSON.stringify(text.slice(0, 20))}` };
}
