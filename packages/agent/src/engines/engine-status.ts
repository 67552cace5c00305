import { EngineError } from '../stt/engine-error.ts';

/**
 * The one place a provider's refusal (an HTTP status, on a socket's upgrade or an HTTP API's reply)
 * becomes an engine error, hence its retryability: 401/403 is a key the provider refuses
 * (`VB_CONFIG_INVALID`, naming the key's variable, never retried); 429 and 5xx are worth another
 * attempt; any other (400 bad model, 404) is a config error: the same request gets the same answer.
 * `detail` is the provider's own message, already scrubbed and shortened.
 */
export function statusError(engine: string, status: number, keyName: string, detail?: string): EngineError {
  const suffix = detail === undefined || detail === '' ? '' : `: ${detail}`;
  if (status === 401 || status === 403)
    return new EngineError(engine, 'VB_CONFIG_INVALID', `the provider refused the key in ${keyName} (${status})`);
  if (status === 429) return new EngineError(engine, 'VB_ENGINE_FAILED', `rate limited (429)${suffix}`);
  if (status >= 500) return new EngineError(engine, 'VB_ENGINE_FAILED', `provider error (${status})${suffix}`);
  return new EngineError(engine, 'VB_CONFIG_INVALID', `the provider refused the request (${status})${suffix}`);
}

/** Whether a status is worth another attempt (see `statusError`). */
export function retryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}
