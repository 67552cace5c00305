/**
 * Stable error codes. A code is never reused for another meaning, nor a retired one brought back
 * (docs/errors.md lists both). A code is for a failure some part raises; a refusal that is by design a
 * SIP status and a verdict (unknown or disabled number, no common codec, no agent in time) needs none.
 * Retryability is decided here, once, per code.
 */
export const ERROR_CODES = {
  VB_CONFIG_INVALID: { retryable: false, sipStatus: 500 },
  VB_NO_MEDIA_PORT: { retryable: true, sipStatus: 503 },
  VB_MEDIA_UNAVAILABLE: { retryable: true, sipStatus: 503 },
  VB_CALL_NOT_FOUND: { retryable: false, sipStatus: 481 },
  VB_CHANNEL_CLOSED: { retryable: true, sipStatus: 500 },
  VB_REQUEST_TIMEOUT: { retryable: true, sipStatus: 504 },
  VB_BAD_MESSAGE: { retryable: false, sipStatus: 400 },
  VB_ENGINE_FAILED: { retryable: true, sipStatus: 500 },
  VB_CLOSED: { retryable: false, sipStatus: 503 },
  VB_DTMF_NOT_NEGOTIATED: { retryable: false, sipStatus: 488 },
  VB_TRANSFER_NOT_ALLOWED: { retryable: false, sipStatus: 403 },
  VB_PORT_IN_USE: { retryable: false, sipStatus: 500 },
  VB_NODE_ID_HELD: { retryable: false, sipStatus: 500 },
  VB_UNAUTHORIZED: { retryable: false, sipStatus: 403 },
  VB_FORBIDDEN: { retryable: false, sipStatus: 403 },
  VB_RATE_LIMITED: { retryable: true, sipStatus: 503 },
  VB_NOT_FOUND: { retryable: false, sipStatus: 404 },
  VB_CONFLICT: { retryable: false, sipStatus: 409 },
  VB_NODE_UNREACHABLE: { retryable: true, sipStatus: 503 },
  VB_DIAL_REFUSED: { retryable: false, sipStatus: 403 },
} as const satisfies Record<string, { retryable: boolean; sipStatus: number }>;

export type ErrorCode = keyof typeof ERROR_CODES;
export const ERROR_CODE_NAMES = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

/** A failure as a record carries it: its stable code, and one line of reason (never a secret). */
export function failureOf(error: unknown): { code: ErrorCode; detail: string } {
  const code = error instanceof VoicebridgeError ? error.code : 'VB_ENGINE_FAILED';
  const message = error instanceof Error ? error.message : String(error);
  return { code, detail: oneLine(message) };
}

/** The first line of `text`, at most 300 characters. */
export function oneLine(text: string): string {
  const line = text.split(/\r?\n/, 1)[0]?.trim() ?? '';
  return (line === '' ? 'no reason given' : line).slice(0, 300);
}

export class VoicebridgeError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly sipStatus: number;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VoicebridgeError';
    this.code = code;
    this.retryable = ERROR_CODES[code].retryable;
    this.sipStatus = ERROR_CODES[code].sipStatus;
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}
