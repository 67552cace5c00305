import { VoicebridgeError } from '@voicebridge/protocol';
import type { ChatMessage, LanguageModel, LlmEvent, ToolCall, ToolDefinition } from '../llm/language-model.ts';
import { LlmError } from '../llm/llm-error.ts';
import { ModelAnswer } from '../llm/model-answer.ts';
import { RetryingModel, type RetryOptions } from '../llm/retrying-model.ts';
import { speakableClauses } from '../llm/sentence-chunker.ts';
import type { EngineLog } from '../stt/engine-log.ts';
import { delay, speak, type Agent, type AgentContext } from './agent-context.ts';
import type { LanguageModelFactory } from './language-model-factory.ts';
import { TurnInbox } from './turn-inbox.ts';

/** What the agent says itself, not the model: fixed so the caller always hears something sensible. */
export const LLM_AGENT_PHRASES = {
  greeting: 'Hello. How can I help you?',
  oneMoment: 'Sorry, one moment.',
  apology: 'Sorry, I could not answer that just now. Could you say it again?',
  cannotDo: 'Sorry, I cannot do that on this call.',
  goodbye: 'Thank you for calling. Goodbye.',
  unavailable: 'Sorry, this line cannot take calls right now. Goodbye.',
} as const;

/** Used when the number has no `prompt`. */
export const DEFAULT_SYSTEM_PROMPT = 'You are a helpful assistant on a phone call. Answer briefly, in plain spoken sentences.';

/** The one tool offered: hanging up is the only telephony action this agent takes today. */
export const END_CALL_TOOL: ToolDefinition = {
  name: 'end_call',
  description: 'Ends the phone call. Say goodbye in the same answer before calling it.',
  parameters: { type: 'object', properties: {}, additionalProperties: false },
};

export interface LlmAgentOptions {
  /** Builds the call's model from the number's `llm` config; throws `VB_CONFIG_INVALID` when it cannot (e.g. the key's variable is unset). */
  models: LanguageModelFactory;
  /** Model turns that may follow tool results within one caller turn. Default 3. */
  maxToolRounds?: number;
  /** For the `RetryingModel` around each call's model (attempts, backoff). */
  retry?: Omit<RetryOptions, 'sleep' | 'log'>;
}

/**
 * Answers with a language model (any OpenAI-compatible endpoint, ADR 0007). Greets, then for each
 * final transcript asks the model with the whole conversation (system prompt = the number's
 * `prompt`) and speaks its answer clause by clause as it streams, so the first clause is queued
 * for the caller while later tokens are still arriving.
 *
 * Turn-taking is the simplest honest kind: a turn is a final transcript; what the caller says while
 * the agent answers is kept and answered next, all of it as one message. No barge-in yet.
 *
 * Failures never end the call: a retryable one is retried once (`RetryingModel`) after "sorry, one
 * moment"; when the model still fails, the caller hears an apology and the agent keeps listening.
 * Tools: `end_call` says goodbye and hangs up; any other tool the model invents is answered "not
 * available" and the model asked again, at most `maxToolRounds` times.
 */
export class LlmAgent implements Agent {
  readonly #models: LanguageModelFactory;
  readonly #maxToolRounds: number;
  readonly #retry: Omit<RetryOptions, 'sleep' | 'log'>;
  /** Calls (by their signal) whose model refusal was already logged at `error`. */
  readonly #refusalsLogged = new WeakSet<AbortSignal>();

  constructor(options: LlmAgentOptions) {
    this.#models = options.models;
    this.#maxToolRounds = options.maxToolRounds ?? 3;
    this.#retry = options.retry ?? {};
  }

  async run(context: AgentContext): Promise<void> {
    const { connection, job, signal, log } = context;
    const model = this.#modelFor(context);
    await delay(context.greetingDelayMs, signal);
    if (model === undefined) {
      await speak(context, LLM_AGENT_PHRASES.unavailable);
      connection.hangup('error');
      return;
    }
    const greeting = job.config.greeting ?? LLM_AGENT_PHRASES.greeting;
    await speak(context, greeting);
    const history: ChatMessage[] = [
      { role: 'system', content: job.config.prompt ?? DEFAULT_SYSTEM_PROMPT },
      { role: 'assistant', content: greeting },
    ];
    const state: CallState = { tools: [END_CALL_TOOL] };
    const inbox = new TurnInbox();
    const listening = this.#listen(context, inbox);
    try {
      for (;;) {
        const heard = await inbox.next(signal);
        if (heard === undefined) break;
        history.push({ role: 'user', content: heard });
        if ((await this.#answer(context, model, history, state)) === 'ended') return;
      }
    } finally {
      log.debug({ messages: history.length }, 'conversation over');
    }
    await listening;
  }

  /** The call's model, or undefined (logged) when the number's config cannot give one. */
  #modelFor(context: AgentContext): LanguageModel | undefined {
    const { job, log } = context;
    const engineLog: EngineLog = (level, msg, fields) => log[level](fields ?? {}, msg);
    try {
      const config = job.config.llm;
      if (config === undefined) throw new VoicebridgeError('VB_CONFIG_INVALID', `number ${job.number} has agent llm but no llm config`);
      const sayOneMoment = (signal: AbortSignal): Promise<void> => this.#say(context, LLM_AGENT_PHRASES.oneMoment, signal);
      return new RetryingModel(this.#models(config), {
        attempts: 2,
        ...this.#retry,
        log: engineLog,
        // The pause before the second attempt is when the caller needs to hear that we are on it.
        sleep: async (ms, signal) => {
          await sayOneMoment(signal);
          await delay(ms, signal);
        },
      });
    } catch (error) {
      log.error({ err: error }, 'language model not usable for this number: ending the call');
      return undefined;
    }
  }

