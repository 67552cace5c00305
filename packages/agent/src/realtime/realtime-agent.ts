import {
  agentConfigOf,
  REALTIME_RENEW_AFTER_MS,
  type CallJob,
  type ConversationState,
  type RealtimeAgentConfig,
} from '@voicebridge/protocol';
import { pcmaDecode, pcmuDecode } from '@voicebridge/rtp';
import type { Logger } from 'pino';
import { speak } from '../agents/agent-context.ts';
import type { AgentKind, AgentUsage, CallContext, PrepareOptions } from '../agents/agent-kind.ts';
import { END_CALL_TOOL, type CallTools } from '../agents/call-tools.ts';
import { greetingPause } from '../agents/greeting-pause.ts';
import { delay } from '../stt/abortable.ts';
import { BargeInDetector } from '../turns/barge-in-detector.ts';
import { BridgeTurns } from './bridge-turns.ts';
import { ModelPlayout } from './model-playout.ts';
import { REALTIME_PHRASES, type RealtimeAgentOptions } from './realtime-agent-options.ts';
import { readRealtimeKey, refusalOf } from './realtime-refusals.ts';
import { checkRealtimeUrl, openRealtime } from './realtime-open.ts';
import type { RealtimeSession } from './realtime-session.ts';
import {
  clientEvents,
  realtimeCounters,
  recordOf,
  type FunctionCall,
  type G711Format,
  type RealtimeUsage,
  type ServerEvent,
} from './realtime-wire.ts';
import { seededInstructions } from './realtime-seed.ts';
import { CallerAppend } from './caller-append.ts';
import { cutModel } from './model-cut.ts';
import { ModelActivity } from './model-activity.ts';
import { realtimeTools } from './realtime-tools.ts';
import { SessionRenewal } from './session-renewal.ts';

/**
 * The `realtime` agent kind: a speech-to-speech model hears the caller and speaks back over one
 * socket (docs/agents.md, "Realtime models"). `prepare` opens and configures the session before
 * the answer (a failure refuses the call 503 `model-unreachable`; a refused key
 * `agent-misconfigured` naming the variable). Caller frames are appended as G.711 as they arrive;
 * the model's audio goes through the call's paced, bounded queue (`ModelPlayout`). Barge-in is
 * decided by the bridge (`BargeInDetector`: voice over the echo threshold, with the server's
 * `speech_started` as the transcript cue), then: clear, truncate each cut item to what left the
 * socket, `response.cancel`. Function calls run the call tools (end_call, send_dtmf,
 * transfer_call, webhooks). A dropped socket is reopened once, with the conversation so far in
 * the instructions; a second loss, or a rate limit that persists past one retry, ends the call
 * `model-lost` after an apology in the fallback voice.
 */
export class RealtimeAgent implements AgentKind {
  readonly #job: CallJob;
  readonly #config: RealtimeAgentConfig;
  readonly #log: Logger;
  readonly #options: RealtimeAgentOptions;
  readonly #format: G711Format;
  readonly #playout = new ModelPlayout();
  readonly #bargeIn: BargeInDetector;
  readonly #tools: CallTools;
  readonly #usage = realtimeCounters();
  readonly #appender: CallerAppend;

  /** What was said, for a re-seeded session: caller and agent lines (agent lines trimmed to what was heard). */
  readonly #conversation: { speaker: 'caller' | 'agent'; text: string }[] = [];
  #headers: Record<string, string> = {};
  #session: RealtimeSession | undefined;
  #call: CallContext | undefined;
  #answering = false;
  readonly #activity = new ModelActivity();
  #renewal: SessionRenewal | undefined;
  #rateLimitRetried = false;
  #ending = false;
  #closed = false;

  constructor(job: CallJob, log: Logger, options: RealtimeAgentOptions) {
    this.#job = job;
    this.#config = agentConfigOf(job.config.agent, 'realtime');
    this.#log = log;
    this.#options = options;
    this.#format = job.codec === 'PCMA' ? 'audio/pcma' : 'audio/pcmu';
    this.#appender = new CallerAppend(this.#format, this.#usage);
    this.#bargeIn = new BargeInDetector(options.bargeIn);
    this.#tools = realtimeTools(job, this.#config, options, () => this.#call, log);
  }

