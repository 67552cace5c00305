import type { OutboundHttp } from '@voicebridge/outbound';
import {
  agentConfigOf,
  VoicebridgeError,
  type CallJob,
  type ConversationState,
  type LlmAgentConfig,
} from '@voicebridge/protocol';
import type { Logger } from 'pino';
import type { ChatMessage, LanguageModel, ToolDefinition } from '../llm/language-model.ts';
import { firstEvent } from '../llm/first-event.ts';
import type { HeldAnswer } from '../llm/held-answer.ts';
import { ModelAnswer } from '../llm/model-answer.ts';
import { RetryingModel, type RetryOptions } from '../llm/retrying-model.ts';
import { speakableClauses } from '../llm/sentence-chunker.ts';
import type { SpeechToText } from '../stt/speech-to-text.ts';
import type { TextToSpeech } from '../tts/text-to-speech.ts';
import { BargeInDetector, type BargeInOptions } from '../turns/barge-in-detector.ts';
import { DEFAULT_PLAYOUT_ALLOWANCE_MS, ESTIMATED_HEARD_LABEL } from '../turns/spoken-reply.ts';
import { InterruptibleReply } from '../turns/interruptible-reply.ts';
import { speakGreeting } from '../turns/interruptible-greeting.ts';
import { speakInterruptibly } from '../turns/interruptible-speech.ts';
import { delay } from '../stt/abortable.ts';
import { greetingPause } from './greeting-pause.ts';
import { speak } from './agent-context.ts';
import { keepHeardPart } from './heard-part.ts';
import { AgentRefusal, type AgentKind, type AgentUsage, type CallContext } from './agent-kind.ts';
import { CallTools, END_CALL_TOOL } from './call-tools.ts';
import { checkEngines } from './engine-check.ts';
import type { LanguageModelFactory } from './language-model-factory.ts';
import { llmResumeLine, resumedHistory } from './llm-resume.ts';
import { TurnInbox } from './turn-inbox.ts';
import { feedTurns } from './caller-turns.ts';
import { reportModelFailure } from './model-failure-report.ts';
import { checkWebhookUrls, refusedTools } from './llm-agent-checks.ts';
import { earlyStartFor } from './llm-early-start.ts';
import { DEFAULT_SYSTEM_PROMPT, LLM_AGENT_PHRASES, type LlmAgentOptions } from './llm-agent-options.ts';

export { DEFAULT_SYSTEM_PROMPT, LLM_AGENT_PHRASES, type LlmAgentOptions } from './llm-agent-options.ts';
export { END_CALL_TOOL } from './call-tools.ts';

/**
 * Answers with a language model (any OpenAI-compatible endpoint, ADR 0007). Greets, then for each
 * final transcript asks the model with the whole conversation (system prompt = the number's
 * `prompt`) and speaks its answer clause by clause as it streams, so the first clause is queued
 * for the caller while later tokens are still arriving.
 *
 * Turn-taking: a turn is a final transcript; what the caller says while the agent answers is kept
 * and answered next, all of it as one message. With a streaming recogniser the model request may
 * start on a stable interim (`SpeculativeStart`, the number's `answerStart`): that answer is held,
 * not spoken and its tools not run, until the final confirms the words; else it is discarded.
 * Barge-in (`BargeInDetector`): caller voice over the raised threshold stops the reply (`clear`,
 * model and synthesis aborted) and the history keeps only the estimated heard part
 * (`SpokenReply`), labelled so.
 *
 * Failures never end the call: a retryable one is retried once (`RetryingModel`) after "sorry, one
 * moment"; when the model still fails, the caller hears an apology and the agent keeps listening.
 * Tools (`CallTools`): `end_call` says goodbye and hangs up; `send_dtmf` and the number's webhooks
 * are run and their results given back; any other tool the model invents is answered "not
 * available". The model is asked again after tool results at most `maxToolRounds` times.
 *
 * Takeover (ADR 0010): `resume` does not greet; its history is rebuilt from the saved
 * conversation (`resumedHistory`) and it says one short line (`llmResumeLine`) the caller may talk
 * over, already listening: before the answer to the caller's last words when they were left
 * unanswered (the line is then the answer's first clause), else alone.
 *
 * `prepare` builds the call's model from the number's config: a number whose model cannot be
 * built (no `llm` block, the key's variable unset) is refused before the answer.
 */
