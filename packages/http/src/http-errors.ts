import { ERROR_CODES, VoicebridgeError, type ErrorCode } from '@voicebridge/protocol';

/** The one error body every route answers with: a stable code (docs/errors.md) and a message naming the field. */
export interface HttpErrorBody {
  error: { code: ErrorCode; message: string; field?: string };
}

/** HTTP status per error code; a code not listed answers 500 (a bug, never a client's fault). */
const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  VB_BAD_MESSAGE: 400,
  VB_CONFIG_INVALID: 400,
  VB_UNAUTHORIZED: 401,
  VB_FORBIDDEN: 403,
  VB_NOT_FOUND: 404,
  VB_CALL_NOT_FOUND: 404,
  VB_CONFLICT: 409,
  VB_DIAL_REFUSED: 422,
  VB_RATE_LIMITED: 429,
  VB_CLOSED: 503,
  VB_NODE_UNREACHABLE: 503,
};

/** A refusal a route decides: its status follows from the code. */
export class HttpError extends VoicebridgeError {
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, field?: string) {
    super(code, message);
    this.field = field;
  }
}

export function httpStatusOf(code: ErrorCode): number {
  return HTTP_STATUS[code] ?? (ERROR_CODES[code].retryable ? 503 : 500);
}

export function errorBody(code: ErrorCode, message: string, field?: string): HttpErrorBody {
  return { error: { code, message, ...(field === undefined ? {} : { field }) } };
}