  /** Feeds final transcripts into `inbox` (and the record) until the caller's audio ends. */
  async #listen(context: AgentContext, inbox: TurnInbox): Promise<void> {
    const { connection, signal } = context;
    try {
      for await (const transcript of context.stt.transcribe(connection.callerAudio, { sampleRateHz: 8000, signal })) {
        const text = transcript.text.trim();
        if (!transcript.final || text === '') continue;
        context.transcript('caller', text);
        inbox.push(text);
      }
      inbox.end();
    } catch (error) {
      inbox.end(error);
    }
  }

  /** One caller turn: model rounds until an answer without tool calls, a hangup, or a failure. */
  async #answer(context: AgentContext, model: LanguageModel, history: ChatMessage[], state: CallState): Promise<'listening' | 'ended'> {
    const { connection, job, signal, log } = context;
    for (let round = 0; round <= this.#maxToolRounds; round++) {
      const answer = new ModelAnswer();
      const { temperature, maxTokens } = job.config.llm ?? {};
      const startedMs = performance.now();
      let firstTokenMs: number | undefined;
      const events = firstEvent(model.stream({ messages: history, tools: state.tools, temperature, maxTokens, signal }), () => {
        firstTokenMs = Math.round(performance.now() - startedMs);
      });
      let failure: unknown;
      try {
        for await (const clause of speakableClauses(answer.textDeltas(events))) await this.#synthesize(context, clause, signal);
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        failure = error;
      }
      log.debug({ round, firstTokenMs, totalMs: Math.round(performance.now() - startedMs), finishReason: answer.finishReason, toolCalls: answer.toolCalls.length }, 'model answer');
      if (failure !== undefined && firstTokenMs === undefined && state.tools.length > 0 && refusedTools(failure)) {
        // Ollama with a model without tool support, vLLM without its tool-call parser: a 400 for
        // the tools alone. The call goes on without them (the caller hangs up instead of the agent).
        log.warn({ status: 400 }, 'the model server refused the tools: going on without end_call');
        state.tools = [];
        round--;
        continue;
      }
      if (answer.text.trim() !== '') context.transcript('agent', answer.text.trim());
      if (failure !== undefined) {
        // What was already said stays said; the unfinished tool calls are dropped with the answer.
        if (answer.text !== '') history.push({ role: 'assistant', content: answer.text });
        this.#report(context, failure);
        await speak(context, LLM_AGENT_PHRASES.apology);
        return 'listening';
      }
      history.push(answer.toMessage());
      if (answer.toolCalls.length === 0) {
        await connection.mark(signal);
        return 'listening';
      }
      for (const call of answer.toolCalls) history.push({ role: 'tool', toolCallId: call.id, content: toolResult(call) });
      if (answer.toolCalls.some((call) => call.name === END_CALL_TOOL.name)) {
        if (answer.text.trim() === '') await speak(context, LLM_AGENT_PHRASES.goodbye);
        else await connection.mark(signal);
        connection.hangup('agent-hangup');
        return 'ended';
      }
    }
    context.log.warn({ rounds: this.#maxToolRounds }, 'model kept calling unavailable tools');
    await speak(context, LLM_AGENT_PHRASES.cannotDo);
    return 'listening';
  }

  /** Says `text` without waiting for it to be played (the next thing queues behind it). */
  async #say(context: AgentContext, text: string, signal: AbortSignal): Promise<void> {
    context.transcript('agent', text);
    await this.#synthesize(context, text, signal);
  }

  async #synthesize(context: AgentContext, text: string, signal: AbortSignal): Promise<void> {
    for await (const chunk of context.tts.synthesize(text, { sampleRateHz: 8000, voice: context.job.config.voice, signal })) {
      context.connection.sendAudio(chunk);
    }
  }

  #report(context: AgentContext, error: unknown): void {
    const fields = error instanceof VoicebridgeError ? { code: error.code, retryable: error.retryable, err: error } : { err: error };
    // A rejected key or an unknown model fails every turn alike: an operator must act, once told.
    if (error instanceof VoicebridgeError && !error.retryable && !this.#refusalsLogged.has(context.signal)) {
      this.#refusalsLogged.add(context.signal);
      context.log.error(fields, 'language model refused the request');
    } else {
      context.log.warn(fields, 'language model failed');
    }
  }
}

/** What one call's conversation learnt about its model server. */
interface CallState {
  /** The tools offered; emptied when the server refuses requests with tools. */
  tools: ToolDefinition[];
}

/** A 400 to a request with tools: what servers without tool support answer. */
function refusedTools(error: unknown): boolean {
  return error instanceof LlmError && error.status === 400;
}

/** Passes `events` on, calling `onFirst` at the first text or tool call (the "first token"). */
async function* firstEvent(events: AsyncIterable<LlmEvent>, onFirst: () => void): AsyncGenerator<LlmEvent> {
  let first = true;
  for await (const event of events) {
    if (first && event.type !== 'done') {
      first = false;
      onFirst();
    }
    yield event;
  }
}

function toolResult(call: ToolCall): string {
  if (call.name === END_CALL_TOOL.name) return JSON.stringify({ ok: true });
  return JSON.stringify({ error: `tool ${call.name} is not available on this call` });
}
