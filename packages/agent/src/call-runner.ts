import { CallJobSchema, VoicebridgeError, type AgentDecision, type AgentProbeResult } from '@voicebridge/protocol';
import type { AudioChannel } from '@voicebridge/channel';
import type { OutboundHttp } from '@voicebridge/outbound';
import type { CallOwnership, CallRecordRepository, ConversationRepository } from '@voicebridge/store';
import type { Logger } from 'pino';
import type { AgentKinds } from './agents/agent-kinds.ts';
import type { BotSecretSource } from './bot/bot-secrets.ts';
import { builtInKinds, type BuiltInKindsOptions } from './agents/built-in-kinds.ts';
import type { LanguageModelFactory } from './agents/language-model-factory.ts';
import { AgentCall, type AgentCallOptions, type RunOutcome } from './call/agent-call.ts';
import { probeAgent } from './call/agent-probe.ts';
import type { SpeechToText } from './stt/speech-to-text.ts';
import type { TextToSpeech } from './tts/text-to-speech.ts';
import type { TurnObserver } from './turns/turn-timer.ts';

export type { RunOutcome } from './call/agent-call.ts';

export interface CallRunnerOptions {
  channel: AudioChannel;
  records: Pick<CallRecordRepository, 'appendTranscript' | 'get' | 'update'>;
  stt: SpeechToText;
  tts: TextToSpeech;
  greetingDelayMs: number;
  log: Logger;
  /** The models of `llm` numbers; without it, calls to them are refused. */
  models?: LanguageModelFactory;
  /** Requests to the URLs numbers give (webhook tools), under the outbound URL policy. Borrowed. */
  outbound?: OutboundHttp;
  /** Where `websocket` numbers' header and token variables are read (AGENT_SECRET_ENV applies). */
  secrets?: BotSecretSource;
  /** Cloud speech engines for numbers that name them (see `builtInKinds`). */
  cloud?: BuiltInKindsOptions['cloud'];
  /** The agent kinds by name; default: echo, scripted and llm on `stt`, `tts` and `models`, websocket with `outbound`. */
  kinds?: AgentKinds;
  /** The agent's outbound audio queue (pacing, bounds); its defaults when absent. */
  audio?: AgentCallOptions['audio'];
  /** Sees every call's completed turns and barge-ins (the process's metrics). */
  turnObserver?: TurnObserver;
  /** Queues every call's `call.turn` events (numbers with an `events` block). */
  events?: AgentCallOptions['events'];
  /**
   * Ownership with fencing and takeover (docs/adr/0010): each run claims the next owner epoch, keeps
   * the conversation state in Redis, and a run that finds one goes on from it. Without it, calls run
   * unfenced (epoch 0) and are not resumable.
   */
  failover?: {
    ownership: Pick<CallOwnership, 'claim' | 'release'>;
    conversations: Pick<ConversationRepository, 'save' | 'load' | 'delete'>;
    heartbeatMs: number;
  };
}

/**
 * Tells signaling whether this agent takes the call: it answers 200 OK only on `accept` (the BullMQ
 * worker reports it as the job's progress).
 */
export type DecisionReporter = (decision: AgentDecision) => Promise<void>;

/** The body of the BullMQ processor: parses the job, claims the call, and runs an `AgentCall` with its kind. */
export class CallRunner {
  readonly #options: CallRunnerOptions;
  readonly #kinds: AgentKinds;

  constructor(options: CallRunnerOptions) {
    this.#options = options;
    this.#kinds =
      options.kinds ??
      builtInKinds({
        stt: options.stt,
        tts: options.tts,
        models: options.models,
        outbound: options.outbound,
        secrets: options.secrets,
        records: options.records,
        cloud: options.cloud,
      });
  }

  /**
   * Resolves with how the call ended here; rejects only for a job that cannot be a call. `report`
   * carries the accept-or-refuse to signaling (absent when nobody waits for it, as in tests that
   * drive an agent without signaling).
   */
  async run(data: unknown, signal: AbortSignal, report?: DecisionReporter): Promise<RunOutcome> {
    const parsed = CallJobSchema.safeParse(data);
    if (!parsed.success)
      throw new VoicebridgeError('VB_BAD_MESSAGE', `invalid call job: ${parsed.error.message.slice(0, 300)}`);
    const job = parsed.data;
    const log = this.#options.log.child({ callId: job.callId, number: job.number });
    const record = await this.#options.records.get(job.callId);
    if (record?.status === 'ended') {
      log.info('call already ended before an agent took it');
      return { stopReason: record.verdict?.reason ?? 'ended', released: false };
    }
    const failover = this.#options.failover;
    const epoch = failover ? await failover.ownership.claim(job.callId) : 0;
    const conversation = epoch > 1 ? await failover?.conversations.load(job.callId) : undefined;
    if (epoch > 1)
      log.warn({ epoch, turns: conversation?.turns ?? 0 }, 'taking over a call: resuming its conversation');
    const call = new AgentCall({
      job,
      channel: this.#options.channel,
      records: this.#options.records,
      log,
      greetingDelayMs: this.#options.greetingDelayMs,
      epoch,
      restored: epoch > 1 ? { conversation, turns: record?.turns } : undefined,
      conversations: failover?.conversations,
      heartbeatMs: failover?.heartbeatMs ?? 0,
      workerSignal: signal,
      report,
      audio: this.#options.audio,
      turnObserver: this.#options.turnObserver,
      events: this.#options.events,
    });
    const outcome = await call.run(this.#kinds.create(job, log));
    if (failover && !outcome.released) await this.#forget(job.callId, log);
    return outcome;
  }

  /** A `numbers check` probe: what this worker would decide at claim for the call `data` describes. */
  probe(data: unknown, signal: AbortSignal): Promise<AgentProbeResult> {
    const parsed = CallJobSchema.safeParse(data);
    if (!parsed.success)
      throw new VoicebridgeError('VB_BAD_MESSAGE', `invalid probe job: ${parsed.error.message.slice(0, 300)}`);
    const job = parsed.data;
    const log = this.#options.log.child({ probe: job.callId, number: job.number });
    return probeAgent(this.#kinds, job, log, signal);
  }

  /** The call is over: its owner epoch and conversation state are of no more use. */
  async #forget(callId: string, log: Logger): Promise<void> {
    const failover = this.#options.failover;
    if (!failover) return;
    await Promise.all([failover.conversations.delete(callId), failover.ownership.release(callId)]).catch(
      (error: unknown) => log.warn({ err: error }, 'could not delete the conversation state'),
    );
  }
}
