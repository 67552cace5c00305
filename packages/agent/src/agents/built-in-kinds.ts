import type { OutboundHttp } from '@voicebridge/outbound';
import { SecretEnvAllowList, type CallJob, type CallRecord } from '@voicebridge/protocol';
import type { Logger } from 'pino';
import type { BotSecretSource } from '../bot/bot-secrets.ts';
import { WebsocketAgent } from '../bot/websocket-agent.ts';
import { CallEngines } from '../engines/call-engines.ts';
import type { CloudEngineFactory } from '../engines/cloud-engines.ts';
import type { FallbackSlots } from '../engines/fallback-slots.ts';
import { RealtimeAgent } from '../realtime/realtime-agent.ts';
import type { SpeechToText } from '../stt/speech-to-text.ts';
import type { TextToSpeech } from '../tts/text-to-speech.ts';
import type { AgentKind } from './agent-kind.ts';
import { AgentKinds } from './agent-kinds.ts';
import { EchoAgent } from './echo-agent.ts';
import { EngineKind } from './engine-kind.ts';
import { noLanguageModels, type LanguageModelFactory } from './language-model-factory.ts';
import { LlmAgent, type LlmAgentOptions } from './llm-agent.ts';
import { ScriptedAgent } from './scripted-agent.ts';
import { PronouncingDictionary } from '../scripted/pronouncing-dictionary.ts';
import { POCKETSPHINX_DEFAULTS } from '../stt/pocketsphinx-pool.ts';

export interface BuiltInKindsOptions {
  stt: SpeechToText;
  tts: TextToSpeech;
  /** The models of `llm` numbers; without it, calls to them are refused. */
  models?: LanguageModelFactory;
  /** Webhook tools are called through it. Borrowed. */
  outbound?: OutboundHttp;
  /** Where `websocket` numbers' header and token variables are read; without it none resolves. */
  secrets?: BotSecretSource;
  /** Call records, for the caller and callee a bot is told about. */
  records?: {
    get(callId: string): Promise<CallRecord | undefined>;
    update?(callId: string, patch: Partial<Pick<CallRecord, 'bot' | 'engines' | 'realtime'>>): Promise<void>;
  };
  /** The llm kind's tuning (tool rounds, retries, barge-in). */
  llm?: Omit<LlmAgentOptions, 'models' | 'stt' | 'tts' | 'outbound'>;
  /**
   * Cloud speech engines for numbers that name them, with the worker's budget of offline
   * fallbacks; without it every number runs on `stt` and `tts`.
   */
  /** Scripted numbers' keywords are also matched by sound through it. Default: the CMU dictionary
   * the offline recogniser uses, read on the first scripted call. */
  pronunciations?: PronouncingDictionary;
  cloud?: {
    factory: CloudEngineFactory;
    slots: FallbackSlots;
    stallMs?: number;
    /** Counts a cloud engine's failures by provider (`voicebridge_engine_errors_total`). */
    engineFailed?: (provider: string) => void;
  };
}

/**
 * The kinds every worker runs: echo, scripted and llm on the worker's engines, and websocket (the
 * number's own bot) and realtime (a speech-to-speech model) where outbound connections are
 * configured (their URLs need the policy).
 */
export function builtInKinds(options: BuiltInKindsOptions): AgentKinds {
  const { stt, tts, outbound } = options;
  const models = options.models ?? noLanguageModels;
  const { cloud } = options;
  const pronunciations = options.pronunciations ?? new PronouncingDictionary(POCKETSPHINX_DEFAULTS.dictPath);
  /** The kind on the number's own engines when it names cloud ones, else on the worker's. */
  const onEngines = (
    job: CallJob,
    log: Logger,
    make: (stt: SpeechToText, tts: TextToSpeech) => AgentKind,
  ): AgentKind => {
    const config = job.config.engines;
    const cloudNamed =
      (config?.stt?.provider ?? 'pocketsphinx') !== 'pocketsphinx' || (config?.tts?.provider ?? 'flite') !== 'flite';
    if (cloud === undefined || !cloudNamed) return make(stt, tts);
    const engines = new CallEngines({
      config,
      insecure: job.config.insecure === true,
      offline: { stt, tts },
      cloud: cloud.factory,
      slots: cloud.slots,
      stallMs: cloud.stallMs,
      engineFailed: cloud.engineFailed,
      log,
    });
    const agent = job.config.agent;
    return new EngineKind(make(engines.stt, engines.tts), engines, {
      apologyVoice: tts,
      callId: job.callId,
      llmModel: agent.kind === 'llm' ? agent.llm.model : undefined,
      records: options.records,
      log,
    });
  };
  const kinds = new AgentKinds({
    echo: (job) => new EchoAgent({ job, tts }),
    scripted: (job, log) => onEngines(job, log, (s, t) => new ScriptedAgent({ job, stt: s, tts: t, pronunciations })),
    llm: (job, log) =>
      onEngines(job, log, (s, t) => new LlmAgent(job, log, { ...options.llm, models, stt: s, tts: t, outbound })),
  });
  if (outbound) {
    const secrets = options.secrets ?? { env: {}, secretEnv: SecretEnvAllowList.default() };
    kinds.register(
      'websocket',
      (job, log) =>
        new WebsocketAgent(job, log, { ...secrets, policy: outbound.policy, records: options.records, stt }),
    );
    kinds.register(
      'realtime',
      (job, log) =>
        new RealtimeAgent(job, log, { ...secrets, policy: outbound.policy, outbound, tts, records: options.records }),
    );
  }
  return kinds;
}
