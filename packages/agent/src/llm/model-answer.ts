import type { ChatMessage, LlmEvent, LlmUsage, ToolCall } from './language-model.ts';

/**
 * One answer of the model, split the way the pipeline needs it: `textDeltas()` passes the text on
 * as it streams (into `speakableClauses` → TTS) while the tool calls, the finish reason and the usage
 * are kept here for after the answer; `toMessage()` is the assistant turn for the history.
 */
export class ModelAnswer {
  text = '';
  readonly toolCalls: ToolCall[] = [];
  finishReason: string | undefined;
  usage: LlmUsage | undefined;

  /** Whether the answer ended with `done` (and not with an error or an abort). */
  get complete(): boolean {
    return this.finishReason !== undefined;
  }

  /** Yields the text deltas of `events`, recording everything else; ends when the events do. */
  async *textDeltas(events: AsyncIterable<LlmEvent>): AsyncGenerator<string> {
    for await (const event of events) {
      switch (event.type) {
        case 'text':
          this.text += event.delta;
          yield event.delta;
          break;
        case 'tool_call':
          this.toolCalls.push({ id: event.id, name: event.name, arguments: event.arguments });
          break;
        case 'done':
          this.finishReason = event.finishReason;
          this.usage = event.usage;
          break;
      }
    }
  }

  /**
   * The assistant message for the history. `spokenText` replaces the text when the caller heard
   * only part of it (barge-in: the estimated heard text); tool calls stay, each needs its answer.
   */
  toMessage(spokenText?: string): ChatMessage {
    const content = spokenText ?? this.text;
    return this.toolCalls.length === 0
      ? { role: 'assistant', content }
      : { role: 'assistant', content, toolCalls: [...this.toolCalls] };
  }
}
