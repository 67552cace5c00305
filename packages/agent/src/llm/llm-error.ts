import { VoicebridgeError, type ErrorCode } from '@voicebridge/protocol';

/**
 * The codes a language-model failure may carry; retryability comes from the one table in `protocol`:
 * `VB_ENGINE_FAILED` (retryable) for 429, 5xx, a refused or dropped connection, a malformed stream;
 * `VB_REQUEST_TIMEOUT` (retryable) when no answer came in time; `VB_CONFIG_INVALID` (not retryable)
 * for a rejected key, an unknown model or a request the provider refuses (other 4xx).
 */
export type LlmErrorCode = Extract<ErrorCode, 'VB_ENGINE_FAILED' | 'VB_REQUEST_TIMEOUT' | 'VB_CONFIG_INVALID'>;

export interface LlmErrorDetails {
  /** The HTTP status, when the provider answered with one. */
  status?: number;
  /** How long the provider asked us to wait (`Retry-After`), in ms. */
  retryAfterMs?: number;
  cause?: unknown;
}

/**
 * A language model failed. Messages name the provider (its host) and what failed: never the API key,
 * never the prompt or the answer.
 */
export class LlmError extends VoicebridgeError {
  readonly provider: string;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(provider: string, code: LlmErrorCode, message: string, details: LlmErrorDetails = {}) {
    super(code, `${provider}: ${message}`, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'LlmError';
    this.provider = provider;
    this.status = details.status;
    this.retryAfterMs = details.retryAfterMs;
  }
}

/**
 * `Retry-After` (RFC 9110 §10.2.3) as ms from `nowMs`: delay-seconds or an HTTP-date; undefined when
 * absent or unreadable. A date in the past means "now" (0).
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // An HTTP-date names its day and month; anything else (`-5`, `1.5`) is unreadable, not a year.
  const date = /[a-z]/i.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}
