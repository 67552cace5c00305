import type { Logger } from '@voicebridge/protocol';
import { PocketsphinxPool, type PocketsphinxPoolOptions } from './stt/pocketsphinx-pool.ts';
import { PocketsphinxStt } from './stt/pocketsphinx-stt.ts';
import type { SpeechToText } from './stt/speech-to-text.ts';
import type { UpsamplingMethod } from './stt/telephone-upsampler.ts';
import { CachingTts } from './tts/caching-tts.ts';
import { FliteTts, type FliteTtsOptions } from './tts/flite-tts.ts';
import type { TextToSpeech } from './tts/text-to-speech.ts';

export { EngineError, type EngineErrorCode } from './stt/engine-error.ts';
export type { SpeechToText, Transcript, TranscribeOptions } from './stt/speech-to-text.ts';
export type { TextToSpeech, SynthesizeOptions } from './tts/text-to-speech.ts';
export { PocketsphinxPool, PocketsphinxStt, FliteTts };
export { CachingTts, type CachingTtsOptions } from './tts/caching-tts.ts';
export { ScriptedDialogue } from './scripted/scripted-dialogue.ts';

export interface OfflineEnginesOptions {
  /** Warm recognisers; one per concurrent call (set it to the agent's concurrency). Default 2. */
  poolSize?: number;
  /** Start the recognisers now rather than on the first call. Default true. */
  warmUp?: boolean;
  pocketsphinx?: Omit<PocketsphinxPoolOptions, 'size' | 'log'> & { upsampling?: UpsamplingMethod };
  flite?: Omit<FliteTtsOptions, 'log'>;
  log?: Logger;
}

export interface OfflineEngines {
  stt: SpeechToText;
  tts: TextToSpeech;
  /** Idempotent; closes both engines and kills their processes. */
  close(): Promise<void>;
}

/**
 * The engines that work on a fresh machine with no account: pocketsphinx (a warm pool) and flite,
 * both from Debian (`pocketsphinx`, `pocketsphinx-en-us`, `flite`). Measured in ADR 0005.
 */
export function createOfflineEngines(options: OfflineEnginesOptions = {}): OfflineEngines {
  const { poolSize = 2, warmUp = true, log } = options;
  const { upsampling, ...decoder } = options.pocketsphinx ?? {};
  const pool = new PocketsphinxPool({ ...decoder, size: poolSize, log });
  const stt = new PocketsphinxStt({ pool, upsampling, log });
  // Greetings and configured answers repeat on every call: synthesise each once.
  const tts = new CachingTts(new FliteTts({ ...options.flite, log }));
  const lifetime = new AbortController();
  if (warmUp) {
    // A failure here is not fatal: each call retries through acquire() and reports it then.
    pool.warmUp(lifetime.signal).catch((error: unknown) => {
      if (!lifetime.signal.aborted) log?.warn({ err: String(error) }, 'recognisers could not be started');
    });
  }
  let closing: Promise<void> | undefined;
  return {
    stt,
    tts,
    close: () =>
      (closing ??= (async () => {
        lifetime.abort();
        await Promise.all([stt.close(), tts.close()]);
        await pool.close();
      })()),
  };
}
