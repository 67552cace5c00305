import type { EngineUsage, EnginesConfig, Logger } from '@voicebridge/protocol';
import { EngineError } from '../stt/engine-error.ts';
import type { SpeechToText } from '../stt/speech-to-text.ts';
import type { TextToSpeech } from '../tts/text-to-speech.ts';
import type { CloudEngineFactory, CloudEngines } from './cloud-engines.ts';
import { EngineSwitch, type EngineOutageError, type EngineSwitchRecord } from './engine-switch.ts';
import { FallbackStt } from './fallback-stt.ts';
import { FallbackTts } from './fallback-tts.ts';
import type { FallbackSlots } from './fallback-slots.ts';

export interface CallEnginesOptions {
  config: EnginesConfig | undefined;
  insecure: boolean;
  /** The worker's offline engines: the default, and every cloud engine's fallback. Borrowed. */
  offline: { stt: SpeechToText; tts: TextToSpeech };
  cloud: CloudEngineFactory;
  slots: FallbackSlots;
  log: Logger;
  /** See `FallbackTts`. */
  stallMs?: number;
  /** See `SttStallWatch` (its `stallMs`, default 3000). */
  sttStallMs?: number;
  /** Told the provider's name each time one of this call's cloud engines fails (the worker's metrics). */
  engineFailed?: (provider: string) => void;
}

/** What one call's engines used, for the log and the record. */
export type CallEngineUsage = Omit<EngineUsage, 'llm'> & { switches: EngineSwitchRecord[] };

/**
 * One call's speech engines, owned by the call: the number's cloud STT and TTS (behind their
 * fallbacks) or the worker's offline ones. `prepare()` opens the cloud sockets before the answer:
 * a key the provider refuses (401/403) or a variable that is not set refuses the call naming it;
 * a provider that is down switches to the fallback there and then, so the greeting is never lost.
 */
export class CallEngines {
  readonly stt: SpeechToText;
  readonly tts: TextToSpeech;
  readonly #cloud: CloudEngines;
  readonly #configError: unknown;
  readonly #sttSwitch: EngineSwitch | undefined;
  readonly #ttsSwitch: EngineSwitch | undefined;
  readonly #log: Logger;
  #closed = false;

  constructor(options: CallEnginesOptions) {
    const { offline, log } = options;
    this.#log = log;
    let cloud: CloudEngines = {};
    try {
      cloud = options.cloud(options.config, log, options.insecure);
    } catch (error) {
      this.#configError = error;
    }
    this.#cloud = cloud;
    const stt = withFallback(
      cloud.stt,
      offline.stt,
      options,
      (primary, fallback, engineSwitch) =>
        new FallbackStt({ primary, fallback, switch: engineSwitch, stall: { stallMs: options.sttStallMs } }),
    );
    const tts = withFallback(
      cloud.tts,
      offline.tts,
      options,
      (primary, fallback, engineSwitch) =>
        new FallbackTts({ primary, fallback, switch: engineSwitch, stallMs: options.stallMs }),
    );
    this.stt = stt.engine;
    this.#sttSwitch = stt.switch;
    this.tts = tts.engine;
    this.#ttsSwitch = tts.switch;
  }

  /** Called once when an engine fails with no fallback allowed mid-call. */
  set onOutage(handler: (error: EngineOutageError) => void) {
    if (this.#sttSwitch) this.#sttSwitch.onOutage = handler;
    if (this.#ttsSwitch) this.#ttsSwitch.onOutage = handler;
  }

  /** Throws the config error (`VB_CONFIG_INVALID`) that refuses the call; otherwise accepts it. */
  async prepare(signal: AbortSignal): Promise<void> {
    this.check();
    await this.open(signal);
  }

  /** The part of `prepare` that needs no socket: a key variable unset or not allowed refuses here. */
  check(): void {
    if (this.#configError !== undefined) throw this.#configError;
  }

  /** The cloud sockets (a provider that is down switches to its fallback here). */
  async open(signal: AbortSignal): Promise<void> {
    await Promise.all([
      this.#open(this.#cloud.stt?.engine, this.#sttSwitch, signal),
      this.#open(this.#cloud.tts?.engine, this.#ttsSwitch, signal),
    ]);
  }

  async #open(
    engine: { prepare(signal: AbortSignal): Promise<void> } | undefined,
    engineSwitch: EngineSwitch | undefined,
    signal: AbortSignal,
  ): Promise<void> {
    if (engine === undefined || engineSwitch === undefined) return;
    try {
      await engine.prepare(signal);
    } catch (error) {
      if (signal.aborted) throw error;
      if (error instanceof EngineError && !error.retryable) throw error;
      // Down or rate limited past its retries: the call starts on the fallback (or, without one, is
      // refused here like any engine failure before the answer).
      engineSwitch.switchOver(error instanceof Error ? error.message : String(error));
    }
  }

  usage(): CallEngineUsage {
    const { stt, tts } = this.#cloud;
    const switches = [this.#sttSwitch?.switched, this.#ttsSwitch?.switched].filter(
      (s): s is EngineSwitchRecord => s !== undefined,
    );
    return {
      stt:
        stt === undefined
          ? { provider: 'pocketsphinx' }
          : {
              provider: stt.provider,
              model: stt.model,
              audioSeconds: stt.engine.audioSeconds,
              ...(this.#sttSwitch?.switched && {
                switchedTo: this.#sttSwitch.switched.to,
                switchReason: this.#sttSwitch.switched.reason.slice(0, 300),
              }),
            },
      tts:
        tts === undefined
          ? { provider: 'flite' }
          : {
              provider: tts.provider,
              model: tts.model,
              characters: tts.engine.characters,
              cancelled: tts.engine.cancelled,
              ...(this.#ttsSwitch?.switched && {
                switchedTo: this.#ttsSwitch.switched.to,
                switchReason: this.#ttsSwitch.switched.reason.slice(0, 300),
              }),
            },
      switches,
    };
  }

  /** Idempotent: closes the cloud sockets (AssemblyAI-like providers bill open sessions) and frees fallback slots. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#sttSwitch?.close();
    this.#ttsSwitch?.close();
    void this.#cloud.stt?.engine.close();
    void this.#cloud.tts?.engine.close();
    this.#log.debug('call engines closed');
  }
}

/**
 * One engine of the call: the offline one when the number names no cloud provider, else the cloud
 * adapter behind its fallback wrapper with the switch that records (and caps) a fallback.
 */
function withFallback<Engine>(
  cloud: { engine: Engine; provider: string; fallback: string } | undefined,
  offline: Engine,
  options: CallEnginesOptions,
  wrap: (primary: Engine, fallback: Engine | undefined, engineSwitch: EngineSwitch) => Engine,
): { engine: Engine; switch: EngineSwitch | undefined } {
  if (cloud === undefined) return { engine: offline, switch: undefined };
  const fallback = cloud.fallback === 'none' ? undefined : cloud.fallback;
  const engineSwitch = new EngineSwitch(cloud.provider, fallback, options.slots, options.log);
  engineSwitch.onFailure = options.engineFailed;
  return {
    engine: wrap(cloud.engine, fallback === undefined ? undefined : offline, engineSwitch),
    switch: engineSwitch,
  };
}
