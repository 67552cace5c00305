export { AgentService, type AgentServiceOptions } from './agent-service.ts';
export { CallRunner } from './call-runner.ts';
export { CallConnection, type CallConnectionDelegate } from './call/call-connection.ts';
export { AgentCall, type AgentCallOptions, type RunOutcome } from './call/agent-call.ts';
export { OutboundAudio, type OutboundAudioOptions } from './call/outbound-audio.ts';
export { AsyncQueue } from './async-queue.ts';
export { EchoAgent } from './agents/echo-agent.ts';
export { ScriptedAgent } from './agents/scripted-agent.ts';
export { LlmAgent, type LlmAgentOptions } from './agents/llm-agent.ts';
export {
  createLanguageModelFactory,
  type LanguageModelFactory,
  type LanguageModelFactoryOptions,
} from './agents/language-model-factory.ts';
export {
  AgentRefusal,
  type AgentKind,
  type AgentKindFactory,
  type AgentUsage,
  type CallAudioOut,
  type CallContext,
  type CallTurns,
} from './agents/agent-kind.ts';
export { AgentKinds } from './agents/agent-kinds.ts';
export { WebsocketAgent, type WebsocketAgentOptions } from './bot/websocket-agent.ts';
export type { BotSecretSource } from './bot/bot-secrets.ts';
export { twilioSignature, streamIdentityOf, type StreamIdentity } from './bot/twilio-ids.ts';
export { builtInKinds, type BuiltInKindsOptions } from './agents/built-in-kinds.ts';
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
export { AgentMetrics, engineProviderOf } from './agent-metrics.ts';
