import { DEFAULT_PARTIAL_STABLE_MS, type LlmAgentConfig } from '@voicebridge/protocol';
import type { ChatMessage, LanguageModel, ToolDefinition } from '../llm/language-model.ts';
import { SpeculativeStart } from '../turns/speculative-start.ts';
import type { CallContext } from './agent-kind.ts';

/** The llm agent's counters an early start adds to. */
export interface EarlyStartUsage {
  promptTokens: number;
  completionTokens: number;
  modelRequests: number;
  earlyDiscarded: number;
}

export interface EarlyStartOptions {
  config: LlmAgentConfig;
  /** The call's model without its retry: an early request that fails is dropped, never apologised for. */
  model: LanguageModel | undefined;
  call: CallContext;
  /** The conversation as it stands when the request starts (the interim's words are added). */
  history: readonly ChatMessage[];
  /** The tools offered (read when the request starts: emptied when the server refused them). */
  state: { tools: ToolDefinition[] };
  usage: EarlyStartUsage;
}

/**
 * The llm agent's `SpeculativeStart`, unless the number waits for finals (`answerStart: final`). A
 * recogniser without interims (pocketsphinx) never gives it anything to start on. A discarded
 * early request counts as a model request, with the tokens the server reported before it was cut.
 */
export function earlyStartFor(options: EarlyStartOptions): SpeculativeStart | undefined {
  const { config, model, call, history, state, usage } = options;
  if (config.answerStart === 'final' || model === undefined) return undefined;
  const { temperature, maxTokens } = config.llm;
  return new SpeculativeStart({
    stableMs: config.partialStableMs ?? DEFAULT_PARTIAL_STABLE_MS,
    request: (text, signal) =>
      model.stream({
        messages: [...history, { role: 'user', content: text }],
        tools: state.tools,
        temperature,
        maxTokens,
        signal,
      }),
    signal: call.signal,
    onDiscarded: (held) => {
      usage.modelRequests++;
      usage.earlyDiscarded++;
      usage.promptTokens += held.usage?.promptTokens ?? 0;
      usage.completionTokens += held.usage?.completionTokens ?? 0;
    },
    log: call.log,
  });
}
