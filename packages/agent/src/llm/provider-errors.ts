import { LlmError, parseRetryAfter } from './llm-error.ts';
import { isRecord } from './chat-completion-wire.ts';

/** How much of an error body is read: enough for any provider's JSON error, bounded against a flood. */
const ERROR_BODY_MAX_BYTES = 8192;
const PROVIDER_MESSAGE_MAX_CHARS = 200;

/**
 * Maps an HTTP error reply to an `LlmError`; retryability follows from the code:
 * - 401, 403: `VB_CONFIG_INVALID`. The provider's own message is left out: OpenAI's quotes part of
 *   the key it was sent.
 * - 408: `VB_REQUEST_TIMEOUT`; 429 and 5xx: `VB_ENGINE_FAILED`, with `Retry-After` as `retryAfterMs`.
 * - any other status (400 bad request, 404 unknown model, 413, 422): `VB_CONFIG_INVALID` — sending
 *   the same request again gets the same answer.
 * Provider messages are cut short and scrubbed of the key and anything shaped like one.
 */
export async function errorFromResponse(
  provider: string,
  response: Response,
  secret: string | undefined,
  signal: AbortSignal,
): Promise<LlmError> {
  const { status } = response;
  const statusText = `${status}${response.statusText === '' ? '' : ` ${response.statusText}`}`;
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), Date.now());
  if (status === 401 || status === 403) {
    await discard(response);
    const what = secret === undefined ? 'requires an API key, and none is configured' : 'rejected the API key';
    return new LlmError(
      provider,
      'VB_CONFIG_INVALID',
      `the provider ${what} (${statusText}); check the key configured for this model`,
      { status },
    );
  }
  const detail = await providerMessage(response, secret, signal);
  const suffix = detail === undefined ? '' : `: ${detail}`;
  if (status === 408)
    return new LlmError(provider, 'VB_REQUEST_TIMEOUT', `request timed out at the provider (${statusText})${suffix}`, {
      status,
      retryAfterMs,
    });
  if (status === 429)
    return new LlmError(provider, 'VB_ENGINE_FAILED', `rate limited (${statusText})${suffix}`, {
      status,
      retryAfterMs,
    });
  if (status >= 500)
    return new LlmError(provider, 'VB_ENGINE_FAILED', `provider error (${statusText})${suffix}`, {
      status,
      retryAfterMs,
    });
  return new LlmError(provider, 'VB_CONFIG_INVALID', `request refused (${statusText})${suffix}`, { status });
}

/** An `{"error": ...}` payload sent inside the stream (OpenAI and vLLM do this after a 200). */
export function streamedError(
  provider: string,
  payload: Record<string, unknown>,
  secret: string | undefined,
): LlmError {
  const message = errorMessage(payload);
  return new LlmError(
    provider,
    'VB_ENGINE_FAILED',
    `the provider reported an error mid-stream${message === undefined ? '' : `: ${scrub(message, secret)}`}`,
  );
}

/** Removes the key itself and anything shaped like a bearer token or an API key, then shortens. */
export function scrub(text: string, secret: string | undefined): string {
  let clean = text;
  if (secret !== undefined && secret.length >= 4) clean = clean.split(secret).join('[redacted]');
  clean = clean
    .replace(/\bBearer\s+\S+/gi, 'Bearer [redacted]')
    .replace(/\b(?:sk|gsk|xai|pk|rk|key|tgp|hf|nvapi)[-_][A-Za-z0-9_*\-.]{6,}/gi, '[redacted]')
    .replace(/[\u0000-\u001f]+/g, ' ')
    .trim();
  return clean.length > PROVIDER_MESSAGE_MAX_CHARS ? `${clean.slice(0, PROVIDER_MESSAGE_MAX_CHARS)}…` : clean;
}

async function providerMessage(
  response: Response,
  secret: string | undefined,
  signal: AbortSignal,
): Promise<string | undefined> {
  const text = await readBounded(response, signal);
  if (text === undefined || text.trim() === '') return undefined;
  let message: string | undefined;
  try {
    const payload: unknown = JSON.parse(text);
    message = isRecord(payload) ? errorMessage(payload) : undefined;
  } catch {
    // Not JSON (a proxy's HTML page, plain text): its first line says enough.
    message = text.split('\n', 1)[0];
  }
  return message === undefined ? undefined : scrub(message, secret);
}

/** `{error: {message, type, code}}` (OpenAI, Groq, vLLM), `{error: "…"}` (Ollama, llama.cpp), `{message}`. */
function errorMessage(payload: Record<string, unknown>): string | undefined {
  const error = payload['error'];
  if (typeof error === 'string') return error;
  const source = isRecord(error) ? error : payload;
  const message = source['message'];
  if (typeof message !== 'string') return undefined;
  const code =
    typeof source['code'] === 'string'
      ? source['code']
      : typeof source['type'] === 'string'
        ? source['type']
        : undefined;
  return code === undefined ? message : `${message} (${code})`;
}

/** At most 8 KiB of an error reply's body as text; undefined when there is none (or nothing could be read). */
export async function readBounded(response: Response, signal: AbortSignal): Promise<string | undefined> {
  if (response.body === null) return undefined;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  try {
    while (bytes < ERROR_BODY_MAX_BYTES && !signal.aborted) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      text += decoder.decode(value.subarray(0, Math.max(0, ERROR_BODY_MAX_BYTES - (bytes - value.byteLength))), {
        stream: true,
      });
    }
    return text + decoder.decode();
  } catch {
    return text === '' ? undefined : text;
  } finally {
    reader.cancel().catch(() => {});
  }
}

async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => {});
}
