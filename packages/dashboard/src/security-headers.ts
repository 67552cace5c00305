/**
 * The dashboard renders what callers, carriers and models wrote (display names, transcripts, SIP
 * headers), so it is built to make a missed escape harmless: scripts and styles only from its own
 * files (no inline script or style, no eval), nothing loaded from elsewhere, no framing, no forms
 * posted anywhere. `blob:` is for the recording, fetched with the token and played from memory.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "media-src 'self' blob:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': DASHBOARD_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cache-control': 'no-cache',
};
