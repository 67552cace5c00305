import { setMaxListeners } from 'node:events';
import type { OutboundHttp } from '@voicebridge/outbound';
import { agentConfigOf, VoicebridgeError, type WebhookTool } from '@voicebridge/protocol';
import type { ChatMessage, LanguageModel, LlmEvent, ToolDefinition } from '../llm/language-model.ts';
import { LlmError } from '../llm/llm-error.ts';
import { ModelAnswer } from '../llm/model-answer.ts';
import { RetryingModel, type RetryOptions } from '../llm/retrying-model.ts';
import { speakableClauses } from '../llm/sentence-chunker.ts';
import { BargeInDetector, type BargeInOptions } from '../turns/barge-in-detector.ts';
import { DEFAULT_PLAYOUT_ALLOWANCE_MS, ESTIMATED_HEARD_LABEL, SpokenReply } from '../turns/spoken-reply.ts';
import { speak, type Agent, type AgentContext } from './agent-context.ts';
import { delay } from '../stt/abortable.ts';
import { CallTools, END_CALL_TOOL } from './call-tools.ts';
import type { LanguageModelFactory } from './language-model-factory.ts';
import { LLM_RESUME_LINE, resumedHistory } from './llm-resume.ts';
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
export const DEFAULT_SYSTEM_PROMPT =
  'You are a helpful assistant on a phone call. Answer briefly, in plain spoken sentences.';

export { END_CALL_TOOL } from './call-tools.ts';

export interface LlmAgentOptions {
  /** Builds the call's model from the number's `llm` config; throws `VB_CONFIG_INVALID` when it cannot (e.g. the key's variable is unset). */
  models: LanguageModelFactory;
  /** Webhook tools are called through it; a number with tools is refused by a worker without one. */
  outbound?: OutboundHttp;
  /** Model turns that may follow tool results within one caller turn. Default 3. */
  maxToolRounds?: number;
  /** For the `RetryingModel` around each call's model (attempts, backoff). */
  retry?: Omit<RetryOptions, 'sleep' | 'log'>;
  /** When the caller's voice stops the agent (see `BargeInDetector`). */
  bargeIn?: BargeInOptions;
  /** Audio reported played this recently before a barge-in counts as not heard. Default 120 ms. */
  playoutAllowanceMs?: number;
}

/**
 * Answers with a language model (any OpenAI-compatible endpoint, ADR 0007). Greets, then for each
 * final transcript asks the model with the whole conversation (system prompt = the number's
 * `prompt`) and speaks its answer clause by clause as it streams, so the first clause is queued
 * for the caller while later tokens are still arriving.
 *
 * Turn-taking: a turn is a final transcript; what the caller says while the agent answers is kept
 * and answered next, all of it as one message. Barge-in (`BargeInDetector`): caller voice over the
 * raised threshold stops the reply (`clear`, model and synthesis aborted) and the history keeps
 * only the estimated heard part (`SpokenReply`), labelled so.
 *
 * Failures never end the call: a retryable one is retried once (`RetryingModel`) after "sorry, one
 * moment"; when the model still fails, the caller hears an apology and the agent keeps listening.
 * Tools (`CallTools`): `end_call` says goodbye and hangs up; `send_dtmf` and the number's webhooks
 * are run and their results given back; any other tool the model invents is answered "not
 * available". The model is asked again after tool results at most `maxToolRounds` times.
 *
 * Takeover (ADR 0010): with `context.resume` it does not greet; its history is rebuilt from the
 * saved conversation (`resumedHistory`), and when the caller's last words were left unanswered it
 * says "Sorry about that pause." and answers them.
 */
export class LlmAgent implements Agent {
  readonly #models: LanguageModelFactory;
  readonly #outbound: OutboundHttp | undefined;
  readonly #maxToolRounds: number;
  readonly #retry: Omit<RetryOptions, 'sleep' | 'log'>;
  readonly #bargeIn: BargeInOptions;
  readonly #playoutAllowanceMs: number;
  /** Calls (by their signal) whose model refusal was already logged at `error`. */
  readonly #refusalsLogged = new WeakSet<AbortSignal>();

  constructor(options: LlmAgentOptions) {
    this.#models = options.models;
    this.#outbound = options.outbound;
    this.#maxToolRounds = options.maxToolRounds ?? 3;
    this.#retry = options.retry ?? {};
    this.#bargeIn = options.bargeIn ?? {};
    this.#playoutAllowanceMs = options.playoutAllowanceMs ?? DEFAULT_PLAYOUT_ALLOWANCE_MS;
  }

