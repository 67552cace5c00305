import type { ConversationState, EngineUsage, Logger } from '@voicebridge/protocol';
import type { CallEngines } from '../engines/call-engines.ts';
import { EngineOutageError } from '../engines/engine-switch.ts';
import type { TextToSpeech } from '../tts/text-to-speech.ts';
import { AgentRefusal, type AgentKind, type AgentUsage, type CallContext, type PrepareOptions } from './agent-kind.ts';

/** What a caller hears when the speech provider is down and the worker has no fallback left. */
export const ENGINE_OUTAGE_APOLOGY =
  'Sorry, we are having technical difficulties and cannot take your call right now. Please call again later.';

/**
 * A kind (scripted, llm) on a number with cloud speech engines: the kind is unchanged, its `stt`
 * and `tts` are the call's `CallEngines`, which this wrapper opens in `prepare` (refusing the call
 * for a key the provider or the worker cannot use, naming its variable), closes with the call, and
 * adds to the usage. An engine that fails mid-call with no fallback allowed (`engine-outage`) gets
 * the fixed apology in the offline voice (a cached line: it costs no recogniser) and a hang-up.
 */
export interface EngineKindOptions {
  /** The offline voice the outage apology is said in. */
  apologyVoice: TextToSpeech;
  callId: string;
  /** The number's model, named in the record beside its tokens (llm numbers). */
  llmModel?: string;
  /** The record gets the call's `engines` block when the call ends. */
  records?: { update?(callId: string, patch: { engines: EngineUsage }): Promise<void> };
  log: Logger;
}

export class EngineKind implements AgentKind {
  readonly #inner: AgentKind;
  readonly #engines: CallEngines;
  readonly #options: EngineKindOptions;
  #outage: Promise<void> | undefined;
  #ran = false;
  #closed = false;

  constructor(inner: AgentKind, engines: CallEngines, options: EngineKindOptions) {
    this.#inner = inner;
    this.#engines = engines;
    this.#options = options;
  }

  /** The record's `engines` block: engines, models, usage, switches (never text or keys). */
  engineUsage(): EngineUsage {
    const { stt, tts } = this.#engines.usage();
    const inner = this.#inner.usage?.() ?? {};
    const promptTokens = inner['promptTokens'];
    const completionTokens = inner['completionTokens'];
    return {
      stt,
      tts,
      ...(promptTokens !== undefined &&
        completionTokens !== undefined && {
          llm: { model: this.#options.llmModel, promptTokens, completionTokens },
        }),
    };
  }

  async prepare(signal: AbortSignal, options?: PrepareOptions): Promise<void> {
    await this.#refusing(signal, () =>
      options?.deferConnect ? Promise.resolve(this.#engines.check()) : this.#engines.prepare(signal),
    );
    await this.#inner.prepare(signal, options);
  }

  async connect(signal: AbortSignal): Promise<void> {
    await this.#refusing(signal, () => this.#engines.open(signal));
    await this.#inner.connect?.(signal);
  }

  async #refusing(signal: AbortSignal, step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (error) {
      if (signal.aborted) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      if (error instanceof EngineOutageError)
        throw new AgentRefusal('VB_ENGINE_FAILED', `speech engine down: ${reason}`, 503, 'engine-outage');
      throw new AgentRefusal('VB_CONFIG_INVALID', `speech engine not usable: ${reason}`, 503);
    }
  }

  run(call: CallContext): Promise<void> {
    return this.#guarded(call, () => this.#inner.run(call));
  }

  resume(call: CallContext, state: ConversationState): Promise<void> {
    return this.#guarded(call, () => this.#inner.resume(call, state));
  }

  onDtmf(digit: string, durationMs: number): void {
    this.#inner.onDtmf?.(digit, durationMs);
  }

  onHold(held: boolean): void {
    this.#inner.onHold?.(held);
  }

  say(call: CallContext, text: string): Promise<unknown> {
    return this.#inner.say?.(call, text) ?? Promise.resolve();
  }

  usage(): AgentUsage {
    const { stt, tts, switches } = this.#engines.usage();
    const counts: Record<string, number> = { ...this.#inner.usage?.() };
    if (stt.audioSeconds !== undefined) counts['sttAudioSeconds'] = Math.round(stt.audioSeconds * 100) / 100;
    if (tts.characters !== undefined) counts['ttsCharacters'] = tts.characters;
    if (tts.cancelled !== undefined) counts['ttsCancelled'] = tts.cancelled;
    counts['engineSwitches'] = switches.length;
    return counts;
  }

  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#inner.close(reason);
    // Only a call that ran has a record to complete (a refusal is in the record already).
    if (this.#ran)
      void this.#options.records
        ?.update?.(this.#options.callId, { engines: this.engineUsage() })
        .catch((error: unknown) => this.#options.log.warn({ err: error }, 'could not write the engines to the record'));
    this.#engines.close();
  }

  async #guarded(call: CallContext, body: () => Promise<void>): Promise<void> {
    this.#ran = true;
    this.#engines.onOutage = () => {
      this.#outage ??= this.#apologise(call);
    };
    try {
      await body();
    } catch (error) {
      if (this.#outage === undefined && !isOutage(error)) throw error;
      this.#outage ??= this.#apologise(call);
    }
    if (this.#outage !== undefined) await this.#outage;
  }

  async #apologise(call: CallContext): Promise<void> {
    call.log.warn('speech engine down with no fallback: apologising and hanging up (engine-outage)');
    try {
      call.audio.clear();
      call.transcript('agent', ENGINE_OUTAGE_APOLOGY);
      // The offline voice's own default: the number's voice is the cloud provider's id.
      for await (const chunk of this.#options.apologyVoice.synthesize(ENGINE_OUTAGE_APOLOGY, {
        sampleRateHz: 8000,
        signal: call.signal,
      }))
        await call.audio.write(chunk);
      await call.audio.mark(call.signal);
    } finally {
      call.hangup('engine-outage');
    }
  }
}

function isOutage(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++)
    if (e instanceof EngineOutageError) return true;
  return false;
}
