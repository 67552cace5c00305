export { AgentService, type AgentServiceOptions } from './agent-service.ts';
export { CallRunner } from './call-runner.ts';
export { CallConnection } from './call-connection.ts';
export { AsyncQueue } from './async-queue.ts';
export { EchoAgent } from './agents/echo-agent.ts';
export { ScriptedAgent } from './agents/scripted-agent.ts';
export { LlmAgent, type LlmAgentOptions } from './agents/llm-agent.ts';
export {
  createLanguageModelFactory,
  type LanguageModelFactory,
  type LanguageModelFactoryOptions,
} from './agents/language-model-factory.ts';
export type { Agent, AgentContext } from './agents/agent-context.ts';
export * from './engines.ts';
export type {
  ChatMessage,
  LanguageModel,
  LlmEvent,
  LlmRequest,
  LlmUsage,
  ToolCall,
  ToolDefinition,
} from './llm/language-model.ts';
export { LlmError } from './llm/llm-error.ts';
export { OpenAiCompatibleModel, type OpenAiCompatibleOptions } from './llm/openai-compatible.ts';
export { RetryingModel } from './llm/retrying-model.ts';
export { ModelAnswer } from './llm/model-answer.ts';
export { SentenceChunker, speakableClauses } from './llm/sentence-chunker.ts';
