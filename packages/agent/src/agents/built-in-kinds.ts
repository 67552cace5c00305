import type { OutboundHttp } from '@voicebridge/outbound';
import { SecretEnvAllowList, type CallRecord } from '@voicebridge/protocol';
import type { BotSecretSource } from '../bot/bot-secrets.ts';
import { WebsocketAgent } from '../bot/websocket-agent.ts';
import type { SpeechToText } from '../stt/speech-to-text.ts';
import type { TextToSpeech } from '../tts/text-to-speech.ts';
import { AgentKinds } from './agent-kinds.ts';
import { EchoAgent } from './echo-agent.ts';
import { noLanguageModels, type LanguageModelFactory } from './language-model-factory.ts';
import { LlmAgent, type LlmAgentOptions } from './llm-agent.ts';
import { ScriptedAgent } from './scripted-agent.ts';

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
  records?: { get(callId: string): Promise<CallRecord | undefined> };
  /** The llm kind's tuning (tool rounds, retries, barge-in). */
  llm?: Omit<LlmAgentOptions, 'models' | 'stt' | 'tts' | 'outbound'>;
}

/**
 * The kinds every worker runs: echo, scripted and llm on the worker's engines, and websocket (the
 * number's own bot) where outbound connections are configured (its URLs need the policy).
 */
export function builtInKinds(options: BuiltInKindsOptions): AgentKinds {
  const { stt, tts, outbound } = options;
  const models = options.models ?? noLanguageModels;
  const kinds = new AgentKinds({
    echo: (job) => new EchoAgent({ job, tts }),
    scripted: (job) => new ScriptedAgent({ job, stt, tts }),
    llm: (job, log) => new LlmAgent(job, log, { ...options.llm, models, stt, tts, outbound }),
  });
  if (outbound) {
    const secrets = options.secrets ?? { env: {}, secretEnv: SecretEnvAllowList.default() };
    kinds.register(
      'websocket',
      (job, log) => new WebsocketAgent(job, log, { ...secrets, policy: outbound.policy, records: options.records }),
    );
  }
  return kinds;
}
