import { isRecord } from '../llm/chat-completion-wire.ts';
import { readBounded, scrub } from '../llm/provider-errors.ts';

/**
 * OpenAI's speech endpoint, as its reference gives it
 * (https://developers.openai.com/api/reference/resources/audio/subresources/speech/methods/create,
 * https://platform.openai.com/docs/guides/text-to-speech): `POST /v1/audio/speech` with a JSON body
 * `{model, input, voice, response_format}`, `Authorization: Bearer KEY`; the audio comes back as the
 * body, chunked while it is generated. `pcm` is raw 16-bit signed little-endian mono at 24 kHz with
 * no header. Errors are JSON: `{"error": {"message", "type", "param", "code"}}`.
 */
export const OPENAI_API_URL = 'https://api.openai.com';
export const OPENAI_TTS_DEFAULT_MODEL = 'gpt-4o-mini-tts';
export const OPENAI_TTS_DEFAULT_VOICE = 'alloy';
export const OPENAI_PCM_RATE_HZ = 24_000;
/** The reference's limit on `input`; a longer reply is refused by the provider (400). */
export const OPENAI_TTS_MAX_INPUT_CHARS = 4096;

/**
 * A reply longer than the provider takes, as requests it does take: each piece ends at the last
 * sentence end within the limit, else the last clause mark, else the last space, so the voice's
 * prosody breaks where a reader's would; only a run of 4096 characters without a space is cut
 * mid-word (never inside a surrogate pair).
 */
export function inputPieces(text: string, maxChars = OPENAI_TTS_MAX_INPUT_CHARS): string[] {
  const pieces: string[] = [];
  let rest = text.trim();
  while (rest.length > maxChars) {
    const window = rest.slice(0, maxChars + 1);
    let cut =
      lastBoundary(window, /[.!?…]["')\]]*\s/g) ?? lastBoundary(window, /[,;:—–]\s/g) ?? lastBoundary(window, /\s/g);
    if (cut === undefined || cut === 0) {
      cut = maxChars;
      const code = rest.charCodeAt(cut - 1);
      if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
    }
    const piece = rest.slice(0, cut).trim();
    if (piece !== '') pieces.push(piece);
    rest = rest.slice(cut).trim();
  }
  if (rest !== '') pieces.push(rest);
  return pieces;
}

/**
 * Where the last match's text ends, before the one whitespace character every pattern ends with. The
 * window holds one character past the limit, so a piece cut there is never over it.
 */
function lastBoundary(window: string, pattern: RegExp): number | undefined {
  let found: number | undefined;
  for (const match of window.matchAll(pattern)) found = match.index + match[0].length - 1;
  return found;
}

/**
 * The speech endpoint from a number's `url`: the whole endpoint (`…/v1/audio/speech`), a base up to
 * the version (`http://localhost:8880/v1`, as compatible servers document theirs), or an origin
 * (`https://eu.api.openai.com`). A query (a gateway's `?api-version=`) stays.
 */
export function speechUrl(base: string | undefined): string {
  const url = new URL(base ?? OPENAI_API_URL);
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = path.endsWith('/audio/speech')
    ? path
    : path.endsWith('/v1')
      ? `${path}/audio/speech`
      : `${path}/v1/audio/speech`;
  return url.toString();
}

/** The request body of one reply. */
export function speechBody(model: string, voice: string, input: string): string {
  return JSON.stringify({ model, input, voice, response_format: 'pcm' });
}

/** An error body as the reference shapes it; every field may be missing from a proxy's or a compatible server's. */
export interface ProviderErrorBody {
  message?: string;
  param?: string;
  code?: string;
}

/** Reads at most 8 KiB of an error reply; the message is scrubbed of the key and cut short. */
export async function readProviderError(
  response: Response,
  secret: string | undefined,
  signal: AbortSignal,
): Promise<ProviderErrorBody> {
  const text = (await readBounded(response, signal)) ?? '';
  if (text.trim() === '') return {};
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    // A proxy's HTML page or plain text: its first line says enough.
    return { message: scrub(text.split('\n', 1)[0] ?? '', secret) };
  }
  const error = isRecord(payload) ? (isRecord(payload['error']) ? payload['error'] : payload) : {};
  const field = (name: string): string | undefined =>
    typeof error[name] === 'string' ? scrub(error[name], secret).slice(0, 80) : undefined;
  const message = typeof error['message'] === 'string' ? scrub(error['message'], secret) : undefined;
  const code = field('code');
  return {
    message: message === undefined ? code : code === undefined ? message : `${message} (${code})`,
    param: field('param'),
    code,
  };
}
