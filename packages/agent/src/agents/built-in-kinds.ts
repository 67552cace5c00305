import type { OutboundHttp } from '@voicebridge/outbound';
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
  /** The llm kind's tuning (tool rounds, retries, barge-in). */
  llm?: Omit<LlmAgentOptions, 'models' | 'stt' | 'tts' | 'outbound'>;
}

/** The kinds every worker runs: echo, scripted and llm, on the worker's engines. */
export function builtInKinds(options: BuiltInKindsOptions): AgentKinds {
  const { stt, tts } = options;
  const models = options.models ?? noLanguageModels;
  return new AgentKinds({
    echo: (job) => new EchoAgent({ job, tts }),
    scripted: (job) => new ScriptedAgent({ job, stt, tts }),
    llm: (job, log) => new LlmAgent(job, log, { ...options.llm, models, stt, tts, outbound: options.outbound }),
  });
}
