import type { OutboundHttp, OutboundPolicy } from '@voicebridge/outbound';
import type { RealtimeUsage } from '@voicebridge/protocol';
import type { BotSecretSource } from '../bot/bot-secrets.ts';
import type { TextToSpeech } from '../tts/text-to-speech.ts';
import type { BargeInOptions } from '../turns/barge-in-detector.ts';

export interface RealtimeAgentOptions extends BotSecretSource {
  policy: OutboundPolicy;
  /** Webhook tools are called through it. Borrowed. */
  outbound?: OutboundHttp;
  /** The fallback voice: the apology when the model is lost. */
  tts?: TextToSpeech;
  bargeIn?: BargeInOptions;
  /** The record gets the call's `realtime` block when the call ends. */
  records?: { update?(callId: string, patch: { realtime: RealtimeUsage }): Promise<void> };
  /** How long a dropped socket is given to come back (one attempt). Default 2000. */
  reconnectMs?: number;
}

/** Said in the fallback voice when the model cannot go on. */
export const REALTIME_PHRASES = {
  apology: 'Sorry, I am having technical trouble. Please call again later.',
} as const;
