/**
 * A tool the model may call: a name, what it does (the model reads this), and a JSON Schema for its
 * arguments (`{ type: 'object', properties: {...}, required: [...] }`).
 */
export interface ToolDefinition {
  name: string;
  description?: string;
  parameters: Record<string, unknown>;
}

/** One tool call as the model made it; `arguments` is the complete JSON text, not yet parsed. */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

/**
 * The conversation so far, in the roles every chat-completions API shares. An assistant turn that
 * called tools is followed by one `tool` message per call, answering it by `toolCallId`.
 */
export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls?: ToolCall[] }
  | { role: 'tool'; toolCallId: string; content: string };

/** What the provider counted for one request, when it says (some servers only do when asked). */
export interface LlmUsage {
  promptTokens: number;
  completionTokens: number;
}

/**
 * The model's answer as it streams: text deltas as they come, each tool call once it is complete,
 * then exactly one `done` (unless the stream throws). `finishReason` is the provider's word
 * (`stop`, `tool_calls`, `length`, `content_filter`, …), `unknown` if it gave none.
 */
export type LlmEvent =
  | { type: 'text'; delta: string }
  | ({ type: 'tool_call' } & ToolCall)
  | { type: 'done'; finishReason: string; usage?: LlmUsage };

export interface LlmRequest {
  messages: ChatMessage[];
  tools?: ToolDefinition[];
  /** Sampling temperature; the provider's default when absent. */
  temperature?: number;
  /** The longest answer, in tokens; the provider's default when absent. */
  maxTokens?: number;
  /** Aborting cancels the HTTP request and ends the events with the signal's reason. */
  signal: AbortSignal;
}

/**
 * Messages and tools in, a token stream and tool calls out. The returned iterable throws `LlmError`
 * (see `retryable`) when the provider fails, or the signal's reason when it aborts; text already
 * yielded before a failure stays valid (what was said was said). Messages and errors never carry
 * the API key; errors never carry the conversation.
 */
export interface LanguageModel {
  stream(request: LlmRequest): AsyncIterable<LlmEvent>;
}
