import { VoicebridgeError, type ErrorCode } from '@voicebridge/protocol';

/** The codes an engine failure may carry; retryability comes from the one table in `protocol`. */
export type EngineErrorCode = Extract<ErrorCode, 'VB_ENGINE_FAILED' | 'VB_CONFIG_INVALID' | 'VB_CLOSED'>;

/**
 * A speech engine failed. `VB_ENGINE_FAILED` (retryable): the process died, could not start, or
 * stopped answering — a fresh process may well work. `VB_CONFIG_INVALID` (not retryable): a missing
 * binary or model, an unknown voice. `VB_CLOSED` (not retryable): the engine was closed.
 *
 * Messages name the engine and what failed, never what was said (no transcripts, no TTS text).
 */
export class EngineError extends VoicebridgeError {
  readonly engine: string;

  constructor(engine: string, code: EngineErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, `${engine}: ${message}`, options);
    this.name = 'EngineError';
    this.engine = engine;
  }
}

/** Rethrows the signal's reason if it has aborted: the one way the engines stop on abort. */
export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason;
}