export class LlmAgent implements AgentKind {
  readonly #config: LlmAgentConfig;
  readonly #job: CallJob;
  /** The number allows plain http to hosts other than localhost. */
  readonly #insecure: boolean;
  readonly #log: Logger;
  readonly #models: LanguageModelFactory;
  readonly #outbound: OutboundHttp | undefined;
  readonly #stt: SpeechToText;
  readonly #tts: TextToSpeech;
  #model: LanguageModel | undefined;
  /** The same model without the retry: an early request that fails is dropped, never apologised for. */
  #earlyModel: LanguageModel | undefined;
  /** The call, once answered: the retry's "one moment" is said on it. */
  #call: CallContext | undefined;
  /** Tokens as the server reported them, discarded early requests included; requests of every kind. */
  readonly #usage = { promptTokens: 0, completionTokens: 0, modelRequests: 0, earlyAnswers: 0, earlyDiscarded: 0 };
  readonly #maxToolRounds: number;
  readonly #retry: Omit<RetryOptions, 'sleep' | 'log'>;
  readonly #bargeIn: BargeInOptions;
  readonly #playoutAllowanceMs: number;
  /** Whether a model refusal was already logged at `error` on this call. */
  #refusalLogged = false;

  constructor(job: CallJob, log: Logger, options: LlmAgentOptions) {
    this.#job = job;
    this.#config = agentConfigOf(job.config.agent, 'llm');
    this.#insecure = job.config.insecure === true;
    this.#log = log;
    this.#models = options.models;
    this.#outbound = options.outbound;
    this.#stt = options.stt;
    this.#tts = options.tts;
    this.#maxToolRounds = options.maxToolRounds ?? 3;
    this.#retry = options.retry ?? {};
    this.#bargeIn = options.bargeIn ?? {};
    this.#playoutAllowanceMs = options.playoutAllowanceMs ?? DEFAULT_PLAYOUT_ALLOWANCE_MS;
  }

