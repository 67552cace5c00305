import {
  failureOf,
  VoicebridgeError,
  type ErrorCode,
  type MediaStats,
  type TerminationReason,
} from '@voicebridge/protocol';
import type { CallRecordPatch } from '@voicebridge/store';
import type { Logger } from 'pino';

/** How long a caller refused for want of RTP ports or media is told to wait before trying again. */
export const CAPACITY_RETRY_AFTER_S = 5;

export interface AdmissionFailure {
  status: number;
  reason: TerminationReason;
  headers: [string, string][];
  detail: string;
  /** A fault's stable code (verdict `error`). */
  code?: ErrorCode;
}

/**
 * What the caller gets when admission throws, logged once. Out of RTP ports or media workers
 * (a retryable 503: VB_NO_MEDIA_PORT, VB_MEDIA_UNAVAILABLE) is capacity, not a fault: one warning
 * line without a stack (a burst of INVITEs must not fill the log with traces) and 503 with
 * Retry-After (RFC 3261 §21.5.4), verdict `rejected`. Anything else is a fault: logged with its
 * stack, the error's SIP status (else 500), verdict `error`.
 */
export function admissionFailure(error: unknown, log: Logger): AdmissionFailure {
  const detail = error instanceof Error ? error.message : String(error);
  if (error instanceof VoicebridgeError && error.retryable && error.sipStatus === 503) {
    log.warn({ code: error.code }, `call refused with 503: ${error.message}`);
    return { status: 503, reason: 'rejected', headers: [['Retry-After', String(CAPACITY_RETRY_AFTER_S)]], detail };
  }
  log.error({ err: error }, 'call admission failed');
  const status = error instanceof VoicebridgeError ? error.sipStatus : 500;
  return { status: status >= 400 ? status : 500, reason: 'error', headers: [], ...failureOf(error) };
}

/** The media worker's figures for the record; the source it latched is the record's `remoteRtp`. */
export function mediaRecordFields({ remoteRtp, ...media }: MediaStats): CallRecordPatch {
  return { media, ...(remoteRtp && { remoteRtp }) };
}