  async run(context: AgentContext): Promise<void> {
    const { connection, job, signal, log } = context;
    // A takeover (ADR 0010): the caller was greeted by the previous owner and is mid-conversation.
    const resume = context.resume?.greeted ? context.resume : undefined;
    const model = this.#modelFor(context);
    if (!resume) await delay(context.greetingDelayMs, signal);
    if (model === undefined) {
      await speak(context, LLM_AGENT_PHRASES.unavailable);
      connection.hangup('error');
      return;
    }
    const agent = agentConfigOf(job.config.agent, 'llm');
    const systemPrompt = agent.prompt ?? DEFAULT_SYSTEM_PROMPT;
    let history: ChatMessage[];
    let pending = false;
    if (resume) {
      ({ messages: history, pending } = resumedHistory(systemPrompt, resume));
      log.info(
        { turns: resume.turns, messages: history.length, pending },
        'resuming the conversation of a previous owner',
      );
    } else {
      const greeting = agent.greeting ?? LLM_AGENT_PHRASES.greeting;
      await speak(context, greeting);
      history = [
        { role: 'system', content: systemPrompt },
        { role: 'assistant', content: greeting },
      ];
    }
    const callTools = new CallTools({
      callId: job.callId,
      number: job.number,
      webhooks: agent.tools ?? [],
      http: this.#outbound,
      insecure: job.config.insecure === true,
      dtmf: { telephoneEvent: () => connection.telephoneEvent, send: (digits) => connection.sendDtmf(digits) },
      // What the model said before asking plays out first: then REFER.
      transfer: {
        targets: job.config.transferTargets ?? [],
        run: async (target, s) => (await connection.mark(s), connection.transfer(target, s)),
      },
      log,
    });
    const state: CallState = { tools: callTools.definitions, callTools, bargeIn: new BargeInDetector(this.#bargeIn) };
    const unobserve = connection.observeCallerFrames((frame) => state.bargeIn.onCallerFrame(frame.samples));
    const inbox = new TurnInbox();
    const listening = this.#listen(context, inbox, state.bargeIn);
    try {
      // The previous owner died before answering the caller's last words: answer them now.
      if (pending) {
        // A killed owner never wrote its open turn: the turn table gets it now, timed from here.
        if (resume && context.turns.turns.length < resume.turns) context.turns.heard();
        await this.#say(context, LLM_RESUME_LINE, signal);
        if ((await this.#answer(context, model, history, state)) === 'ended') return;
      }
      for (;;) {
        const heard = await inbox.next(signal);
        if (heard === undefined) break;
        context.turns.heard();
        history.push({ role: 'user', content: heard });
        if ((await this.#answer(context, model, history, state)) === 'ended') return;
      }
    } finally {
      unobserve();
      log.debug({ messages: history.length }, 'conversation over');
    }
    await listening;
  }

  /** The call's model, or undefined (logged) when the number's config cannot give one. */
  #modelFor(context: AgentContext): LanguageModel | undefined {
    const { job, log } = context;
    try {
      const { llm: config, tools } = agentConfigOf(job.config.agent, 'llm');
      const sayOneMoment = (signal: AbortSignal): Promise<void> =>
        this.#say(context, LLM_AGENT_PHRASES.oneMoment, signal);
      const insecure = job.config.insecure === true;
      checkWebhookUrls(tools ?? [], this.#outbound, insecure);
      return new RetryingModel(this.#models(config, log, { insecure }), {
        attempts: 2,
        ...this.#retry,
        log,
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
  async #listen(context: AgentContext, inbox: TurnInbox, bargeIn: BargeInDetector): Promise<void> {
    const { connection, signal } = context;
    try {
      for await (const transcript of context.stt.transcribe(connection.callerAudio, { sampleRateHz: 8000, signal })) {
        const text = transcript.text.trim();
        bargeIn.onTranscript(text);
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
  async #answer(
    context: AgentContext,
    model: LanguageModel,
    history: ChatMessage[],
    state: CallState,
  ): Promise<'listening' | 'ended'> {
    const { connection, job, signal, log } = context;
    for (let round = 0; round <= this.#maxToolRounds; round++) {
      const answer = new ModelAnswer();
      const { temperature, maxTokens } = agentConfigOf(job.config.agent, 'llm').llm;
      const startedMs = performance.now();
      let firstTokenMs: number | undefined;
      // Barge-in aborts this reply's model stream and synthesis, not the call.
      const speaking = new AbortController();
      // One listener per pending playout mark: a long answer has dozens queued at once.
      setMaxListeners(1000, speaking.signal);
      const stopSpeaking = (): void => speaking.abort(signal.reason);
      signal.addEventListener('abort', stopSpeaking, { once: true });
      const reply = new SpokenReply();
      let bargedInAtMs: number | undefined;
      state.bargeIn.speaking(() => {
        bargedInAtMs = Date.now();
        connection.clear();
        context.turns.interrupted();
        speaking.abort(new VoicebridgeError('VB_CLOSED', 'the caller barged in'));
      });
      const events = firstEvent(
        model.stream({ messages: history, tools: state.tools, temperature, maxTokens, signal: speaking.signal }),
        () => {
          firstTokenMs = Math.round(performance.now() - startedMs);
          context.turns.answering();
        },
      );
      let failure: unknown;
      let played = false;
      try {
        for await (const clause of speakableClauses(answer.textDeltas(events)))
          await this.#synthesize(context, clause, speaking.signal, reply);
        // A plain answer can be interrupted until it has been played out.
        if (answer.toolCalls.length === 0) played = await connection.mark(speaking.signal);
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        if (bargedInAtMs === undefined) failure = error;
      } finally {
        state.bargeIn.silent();
        signal.removeEventListener('abort', stopSpeaking);
      }
      log.debug(
        {
          round,
          firstTokenMs,
          totalMs: Math.round(performance.now() - startedMs),
          finishReason: answer.finishReason,
          toolCalls: answer.toolCalls.length,
        },
        'model answer',
      );
      if (bargedInAtMs !== undefined) {
        this.#interrupted(context, history, reply.heardText(bargedInAtMs, this.#playoutAllowanceMs));
        return 'listening';
      }
      if (failure !== undefined && firstTokenMs === undefined && state.tools.length > 0 && refusedTools(failure)) {
        // Ollama with a model without tool support, vLLM without its tool-call parser: a 400 for
        // the tools alone. The call goes on without them (the caller hangs up instead of the agent).
        log.warn({ status: 400 }, 'the model server refused the tools: going on without end_call');
        state.tools = [];
        round--;
        continue;
      }
      if (answer.text.trim() !== '') context.transcript('agent', answer.text.trim(), played && failure === undefined);
      if (failure !== undefined) {
        // What was already said stays said; the unfinished tool calls are dropped with the answer.
        if (answer.text !== '') history.push({ role: 'assistant', content: answer.text });
        this.#report(context, failure);
        await speak(context, LLM_AGENT_PHRASES.apology);
        return 'listening';
      }
      history.push(answer.toMessage());
      if (answer.toolCalls.length === 0) return 'listening';
      const results = await state.callTools.runAll(answer.toolCalls, signal);
      answer.toolCalls.forEach((call, i) =>
        history.push({ role: 'tool', toolCallId: call.id, content: results[i] ?? '{}' }),
      );
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

  /**
   * The caller talked over the reply: media already dropped the rest. The history keeps only the
   * estimated heard part, labelled; nothing when nothing was heard (the caller's words that follow
   * are then the same turn, continued).
   */
  #interrupted(context: AgentContext, history: ChatMessage[], heard: string): void {
    context.log.info({ heardWords: heard === '' ? 0 : heard.split(' ').length }, 'caller barged in: reply cleared');
    if (heard === '') return;
    const content = `${heard} ${ESTIMATED_HEARD_LABEL}`;
    context.transcript('agent', content, true);
    history.push({ role: 'assistant', content });
  }

  /** Synthesises `text` into the caller's queue; with `reply`, marks behind each chunk track its playout. */
  async #synthesize(context: AgentContext, text: string, signal: AbortSignal, reply?: SpokenReply): Promise<void> {
    reply?.clause(text);
    for await (const chunk of context.tts.synthesize(text, {
      sampleRateHz: 8000,
      voice: context.job.config.engines?.tts?.voice,
      signal,
    })) {
      context.turns.sendAudio(chunk);
      if (!reply) continue;
      const position = reply.sent(chunk.length);
      context.connection.mark(signal, 'p').then(
        (played) => played && reply.played(position, Date.now()),
        () => undefined,
      );
    }
  }

  #report(context: AgentContext, error: unknown): void {
    const fields =
      error instanceof VoicebridgeError ? { code: error.code, retryable: error.retryable, err: error } : { err: error };
    // A rejected key or an unknown model fails every turn alike: an operator must act, once told.
    if (error instanceof VoicebridgeError && !error.retryable && !this.#refusalsLogged.has(context.signal)) {
      this.#refusalsLogged.add(context.signal);
      context.log.error(fields, 'language model refused the request');
    } else {
      context.log.warn(fields, 'language model failed');
    }
  }
}

/** What one call's conversation learnt about its model server, and its barge-in detector. */
interface CallState {
  /** The tools offered; emptied when the server refuses requests with tools. */
  tools: ToolDefinition[];
  callTools: CallTools;
  bargeIn: BargeInDetector;
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

/** Before the call is taken: every webhook tool's URL passes the outbound URL policy's static check. */
function checkWebhookUrls(tools: readonly WebhookTool[], outbound: OutboundHttp | undefined, insecure: boolean): void {
  if (tools.length === 0) return;
  if (outbound === undefined)
    throw new VoicebridgeError('VB_CONFIG_INVALID', 'this agent worker makes no outbound requests: webhook tools');
  for (const tool of tools) outbound.policy.check(tool.url, 'http', insecure, `webhook tool ${tool.name}`);
}
