import type { ChatMessage, LlmEvent, LlmUsage, ToolCall, ToolDefinition } from './language-model.ts';

/**
 * The OpenAI chat-completions wire format (`POST /chat/completions`, `stream: true`), as OpenAI
 * documents it and Groq, Together, Ollama, vLLM and llama.cpp's server implement it. Pure: turns our
 * messages into the request body and streamed chunks back into `LlmEvent`s.
 */
export interface ChatCompletionRequestBody {
  model: string;
  messages: unknown[];
  stream: true;
  tools?: unknown[];
  temperature?: number;
  /** The classic name: accepted by every listed server (OpenAI's newer `max_completion_tokens` is not). */
  max_tokens?: number;
  stream_options?: { include_usage: boolean };
}

export function requestBody(
  model: string,
  request: { messages: ChatMessage[]; tools?: ToolDefinition[]; temperature?: number; maxTokens?: number },
  includeUsage: boolean,
): ChatCompletionRequestBody {
  const body: ChatCompletionRequestBody = { model, messages: request.messages.map(wireMessage), stream: true };
  if (request.tools !== undefined && request.tools.length > 0) {
    body.tools = request.tools.map((tool) => ({
      type: 'function',
      function: {
        name: tool.name,
        ...(tool.description === undefined ? {} : { description: tool.description }),
        parameters: tool.parameters,
      },
    }));
  }
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.maxTokens !== undefined) body.max_tokens = request.maxTokens;
  if (includeUsage) body.stream_options = { include_usage: true };
  return body;
}

function wireMessage(message: ChatMessage): unknown {
  switch (message.role) {
    case 'system':
    case 'user':
      return { role: message.role, content: message.content };
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
    case 'assistant': {
      const calls = message.toolCalls ?? [];
      if (calls.length === 0) return { role: 'assistant', content: message.content };
      return {
        role: 'assistant',
        // Some servers reject an empty string next to tool calls; null is what OpenAI itself sends.
        content: message.content === '' ? null : message.content,
        tool_calls: calls.map((call) => ({
          id: call.id,
          type: 'function',
          function: { name: call.name, arguments: call.arguments },
        })),
      };
    }
  }
}

/** Thrown by `ChunkAssembler` for a chunk that does not follow the format; the client maps it. */
export class MalformedChunk extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedChunk';
  }
}

interface PartialToolCall {
  id: string;
  name: string;
  arguments: string;
}

/**
 * Assembles one streamed answer: text deltas pass straight through; tool calls arrive as fragments
 * (`delta.tool_calls[]`, keyed by `index`: the id and name usually first, the arguments in pieces)
 * and are emitted whole, in index order, when the answer finishes.
 */
export class ChunkAssembler {
  readonly #toolCalls = new Map<number, PartialToolCall>();
  #finishReason: string | undefined;
  #started = false;
  #usage: LlmUsage | undefined;

  /** Whether any text or tool-call fragment came yet: what "first token" means for latency. */
  get started(): boolean {
    return this.#started;
  }

  /** Whether a `finish_reason` came: a stream that ends without one (and without `[DONE]`) was cut. */
  get finished(): boolean {
    return this.#finishReason !== undefined;
  }

  /** The events one parsed `data:` payload yields now (text only; tool calls wait for the end). */
  accept(chunk: unknown): LlmEvent[] {
    if (!isRecord(chunk)) throw new MalformedChunk('a stream chunk is not a JSON object');
    const usage = readUsage(chunk['usage']);
    if (usage !== undefined) this.#usage = usage;
    const choices = chunk['choices'];
    if (choices === undefined || choices === null) return [];
    if (!Array.isArray(choices)) throw new MalformedChunk('`choices` is not an array');
    const events: LlmEvent[] = [];
    for (const choice of choices) {
      if (!isRecord(choice)) throw new MalformedChunk('a choice is not an object');
      // n = 1 is all we ask for; a server that sends more choices anyway is not spoken for twice.
      if (typeof choice['index'] === 'number' && choice['index'] !== 0) continue;
      const delta = choice['delta'];
      if (isRecord(delta)) {
        const content = delta['content'];
        if (typeof content === 'string' && content !== '') {
          events.push({ type: 'text', delta: content });
          this.#started = true;
        }
        if (Array.isArray(delta['tool_calls']) && delta['tool_calls'].length > 0) {
          this.#acceptToolCalls(delta['tool_calls']);
          this.#started = true;
        }
      }
      const finishReason = choice['finish_reason'];
      if (typeof finishReason === 'string' && finishReason !== '') this.#finishReason = finishReason;
    }
    return events;
  }

  /** The tool calls and the closing `done`, once the stream has ended. */
  finish(): LlmEvent[] {
    const events: LlmEvent[] = [];
    for (const index of [...this.#toolCalls.keys()].sort((a, b) => a - b)) {
      const call = this.#toolCalls.get(index) as PartialToolCall;
      if (call.name === '') throw new MalformedChunk(`tool call ${index} has no name`);
      const toolCall: ToolCall = {
        id: call.id === '' ? `call_${index}` : call.id,
        name: call.name,
        arguments: call.arguments.trim() === '' ? '{}' : call.arguments,
      };
      events.push({ type: 'tool_call', ...toolCall });
    }
    const finishReason = this.#finishReason ?? (this.#toolCalls.size > 0 ? 'tool_calls' : 'unknown');
    events.push(
      this.#usage === undefined ? { type: 'done', finishReason } : { type: 'done', finishReason, usage: this.#usage },
    );
    return events;
  }

  #acceptToolCalls(fragments: unknown[]): void {
    fragments.forEach((fragment, position) => {
      if (!isRecord(fragment)) throw new MalformedChunk('a tool call fragment is not an object');
      // `index` is required by the format; a few servers leave it out when they send calls whole.
      const index =
        typeof fragment['index'] === 'number' ? fragment['index'] : this.#indexWithoutIndex(fragment, position);
      let call = this.#toolCalls.get(index);
      if (call === undefined) {
        call = { id: '', name: '', arguments: '' };
        this.#toolCalls.set(index, call);
      }
      if (typeof fragment['id'] === 'string' && fragment['id'] !== '') call.id = fragment['id'];
      const fn = fragment['function'];
      if (isRecord(fn)) {
        // Sent once by OpenAI; some servers repeat it with every fragment, which must not double it.
        const name = fn['name'];
        if (typeof name === 'string' && name !== call.name) call.name += name;
        if (typeof fn['arguments'] === 'string') call.arguments += fn['arguments'];
        else if (isRecord(fn['arguments'])) call.arguments += JSON.stringify(fn['arguments']);
      }
    });
  }

  #indexWithoutIndex(fragment: Record<string, unknown>, position: number): number {
    const id = fragment['id'];
    if (typeof id === 'string' && id !== '') {
      for (const [index, call] of this.#toolCalls) if (call.id === id) return index;
      return this.#toolCalls.size;
    }
    return Math.max(0, Math.min(position, this.#toolCalls.size - 1));
  }
}

function readUsage(value: unknown): LlmUsage | undefined {
  if (!isRecord(value)) return undefined;
  const prompt = value['prompt_tokens'];
  const completion = value['completion_tokens'];
  if (typeof prompt !== 'number' || typeof completion !== 'number') return undefined;
  return { promptTokens: prompt, completionTokens: completion };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