  /** Builds the call's model; refuses the call when the number's config cannot give one. */
  prepare(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    try {
      this.#model = this.#modelFor();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return Promise.reject(new AgentRefusal('VB_CONFIG_INVALID', `language model not usable: ${reason}`));
    }
    return checkEngines(this.#job, this.#tts);
  }

  async run(call: CallContext): Promise<void> {
    await greetingPause(call);
    const greeting = await speakGreeting(
      call,
      this.#tts,
      this.#config.greeting ?? LLM_AGENT_PHRASES.greeting,
      this.#bargeIn,
    );
    const history: ChatMessage[] = [{ role: 'system', content: this.#systemPrompt() }];
    // A greeting cut before its first word was heard is not in the history at all.
    if (greeting !== ESTIMATED_HEARD_LABEL) history.push({ role: 'assistant', content: greeting });
    await this.#converse(call, history, false);
  }

  /** A takeover (ADR 0010): the caller was greeted by the previous owner and is mid-conversation. */
  async resume(call: CallContext, state: ConversationState): Promise<void> {
    const { messages: history, pending } = resumedHistory(this.#systemPrompt(), state);
    call.log.info(
      { turns: state.turns, messages: history.length, pending },
      'resuming the conversation of a previous owner',
    );
    // A killed owner never wrote its open turn: the turn table gets it now, timed from here.
    if (pending && call.turns.turns.length < state.turns) call.turns.heard();
    await this.#converse(call, history, pending, llmResumeLine(state, pending));
  }

  say(call: CallContext, text: string): Promise<boolean> {
    return speak(call, this.#tts, text);
  }

  usage(): AgentUsage {
    return { ...this.#usage };
  }

  close(): void {
    this.#model = undefined;
    this.#earlyModel = undefined;
  }

  #systemPrompt(): string {
    return this.#config.prompt ?? DEFAULT_SYSTEM_PROMPT;
  }

  async #converse(call: CallContext, history: ChatMessage[], pending: boolean, opening?: string): Promise<void> {
    const { job, signal, log } = call;
    this.#call = call;
    const model = this.#model;
    if (model === undefined) throw new VoicebridgeError('VB_CLOSED', 'the llm agent was not prepared');
    const callTools = new CallTools({
      callId: job.callId,
      number: job.number,
      webhooks: this.#config.tools ?? [],
      http: this.#outbound,
      insecure: job.config.insecure === true,
      dtmf: { telephoneEvent: () => call.telephoneEvent, send: (digits) => call.sendDtmf(digits) },
      // What the model said before asking plays out first: then REFER.
      transfer: {
        targets: job.config.transferTargets ?? [],
        run: async (target, s) => (await call.audio.mark(s), call.transfer(target, s)),
      },
      log,
    });
    const state: CallState = { tools: callTools.definitions, callTools, bargeIn: new BargeInDetector(this.#bargeIn) };
    const early = earlyStartFor({
      config: this.#config,
      model: this.#earlyModel,
      call,
      history,
      state,
      usage: this.#usage,
    });
    const unobserve = call.observeCallerFrames((frame) => {
      state.bargeIn.onCallerFrame(frame.samples);
      early?.onCallerFrame(frame.samples);
    });
    const inbox = new TurnInbox();
    const listening = feedTurns(this.#stt, call, inbox, state.bargeIn, early);
    try {
      // The previous owner died before answering the caller's last words: answer them now.
      if (pending) {
        if ((await this.#answer(call, model, history, state, undefined, opening)) === 'ended') return;
      } else if (opening !== undefined) await speakInterruptibly(call, this.#tts, opening, state.bargeIn);
      for (;;) {
        early?.listening();
        const heard = await inbox.next(signal);
        if (heard === undefined) break;
        const start = early?.confirm(heard);
        call.turns.heard();
        if (start && (start.held || start.restarts > 0))
          call.turns.early({ requestAtEpochMs: start.held?.startedAtEpochMs, restarts: start.restarts });
        history.push({ role: 'user', content: heard });
        if ((await this.#answer(call, model, history, state, start?.held)) === 'ended') return;
      }
    } finally {
      unobserve();
      early?.close();
      log.debug({ messages: history.length }, 'conversation over');
    }
    await listening;
  }

  /** The call's model; throws `VB_CONFIG_INVALID` when the number's config cannot give one. */
  #modelFor(): LanguageModel {
    const log = this.#log;
    const insecure = this.#insecure;
    checkWebhookUrls(this.#config.tools ?? [], this.#outbound, insecure);
    const inner = this.#models(this.#config.llm, log, { insecure });
    this.#earlyModel = inner;
    return new RetryingModel(inner, {
      attempts: 2,
      ...this.#retry,
      log,
      // The pause before the second attempt is when the caller needs to hear that we are on it.
      sleep: async (ms, signal) => {
        const call = this.#call;
        // Not waiting for it to be played: the retry's answer queues behind it.
        if (call) call.transcript('agent', LLM_AGENT_PHRASES.oneMoment);
        if (call) await this.#synthesize(call, LLM_AGENT_PHRASES.oneMoment, signal);
        await delay(ms, signal);
      },
    });
  }

  /**
   * One caller turn: model rounds until an answer without tool calls, a hangup, or a failure. The
   * first round's answer is `held` when it was requested early and the final confirmed it. A
   * `preface` (a takeover's line) is said first, interruptible with the answer, outside the history.
   */
  async #answer(
    call: CallContext,
    model: LanguageModel,
    history: ChatMessage[],
    state: CallState,
    held?: HeldAnswer,
    preface?: string,
  ): Promise<'listening' | 'ended'> {
    const { signal, log } = call;
    for (let round = 0; round <= this.#maxToolRounds; round++) {
      const answer = new ModelAnswer();
      const { temperature, maxTokens } = this.#config.llm;
      const startedMs = performance.now();
      let firstTokenMs: number | undefined;
      // A barge-in pauses this reply; an interruption aborts its model stream and synthesis, not the call.
      const reply = new InterruptibleReply(call, this.#tts, state.bargeIn, this.#playoutAllowanceMs);
      const early = round === 0 ? held : undefined;
      if (early) this.#usage.earlyAnswers++;
      const events = firstEvent(
        early?.release(reply.signal) ??
          model.stream({ messages: history, tools: state.tools, temperature, maxTokens, signal: reply.signal }),
        () => {
          firstTokenMs = Math.round(performance.now() - startedMs);
          call.turns.answering();
          if (early) call.turns.early({ firstTokenEarlierMs: early.firstTokenEarlierMs(startedMs) });
        },
      );
      let failure: unknown;
      let played = false;
      // Said once (not again when a refused request is retried), while the model is asked.
      const said = preface;
      preface = undefined;
      const prefaced = said === undefined ? undefined : reply.say(said);
      prefaced?.catch(() => undefined); // awaited below; a rejection is the barge-in's or the call's
      try {
        for await (const clause of speakableClauses(answer.textDeltas(events))) {
          await prefaced;
          if (!(await reply.say(clause))) break;
        }
        await prefaced;
        // A plain answer can be interrupted until it has been played out.
        if (answer.toolCalls.length === 0) played = await reply.finish();
        else await reply.settle();
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        if (!reply.interrupted) failure = error;
      } finally {
        await prefaced?.catch(() => undefined);
        reply.close();
      }
      this.#usage.modelRequests++;
      this.#usage.promptTokens += answer.usage?.promptTokens ?? 0;
      this.#usage.completionTokens += answer.usage?.completionTokens ?? 0;
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
      if (reply.interrupted) {
        keepHeardPart(call, history, reply.heard, reply.cut);
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
      if (early && failure !== undefined && firstTokenMs === undefined) {
        // The early request failed after the final confirmed it, before a word of it was released:
        // the turn asks again as though it had never started early (never apologised for).
        log.debug('the early answer failed: asking again');
        if (said !== undefined) call.transcript('agent', said);
        this.#usage.earlyAnswers--;
        this.#usage.earlyDiscarded++;
        call.turns.earlyFailed();
        held = undefined;
        round--;
        continue;
      }
      if (said !== undefined) call.transcript('agent', said);
      if (answer.text.trim() !== '') call.transcript('agent', answer.text.trim(), played && failure === undefined);
      if (failure !== undefined) {
        // What was already said stays said; the unfinished tool calls are dropped with the answer.
        if (answer.text !== '') history.push({ role: 'assistant', content: answer.text });
        this.#refusalLogged = reportModelFailure(call, failure, this.#refusalLogged);
        await speak(call, this.#tts, LLM_AGENT_PHRASES.apology);
        return 'listening';
      }
      history.push(answer.toMessage());
      if (answer.toolCalls.length === 0) return 'listening';
      const results = await state.callTools.runAll(answer.toolCalls, signal);
      answer.toolCalls.forEach((call, i) =>
        history.push({ role: 'tool', toolCallId: call.id, content: results[i] ?? '{}' }),
      );
      if (answer.toolCalls.some((call) => call.name === END_CALL_TOOL.name)) {
        if (answer.text.trim() === '') await speak(call, this.#tts, LLM_AGENT_PHRASES.goodbye);
        else await call.audio.mark(signal);
        call.hangup('agent-hangup');
        return 'ended';
      }
    }
    call.log.warn({ rounds: this.#maxToolRounds }, 'model kept calling unavailable tools');
    await speak(call, this.#tts, LLM_AGENT_PHRASES.cannotDo);
    return 'listening';
  }

  /** Synthesises `text` into the caller's queue. */
  async #synthesize(call: CallContext, text: string, signal: AbortSignal): Promise<void> {
    const voice = call.job.config.engines?.tts?.voice;
    for await (const chunk of this.#tts.synthesize(text, { sampleRateHz: 8000, voice, signal }))
      await call.audio.write(chunk);
  }
}

/** What one call's conversation learnt about its model server, and its barge-in detector. */
interface CallState {
  /** The tools offered; emptied when the server refuses requests with tools. */
  tools: ToolDefinition[];
  callTools: CallTools;
  bargeIn: BargeInDetector;
}