  async prepare(signal: AbortSignal, options?: PrepareOptions): Promise<void> {
    const keyEnv = this.#config.realtime.apiKeyEnv;
    if (keyEnv !== undefined) this.#headers = { Authorization: `Bearer ${readRealtimeKey(keyEnv, this.#options)}` };
    if (!options?.deferConnect) return this.connect(signal);
    try {
      checkRealtimeUrl({ job: this.#job, config: this.#config, policy: this.#options.policy });
    } catch (error) {
      throw refusalOf(error);
    }
  }

  /** The model's session (at the answer of a call we placed: a session is not kept open while a phone rings). */
  async connect(signal: AbortSignal): Promise<void> {
    try {
      this.#session = await this.#open(this.#config.prompt ?? '', signal);
    } catch (error) {
      if (signal.aborted) throw error;
      throw refusalOf(error);
    }
  }

  async run(call: CallContext): Promise<void> {
    const greeting = this.#config.greeting;
    // A call we placed: the callee's "Hello?" comes first and the greeting waits for it (greeting-pause.ts);
    // the model is not sent those words, or its own turn detection would answer them besides the greeting.
    if (call.job.direction === 'outbound' && greeting?.trim()) await greetingPause(call);
    return this.#attach(call, greeting);
  }

  /** A new owner: the session `prepare` opened carries nothing; it is re-seeded with the conversation in Redis. */
  async resume(call: CallContext, state: ConversationState): Promise<void> {
    for (const message of state.messages) this.#conversation.push({ speaker: message.role, text: message.text });
    this.#session?.close();
    this.#session = await this.#open(this.#instructions(), call.signal);
    return this.#attach(call, undefined);
  }

  onDtmf(digit: string): void {
    // Given as a user item: assistant text items would turn the model to text answers.
    this.#session?.send(clientEvents.userText(`The caller pressed the telephone key ${digit}.`));
  }

  usage(): AgentUsage {
    return { ...this.#usage, framesWritten: this.#playout.framesWritten };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#call) {
      const realtime = recordOf(this.#config.realtime.model, this.#usage);
      void this.#options.records
        ?.update?.(this.#job.callId, { realtime })
        .catch((error: unknown) => this.#log.warn({ err: error }, 'could not write the realtime usage to the record'));
    }
    this.#renewal?.close();
    this.#session?.close();
    this.#session = undefined;
  }

  async #attach(call: CallContext, greeting: string | undefined): Promise<void> {
    this.#call = call;
    this.#playout.attach(call);
    this.#renewal = new SessionRenewal(
      {
        quiet: () => !this.#answering && !this.#ending && this.#activity.quiet(this.#playout.speaking),
        conversationSize: () => this.#conversation.length,
        open: (signal) => this.#open(this.#instructions(), signal),
        adopt: (session) => {
          const old = this.#session;
          this.#usage.renewals++;
          this.#listen(session);
          old?.close();
        },
        usage: (usage) => this.#addUsage(usage),
        log: this.#log,
      },
      this.#config.realtime.renewAfterMs ?? REALTIME_RENEW_AFTER_MS,
      call.signal,
    );
    if (this.#session) this.#listen(this.#session);
    if (greeting !== undefined && greeting.trim() !== '') {
      this.#session?.send(
        clientEvents.responseCreate(`Say exactly this to the caller, and nothing else: "${greeting}"`),
      );
    }
    const turns =
      this.#config.realtime.turnDetection === 'bridge'
        ? new BridgeTurns(() => {
            call.turns.heard();
            this.#session?.send(clientEvents.commit());
            this.#session?.send(clientEvents.responseCreate());
          })
        : undefined;
    // The frames that came with or before media's `start` too: the caller's first words go to the model.
    const unobserve = call.observeCallerFrames(
      (frame) => {
        this.#bargeIn.onCallerFrame(frame.samples);
        this.#appender.send(this.#session, frame.samples);
        turns?.onCallerFrame(frame.samples);
      },
      { replay: true },
    );
    this.#usage.appendsDropped += call.callerFramesDroppedEarly;
    try {
      // The frames went to the model through the observer: the queue is emptied, never read.
      for await (const frame of call.callerAudio) void frame;
    } finally {
      unobserve();
    }
  }

  #onEvent(event: ServerEvent): void {
    const call = this.#call;
    if (!call || this.#closed) return;
    this.#activity.onEvent(event);
    switch (event.type) {
      case 'audio_delta': {
        this.#usage.deltas++;
        if (!this.#answering) {
          this.#answering = true;
          call.turns.answering();
          this.#bargeIn.speaking(() => this.#bargedIn());
        }
        const pcm = new Int16Array(event.audio.length);
        if (this.#format === 'audio/pcma') pcmaDecode(event.audio, pcm);
        else pcmuDecode(event.audio, pcm);
        this.#playout.write(event.itemId, pcm);
        return;
      }
      case 'audio_done':
        this.#playout.finish(event.itemId);
        return;
      case 'speech_started':
        // The server heard voice: the cue our detector weighs with the voice's level (echo stays below it).
        this.#bargeIn.onTranscript('speech');
        return;
      case 'speech_stopped':
        call.turns.heard();
        return;
      case 'input_transcript':
        if (event.transcript.trim() === '') return;
        call.transcript('caller', event.transcript.trim());
        this.#conversation.push({ speaker: 'caller', text: event.transcript.trim() });
        return;
      case 'output_transcript':
        this.#playout.setTranscript(event.itemId, event.transcript.trim());
        this.#recordWhenPlayed(call, event.itemId, event.transcript.trim());
        return;
      case 'response_done':
        this.#responseDone(call, event);
        return;
      case 'error':
        this.#onProviderError(call, event.errorType, event.code, event.message);
        return;
      case 'ignored':
        this.#usage.ignored++;
        if (this.#usage.ignored === 1) this.#log.warn({ why: event.why }, 'ignored an event from the model');
        return;
      default:
        return;
    }
  }

  /** The agent line goes in the record once its audio was played out; a cut item is recorded by the barge-in. */
  #recordWhenPlayed(call: CallContext, itemId: string, transcript: string): void {
    if (transcript === '') return;
    void this.#playout.played(itemId).then(
      (played) => {
        if (!played) return;
        call.transcript('agent', transcript, true);
        this.#conversation.push({ speaker: 'agent', text: transcript });
      },
      () => undefined,
    );
  }

  #responseDone(call: CallContext, event: Extract<ServerEvent, { type: 'response_done' }>): void {
    this.#usage.responses++;
    this.#answering = false;
    if (event.usage) this.#addUsage(event.usage);
    if (event.status === 'completed') this.#rateLimitRetried = false;
    if (event.functionCalls.length > 0) void this.#runTools(call, event.functionCalls);
    else if (!this.#playout.speaking) this.#bargeIn.silent();
  }

  async #runTools(call: CallContext, calls: readonly FunctionCall[]): Promise<void> {
    this.#usage.functionCalls += calls.length;
    const ending = calls.some((c) => c.name === END_CALL_TOOL.name);
    this.#activity.toolsRunning++;
    const results = await this.#tools
      .runAll(
        calls.map((c) => ({ id: c.callId, name: c.name, arguments: c.arguments })),
        call.signal,
      )
      .catch(() => undefined)
      .finally(() => this.#activity.toolsRunning--);
    if (results === undefined || call.signal.aborted) return;
    if (ending) {
      this.#ending = true;
      // What the model said before hanging up is heard first.
      await call.audio.mark(call.signal).catch(() => false);
      call.hangup('agent-hangup');
      return;
    }
    calls.forEach((c, i) => this.#session?.send(clientEvents.functionOutput(c.callId, results[i] ?? '{}')));
    this.#session?.send(clientEvents.responseCreate());
  }

  /** The bridge decided the caller talks over the model: stop playout, trim the model's memory, cancel. */
  #bargedIn(): void {
    const call = this.#call;
    if (!call) return;
    this.#usage.bargeIns++;
    this.#answering = false;
    const cut = cutModel(this.#playout, call, (event) => this.#session?.send(event));
    this.#usage.truncates += cut.truncates;
    for (const text of cut.heard) this.#conversation.push({ speaker: 'agent', text });
  }

  #onProviderError(call: CallContext, type: string, code: string, message: string): void {
    this.#usage.errors++;
    call.log.warn({ model: { errorType: type, code, message } }, 'realtime model error');
    if (code === 'session_expired') return void this.#expired(call);
    if (code !== 'rate_limit_exceeded') return;
    if (!this.#rateLimitRetried) {
      this.#rateLimitRetried = true;
      this.#session?.send(clientEvents.responseCreate());
      return;
    }
    void this.#giveUp(call, `rate limited: ${message.slice(0, 120)}`);
  }

  /** One reconnect within `reconnectMs`, re-seeded; then the call ends `model-lost`. */
  async #onLost(reason: string): Promise<void> {
    const call = this.#call;
    if (!call || this.#closed || this.#ending || call.signal.aborted) return;
    this.#session = undefined;
    this.#log.warn({ reason }, 'realtime model socket lost: reconnecting once');
    this.#playout.cut();
    this.#bargeIn.silent();
    this.#answering = false;
    this.#activity.reset();
    const budget = AbortSignal.any([call.signal, AbortSignal.timeout(this.#options.reconnectMs ?? 2000)]);
    try {
      await delay(50, budget);
      const session = await this.#open(this.#instructions(), budget);
      if (this.#closed) return session.close();
      this.#usage.reconnects++;
      this.#listen(session);
      // The caller may be waiting for an answer that the lost socket took with it.
      session.send(
        clientEvents.responseCreate('Briefly tell the caller you are back, then continue the conversation.'),
      );
    } catch (error) {
      if (call.signal.aborted) return;
      const why = error instanceof Error ? error.message : String(error);
      await this.#giveUp(call, `${reason}; reconnect failed: ${why}`);
    }
  }

  async #giveUp(call: CallContext, detail: string): Promise<void> {
    if (this.#ending) return;
    this.#ending = true;
    call.log.error({ detail: detail.slice(0, 300) }, 'realtime model lost');
    this.#session?.close();
    const tts = this.#options.tts;
    if (tts) await speak(call, tts, REALTIME_PHRASES.apology).catch(() => false);
    call.hangup('model-lost');
  }

  /**
   * The provider ended the session at its maximum length (`session_expired`): a new one is seeded
   * and checked as a renewal is, with no resume line; it is asked to answer only when the caller
   * was waiting for one. A new session that fails ends the call as a lost model does.
   */
  async #expired(call: CallContext): Promise<void> {
    const old = this.#session;
    if (!old || this.#ending) return;
    const { responding, callerSpeaking } = this.#activity;
    const waiting = responding || callerSpeaking || this.#conversation.at(-1)?.speaker === 'caller';
    this.#session = undefined;
    old.close();
    this.#answering = false;
    this.#activity.reset();
    if (!(await this.#renewal?.now())) return this.#giveUp(call, 'the session expired and a new one failed');
    if (waiting) (this.#session as RealtimeSession | undefined)?.send(clientEvents.responseCreate());
  }

  /** Makes `session` the call's: its events handled here, its renewal armed from when it opened. */
  #listen(session: RealtimeSession): void {
    this.#session = session;
    session.listen(
      (event) => this.#onEvent(event),
      (reason) => void this.#onLost(reason),
    );
    this.#renewal?.arm(session.openedAt);
  }

  #addUsage(usage: RealtimeUsage): void {
    for (const key of Object.keys(usage) as (keyof RealtimeUsage)[]) this.#usage[key] += usage[key];
  }

  #instructions(): string {
    return seededInstructions(this.#config.prompt ?? '', this.#conversation);
  }

  #open(instructions: string, signal: AbortSignal): Promise<RealtimeSession> {
    const { policy } = this.#options;
    const options = { job: this.#job, config: this.#config, policy, headers: this.#headers, format: this.#format };
    return openRealtime({ ...options, tools: this.#tools.definitions, log: this.#log }, instructions, signal);
  }
}
