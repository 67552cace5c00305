/**
 * Reading fields of OpenAI's realtime server events, shared by the realtime model session and the
 * transcription session (the same socket protocol): nothing a provider sends is trusted as typed,
 * and text kept for logs and records is bounded and free of control characters.
 */

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Provider text for logs and records: short, no control characters. */
export function clean(value: string, max: number): string {
  return value.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, max);
}

/** An `error` server event's error object, each field bounded (`message` to `maxMessage`). */
export interface OpenAiErrorEvent {
  type: 'error';
  errorType: string;
  code: string;
  message: string;
}

export function errorEventOf(frame: Record<string, unknown>, maxMessage: number): OpenAiErrorEvent {
  const error = isRecord(frame['error']) ? frame['error'] : {};
  return {
    type: 'error',
    errorType: clean(text(error['type']) ?? 'unknown', 60),
    code: clean(text(error['code']) ?? '', 80),
    message: clean(text(error['message']) ?? '', maxMessage),
  };
}
