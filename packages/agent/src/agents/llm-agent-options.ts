import type { OutboundHttp } from '@voicebridge/outbound';
import type { RetryOptions } from '../llm/retrying-model.ts';
import type { SpeechToText } from '../stt/speech-to-text.ts';
import type { TextToSpeech } from '../tts/text-to-speech.ts';
import type { BargeInOptions } from '../turns/barge-in-detector.ts';
import type { LanguageModelFactory } from './language-model-factory.ts';

/** What the agent says itself, not the model: fixed so the caller always hears something sensible. */
export const LLM_AGENT_PHRASES = {
  greeting: 'Hello. How can I help you?',
  oneMoment: 'Sorry, one moment.',
  apology: 'Sorry, I could not answer that just now. Could you say it again?',
  cannotDo: 'Sorry, I cannot do that on this call.',
  goodbye: 'Thank you for calling. Goodbye.',
} as const;

/** Used when the number has no `prompt`. */
export const DEFAULT_SYSTEM_PROMPT =
  'You are a helpful assistant on a phone call. Answer briefly, in plain spoken sentences.';

export interface LlmAgentOptions {
  /** Builds the call's model from the number's `llm` config; throws `VB_CONFIG_INVALID` when it cannot (e.g. the key's variable is unset). */
  models: LanguageModelFactory;
  /** Webhook tools are called through it; a number with tools is refused by a worker without one. */
  outbound?: OutboundHttp;
  stt: SpeechToText;
  tts: TextToSpeech;
  /** Model turns that may follow tool results within one caller turn. Default 3. */
  maxToolRounds?: number;
  /** For the `RetryingModel` around each call's model (attempts, backoff). */
  retry?: Omit<RetryOptions, 'sleep' | 'log'>;
  /** When the caller's voice stops the agent (see `BargeInDetector`). */
  bargeIn?: BargeInOptions;
  /** Audio reported played this recently before a barge-in counts as not heard. Default 120 ms. */
  playoutAllowanceMs?: number;
}
