import {
  DIAL_RING_TIMEOUT_MAX_S,
  failureOf,
  oneLine,
  VoicebridgeError,
  type AgentDecision,
  type CallJob,
  type ConversationState,
  type TerminationReason,
} from '@voicebridge/protocol';
import type { AudioChannel } from '@voicebridge/channel';
import type { CallRecordRepository, ConversationRepository } from '@voicebridge/store';
import type { Logger } from 'pino';
import { delay } from '../stt/abortable.ts';
import type { AgentKind, AgentRefusal, CallContext } from '../agents/agent-kind.ts';
import { startCallAids, type CallAids, type CallAidsOptions } from './call-aids.ts';
import { CallConnection, type CallConnectionDelegate } from './call-connection.ts';
import { decisionOf } from './agent-decision.ts';
import { connectKind, prepareKind } from './kind-readiness.ts';
import { ConversationLog } from './conversation-log.ts';
import { recordedKey } from './dtmf-record.ts';
import { OutboundAudio, type OutboundAudioOptions } from './outbound-audio.ts';
import { TranscriptWriter } from './transcript-writer.ts';
import { TurnEvents, type TurnEventPublisher } from './turn-events.ts';

/** How often the record is checked while waiting for the ACK, and how long to wait at most. */
const START_POLL_MS = 500;
const START_TIMEOUT_MS = 60_000;
/** A call we place may ring up to the dial's longest ring timeout before its ACK. */
const OUTBOUND_START_TIMEOUT_MS = (DIAL_RING_TIMEOUT_MAX_S + 60) * 1000;
/** How often a running call's record is checked: a media worker that died never sends `stop`. */
const ENDED_POLL_MS = 2000;

/** Said when the kind refused the call but the caller was answered anyway (no refusal before answer). */
export const REFUSED_LINE = 'Sorry, this line cannot take calls right now. Goodbye.';

type StartEvent = Awaited<ReturnType<CallConnection['waitForStart']>>;

export interface AgentCallOptions {
  job: CallJob;
  channel: AudioChannel;
  records: Pick<CallRecordRepository, 'appendTranscript' | 'get' | 'update'>;
  log: Logger;
  greetingDelayMs: number;
  /** The owner epoch this worker claimed (docs/adr/0010); 0 = unfenced. */
  epoch: number;
  /** What a previous owner left (a takeover): the conversation, and the record's turn table. */
  restored?: { conversation: ConversationState | undefined; turns: CallAidsOptions['earlierTurns'] };
  /** Where the conversation state is kept for a takeover; without it the call is not resumable. */
  conversations?: Pick<ConversationRepository, 'save'>;
  heartbeatMs: number;
  /** The worker's: aborted when the worker hands its calls back. */
  workerSignal: AbortSignal;
  /** Carries the kind's accept or refuse to signaling, which answers only on accept. */
  report?: (decision: AgentDecision) => Promise<void>;
  /** The agent's audio queue (pacing, bounds); defaults as documented there. */
  audio?: Omit<OutboundAudioOptions, 'wire' | 'log' | 'epoch'>;
  turnObserver?: CallAidsOptions['turnObserver']; // completed turns and barge-ins: the process's metrics
  events?: TurnEventPublisher; // queues the call's `call.turn` events (ADR 0022); never awaited
}

/** How a run ended: `released` when the call goes on without this agent (handed back or taken over). */
export interface RunOutcome {
  stopReason: string;
  released: boolean;
}

/**
 * One call in the agent process, from claim to end, like `Call` in signaling and `MediaSession` in
 * media. It owns the call's one AbortController, its connection to media, the outbound audio queue,
 * the conversation state, the record writer and the turn timer and guards, and closes them all in one
 * idempotent `close()`. The agent kind runs inside it and reaches the call only through the
 * `CallContext` it is given; which kind does not matter here (see docs/agents.md).
 *
 * ```
 * run(kind): announce → kind.prepare → accept / refuse → wait for media's start (the ACK)
 *            → kind.run or kind.resume → until stop / hangup / newer owner / hand-back → close
 * ```
 */
