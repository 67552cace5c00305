import { Counter, Gauge, Histogram, Registry } from '@voicebridge/metrics';
import type { TurnLatency } from '@voicebridge/protocol';
import { LlmError } from './llm/llm-error.ts';
import { EngineError } from './stt/engine-error.ts';
import type { TurnObserver } from './turns/turn-timer.ts';

/** The turn stages, each timed from the caller's voice end (docs/operations.md "Monitoring"). */
const STAGES = [
  ['stt_final', 'sttFinalAtMs'],
  ['answer', 'answerAtMs'],
  ['tts_first_audio', 'ttsFirstAudioAtMs'],
  ['first_rtp', 'firstRtpAtMs'],
] as const;

/**
 * The agent process's metrics. To add one: define it here and call it where it happens (a language
 * model's failure reaches `call.turns.failed(engineProviderOf(error))`, a cloud STT or TTS's reaches
 * `engineFailed` through its call's engine switch); collection, the `process` label and merging need
 * no change. Labels are bounded sets only: never numbers, call ids or texts.
 */
export class AgentMetrics implements TurnObserver {
  readonly #turnLatency: Histogram<'stage'>;
  readonly #bargeIns: Counter;
  readonly #claim: Histogram;
  readonly #engineErrors: Counter<'provider'>;

  constructor(registry: Registry = new Registry(), live: { activeCalls: () => number } = { activeCalls: () => 0 }) {
    const registers = [registry];
    new Gauge({
      name: 'voicebridge_agent_calls_active',
      help: 'Calls this agent process runs now',
      registers,
      collect() {
        this.set(live.activeCalls());
      },
    });
    this.#turnLatency = new Histogram({
      name: 'voicebridge_turn_latency_seconds',
      help: "Time from the caller's voice end (the final transcript when no voice end was seen) to each stage of the reply: stt_final, answer (first token or scripted answer), tts_first_audio, first_rtp (its first packet sent)",
      labelNames: ['stage'],
      buckets: [0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10],
      registers,
    });
    this.#bargeIns = new Counter({
      name: 'voicebridge_barge_ins_total',
      help: "Times a caller talked over the agent's reply and the reply was cut",
      registers,
    });
    this.#claim = new Histogram({
      name: 'voicebridge_agent_claim_seconds',
      help: 'Time from the call job entering the calls queue to an agent process starting it',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.#engineErrors = new Counter({
      name: 'voicebridge_engine_errors_total',
      help: 'Failures of speech and language engines (STT, LLM, TTS), by provider',
      labelNames: ['provider'],
      registers,
    });
  }

  turnCompleted(turn: TurnLatency): void {
    const fromMs = turn.voiceEndAtMs ?? turn.sttFinalAtMs;
    for (const [stage, field] of STAGES) {
      const atMs = turn[field];
      if (atMs !== undefined) this.#turnLatency.observe({ stage }, Math.max(0, atMs - fromMs) / 1000);
    }
  }

  bargedIn(): void {
    this.#bargeIns.inc();
  }

  claimed(waitedMs: number): void {
    this.#claim.observe(Math.max(0, waitedMs) / 1000);
  }

  engineFailed(provider: string): void {
    this.#engineErrors.inc({ provider });
  }
}

/**
 * The `provider` label for an engine's failure: the adapter's fixed name (`pocketsphinx`, `flite`,
 * `deepgram`, …), `openai-compatible` for a language model (never its host: hosts come from number
 * configs, an unbounded set); undefined for anything that is not an engine failure.
 */
export function engineProviderOf(error: unknown): string | undefined {
  if (error instanceof EngineError) return error.engine;
  if (error instanceof LlmError) return 'openai-compatible';
  return undefined;
}
