import { VoicebridgeError } from '@voicebridge/protocol';
import { engineProviderOf } from '../agent-metrics.ts';
import type { CallContext } from './agent-kind.ts';

/**
 * Counts a failed model turn and logs it. A rejected key or an unknown model fails every turn alike: an operator
 * must act, once told, so that refusal is logged as an error once per call (`refusalLogged` says whether it was) and
 * every other failure as a warning. Returns whether the refusal has now been logged.
 */
export function reportModelFailure(call: CallContext, error: unknown, refusalLogged: boolean): boolean {
  call.turns.failed(engineProviderOf(error) ?? 'openai-compatible');
  const fields =
    error instanceof VoicebridgeError ? { code: error.code, retryable: error.retryable, err: error } : { err: error };
  if (error instanceof VoicebridgeError && !error.retryable && !refusalLogged) {
    call.log.error(fields, 'language model refused the request');
    return true;
  }
  call.log.warn(fields, 'language model failed');
  return refusalLogged;
}