export class AgentCall implements CallConnectionDelegate {
  readonly #options: AgentCallOptions;
  readonly #log: Logger;
  readonly #abort = new AbortController();
  readonly #connection: CallConnection;
  readonly #audio: OutboundAudio;
  readonly #writer: TranscriptWriter;
  readonly #conversation: ConversationLog | undefined;
  readonly #turnEvents: TurnEvents | undefined;
  #kind: AgentKind | undefined;
  #aids: CallAids | undefined;
  #call: CallContext | undefined;
  #stopReason: string | undefined;
  #answeredAtMs: number | undefined;
  #superseded = false;
  #recordWatch: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;
  #closed = false;

  constructor(options: AgentCallOptions) {
    this.#options = options;
    const { job, log, epoch } = options;
    this.#log = log;
    this.#connection = new CallConnection({
      callId: job.callId,
      channel: options.channel,
      log,
      delegate: this,
      owner: { epoch, heartbeatMs: options.heartbeatMs },
    });
    this.#audio = new OutboundAudio({ ...options.audio, wire: this.#connection, log, epoch });
    this.#writer = new TranscriptWriter(options.records, job.callId, log);
    this.#turnEvents = options.events && TurnEvents.of(job, options.events);
    this.#conversation = options.conversations
      ? new ConversationLog({
          callId: job.callId,
          epoch,
          configVersion: job.config.configVersion,
          restored: options.restored?.conversation,
          repository: options.conversations,
          log,
          onFenced: () => this.onSuperseded(),
        })
      : undefined;
    // Whoever aborts the call (media's stop, a newer owner, the worker) ends it here at once: the
    // caller-audio queue ends and waiting writers are released, so no kind waits on a call that is over.
    this.#abort.signal.addEventListener(
      'abort',
      () => {
        if (!this.#closed) void this.close(describeAbort(this.#abort.signal.reason));
      },
      { once: true },
    );
    if (options.workerSignal.aborted) this.#onWorkerAbort();
    else options.workerSignal.addEventListener('abort', this.#onWorkerAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Runs the call with `kind` to its end here; never rejects. */
  async run(kind: AgentKind): Promise<RunOutcome> {
    this.#kind = kind;
    const signal = this.#abort.signal;
    try {
      await this.#connection.announce();
      // Pub/sub has no replay: a call that ended while this agent was claiming it (a CANCEL, a BYE
      // right after the ACK) published its `stop` before we subscribed, and nobody would tell us
      // again. Now that we are subscribed, one read of the record says whether that happened.
      const current = await this.#options.records.get(this.#options.job.callId).catch(() => undefined);
      if (current?.status === 'ended') {
        this.#log.info({ verdict: current.verdict?.reason }, 'call ended while this agent was claiming it');
        this.#stopReason = current.verdict?.reason ?? 'ended';
        return this.#outcome();
      }
      // A call we place is prepared before its INVITE: its sockets wait for the answer, not the ringing.
      const deferConnect = this.#options.job.direction === 'outbound' && current?.status !== 'answered';
      const refusal = await prepareKind(kind, signal, this.#log, deferConnect);
      const report = this.#options.report;
      if (report) {
        await report(decisionOf(refusal));
        if (refusal) {
          const code = refusal.verdict;
          // A takeover of a call already answered has nobody to refuse to: it ends the call instead.
          if (current?.status === 'answered') this.#connection.hangup(code);
          this.#stopReason = code;
          return this.#outcome();
        }
      }
      const start = await this.#waitForStart();
      const unconnected = start && deferConnect && !refusal && (await connectKind(kind, signal, this.#log));
      if (unconnected) {
        // Answered, but the model or bot cannot be reached: the callee is not kept on a silent line.
        this.#connection.hangup(unconnected.verdict, { code: unconnected.code, detail: oneLine(unconnected.message) });
        this.#stopReason = unconnected.verdict;
      } else if (start) {
        const call = this.#answered(start);
        const restored = this.#options.restored?.conversation;
        const running = refusal
          ? this.#refusedAfterAnswer(kind, refusal)
          : restored?.greeted
            ? kind.resume(call, restored)
            : kind.run(call);
        // Its observers are in place (set before its first await): frames kept for a replay can go.
        this.#connection.stopKeepingEarlyFrames();
        await running;
        // The kind finished on its own (the echo's caller stopped sending): it keeps the call
        // until media says stop.
        await new Promise<void>((resolve) => {
          if (signal.aborted) return resolve();
          signal.addEventListener('abort', () => resolve(), { once: true });
        });
      }
    } catch (error) {
      if (!signal.aborted) {
        this.#log.error({ err: error }, 'agent failed: hanging up');
        this.#connection.hangup('error', failureOf(error));
      }
    } finally {
      await this.close('run over');
      // Lines the kind wrote while it unwound after an early close are in the record too.
      await this.#writer.flush();
      await this.#conversation?.flush();
    }
    return this.#outcome();
  }

  #outcome(): RunOutcome {
    const released = !this.#stopReason && (this.#superseded || this.#options.workerSignal.aborted);
    return { stopReason: this.#stopReason ?? (released ? 'released' : 'aborted'), released };
  }

  /**
   * Idempotent: aborts the call's signal, then closes the kind, the audio queue, the connection (no
   * hangup: a parent's close sends nothing), the guards and turn timer (the last turn is written),
   * and resolves once the record and conversation writes are done.
   */
  close(reason: string): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      if (!this.#abort.signal.aborted) this.#abort.abort(new VoicebridgeError('VB_CLOSED', `call closed: ${reason}`));
      this.#options.workerSignal.removeEventListener('abort', this.#onWorkerAbort);
      clearInterval(this.#recordWatch);
      this.#recordWatch = undefined;
      const kind = this.#kind;
      try {
        kind?.close(reason);
      } catch (error) {
        this.#log.warn({ err: error }, 'agent kind failed to close');
      }
      const usage = kind?.usage?.();
      if (usage && Object.keys(usage).length > 0) this.#log.info({ usage }, 'agent usage');
      this.#audio.close();
      this.#connection.close();
      this.#aids?.close();
      await this.#writer.flush();
      await this.#conversation?.flush();
    })();
    return this.#closing;
  }

  onDtmf(digit: string, durationMs: number): void {
    // One record entry per press (masked unless the number says otherwise); a press is input too.
    this.#transcript('caller', `[DTMF ${recordedKey(digit, this.#options.job.config)}]`);
    this.#aids?.onCallerTranscript(digit);
    this.#kind?.onDtmf?.(digit, durationMs);
  }

  onHold(held: boolean): void {
    this.#kind?.onHold?.(held);
  }

  onMark(name: string, played: boolean): void {
    // Only the marks that end an utterance say whether what was said was heard.
    if (this.#audio.onMarkReport(name, played) && name.startsWith('m')) this.#conversation?.markResult(played);
  }

  onSuperseded(): void {
    this.#superseded = true;
    this.#abort.abort(new VoicebridgeError('VB_CLOSED', 'call taken over by a newer owner'));
  }

  onStop(reason: TerminationReason): void {
    this.#stopReason ??= reason;
    this.#abort.abort(new VoicebridgeError('VB_CLOSED', `media stopped: ${reason}`));
  }

  readonly #onWorkerAbort = (): void => this.#abort.abort(this.#options.workerSignal.reason);

  /** The caller was answered although the kind refused: it hears why in the kind's voice, then the call ends. */
  async #refusedAfterAnswer(kind: AgentKind, refusal: AgentRefusal): Promise<void> {
    await delay(this.#options.greetingDelayMs, this.#abort.signal);
    await kind.say?.(this.#context(), REFUSED_LINE);
    this.#connection.hangup('error', { code: refusal.code, detail: oneLine(refusal.message) });
  }

  /** The caller ACKed: the guards and turn timer start, the record is watched, the kind gets its context. */
  #answered(start: StartEvent): CallContext {
    const { job, log, epoch } = this.#options;
    const signal = this.#abort.signal;
    log.info({ agent: job.config.agent.kind }, 'agent on the call');
    this.#watchRecord();
    const connection = this.#connection;
    const kind = this.#kind;
    let context: CallContext | undefined;
    const aids = startCallAids({
      job,
      answeredAtMs: start.answeredAtMs,
      connection,
      audio: this.#audio,
      signal,
      log,
      earlierTurns: epoch > 1 ? this.#options.restored?.turns : undefined,
      persistTurns: (list) => this.#writer.turns(list),
      turnObserver: this.#options.turnObserver,
      usage: () => kind?.usage?.() ?? {},
      turnBoundary: this.#turnEvents,
      say: (text) => (context && kind?.say ? kind.say(context, text) : Promise.resolve()),
    });
    this.#aids = aids;
    this.#answeredAtMs = start.answeredAtMs;
    const audio = this.#audio;
    context = {
      job,
      signal,
      log,
      greetingDelayMs: this.#options.greetingDelayMs,
      callerAudio: connection.callerAudio,
      observeCallerFrames: (observer, replay) => connection.observeCallerFrames(observer, replay),
      get callerFramesDroppedEarly() {
        return connection.earlyFramesDropped;
      },
      audio,
      turns: aids.turns,
      get telephoneEvent() {
        return connection.telephoneEvent;
      },
      get held() {
        return connection.held;
      },
      sendDtmf: (digits, durationMs) => connection.sendDtmf(digits, durationMs),
      transfer: (target, transferSignal, options) => connection.transfer(target, transferSignal, options),
      hangup: (reason) => connection.hangup(reason),
      transcript: (speaker, text, played, cut) => {
        if (speaker === 'caller') aids.onCallerTranscript(text);
        this.#transcript(speaker, text, played, cut);
      },
    };
    this.#call = context;
    return context;
  }

  #context(): CallContext {
    if (!this.#call) throw new VoicebridgeError('VB_CLOSED', 'the call was not answered');
    return this.#call;
  }

  #transcript(speaker: 'caller' | 'agent', text: string, played?: boolean, cut?: string): void {
    const atMs = Math.max(0, Date.now() - (this.#answeredAtMs ?? Date.now()));
    this.#conversation?.add(speaker, text, atMs, played);
    this.#writer.append(cut === undefined || cut === '' ? { speaker, text, atMs } : { speaker, text, atMs, cut });
    this.#turnEvents?.transcript(speaker, text);
  }

  /**
   * Ends the call here once its record says it ended without our hearing `stop` (its media worker
   * died, so signaling sent BYE with `media-lost`). One read per call every 2 s.
   */
  #watchRecord(): void {
    const { job, records, log } = this.#options;
    this.#recordWatch = setInterval(() => {
      void records.get(job.callId).then(
        (record) => {
          if (record?.status !== 'ended' || this.#abort.signal.aborted) return;
          log.info({ verdict: record.verdict?.reason }, 'call ended without a stop from media');
          this.onStop(record.verdict?.reason ?? 'error');
        },
        () => undefined,
      );
    }, ENDED_POLL_MS);
  }

  /**
   * Waits for the media's `start` (the caller's ACK). Pub/sub has no replay: a call that ended
   * before this agent subscribed sent its `stop` to nobody, so the record is checked meanwhile,
   * and the wait is bounded (answer timeout + 64·T1 of ACK wait fit well inside it).
   */
  async #waitForStart(): Promise<StartEvent | undefined> {
    const { job, records, log } = this.#options;
    const signal = this.#abort.signal;
    const started = this.#connection.waitForStart(signal);
    started.catch(() => undefined);
    const deadline = Date.now() + (job.direction === 'outbound' ? OUTBOUND_START_TIMEOUT_MS : START_TIMEOUT_MS);
    for (;;) {
      const outcome = await Promise.race([started, delay(START_POLL_MS, signal).then(() => undefined)]);
      if (outcome) return outcome;
      const record = await records.get(job.callId).catch(() => undefined);
      if (record?.status === 'ended') {
        log.info({ verdict: record.verdict?.reason }, 'call ended before it started');
        this.#stopReason ??= record.verdict?.reason ?? 'ended';
        return undefined;
      }
      if (Date.now() > deadline) {
        log.warn('call never started: giving it up');
        this.#connection.hangup('error', { code: 'VB_REQUEST_TIMEOUT', detail: 'media never said the call started' });
        this.#stopReason ??= 'ended';
        return undefined;
      }
    }
  }
}

function describeAbort(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}
