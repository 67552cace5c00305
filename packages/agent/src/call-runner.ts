import { CallJobSchema, VoicebridgeError, type AgentDecision, type CallJob } from '@voicebridge/protocol';
import type { AudioChannel } from '@voicebridge/channel';
import type { OutboundHttp } from '@voicebridge/outbound';
import type { CallOwnership, CallRecordRepository, ConversationRepository } from '@voicebridge/store';
import type { Logger } from 'pino';
import { speak, type Agent, type AgentContext } from './agents/agent-context.ts';
import { decideOnCall } from './agents/call-decision.ts';
import { delay } from './stt/abortable.ts';
import { EchoAgent } from './agents/echo-agent.ts';
import { noLanguageModels, type LanguageModelFactory } from './agents/language-model-factory.ts';
import { LlmAgent } from './agents/llm-agent.ts';
import { ScriptedAgent } from './agents/scripted-agent.ts';
import { CallConnection } from './call-connection.ts';
import { ConversationLog } from './conversation-log.ts';
import type { SpeechToText } from './stt/speech-to-text.ts';
import type { TextToSpeech } from './tts/text-to-speech.ts';
import { startCallAids, type CallAids } from './turns/call-aids.ts';

/** How often the record is checked while waiting for the ACK, and how long to wait at most. */
const START_POLL_MS = 500;
/** How often a running call's record is checked: a media worker that died never sends `stop`. */
const ENDED_POLL_MS = 2000;
const START_TIMEOUT_MS = 60_000;

type StartEvent = Awaited<ReturnType<CallConnection['waitForStart']>>;

export interface CallRunnerOptions {
  channel: AudioChannel;
  records: Pick<CallRecordRepository, 'appendTranscript' | 'get' | 'update'>;
  stt: SpeechToText;
  tts: TextToSpeech;
  greetingDelayMs: number;
  log: Logger;
  /** The models of `llm` numbers; without it, calls to them are refused with an apology. */
  models?: LanguageModelFactory;
  /** Requests to the URLs numbers give (webhook tools), under the outbound URL policy. Borrowed. */
  outbound?: OutboundHttp;
  /**
   * Ownership with fencing and takeover (docs/adr/0010): each run claims the next owner epoch, keeps
   * the conversation state in Redis, and a run that finds one goes on from it. Without it, calls run
   * unfenced (epoch 0) and are not resumable.
   */
  failover?: {
    ownership: Pick<CallOwnership, 'claim' | 'release'>;
    conversations: Pick<ConversationRepository, 'save' | 'load' | 'delete'>;
    heartbeatMs: number;
  };
}

/**
 * Tells signaling whether this agent takes the call: it answers 200 OK only on `accept` (the BullMQ
 * worker reports it as the job's progress).
 */
export type DecisionReporter = (decision: AgentDecision) => Promise<void>;

/** How a run ended: `released` when the call goes on without this agent (handed back or taken over). */
export interface RunOutcome {
  stopReason: string;
  released: boolean;
}

/** Runs one claimed call to its end: the body of the BullMQ processor. */
export class CallRunner {
  readonly #options: CallRunnerOptions;
  readonly #agents: Record<CallJob['config']['agent']['kind'], Agent>;
  readonly #models: LanguageModelFactory;

  constructor(options: CallRunnerOptions) {
    this.#options = options;
    this.#models = options.models ?? noLanguageModels;
    this.#agents = {
      echo: new EchoAgent(),
      scripted: new ScriptedAgent(),
      llm: new LlmAgent({ models: this.#models, outbound: options.outbound }),
    };
  }

  /**
   * Resolves with how the call ended here; rejects only for a job that cannot be a call. `report`
   * carries the accept-or-refuse to signaling (absent when nobody waits for it, as in tests that
   * drive an agent without signaling).
   */
  async run(data: unknown, signal: AbortSignal, report?: DecisionReporter): Promise<RunOutcome> {
    const parsed = CallJobSchema.safeParse(data);
    if (!parsed.success)
      throw new VoicebridgeError('VB_BAD_MESSAGE', `invalid call job: ${parsed.error.message.slice(0, 300)}`);
    const job = parsed.data;
    const log = this.#options.log.child({ callId: job.callId, number: job.number });
    const record = await this.#options.records.get(job.callId);
    if (record?.status === 'ended') {
      log.info('call already ended before an agent took it');
      return { stopReason: record.verdict?.reason ?? 'ended', released: false };
    }
    const failover = this.#options.failover;
    const epoch = failover ? await failover.ownership.claim(job.callId) : 0;
    const restored = epoch > 1 ? await failover?.conversations.load(job.callId) : undefined;
    const abort = new AbortController();
    const onOuterAbort = (): void => abort.abort(signal.reason);
    signal.addEventListener('abort', onOuterAbort, { once: true });
    const connection = new CallConnection(job.callId, this.#options.channel, abort, log, {
      epoch,
      heartbeatMs: failover?.heartbeatMs ?? 0,
    });
    const conversation = failover
      ? new ConversationLog({
          callId: job.callId,
          epoch,
          configVersion: job.config.configVersion,
          restored,
          repository: failover.conversations,
          log,
          onFenced: () => {
            connection.superseded = true;
            abort.abort(new VoicebridgeError('VB_CLOSED', 'call taken over by a newer owner'));
          },
        })
      : undefined;
    if (conversation) connection.onMarkResult = (played) => conversation.markResult(played);
    if (epoch > 1) log.warn({ epoch, turns: restored?.turns ?? 0 }, 'taking over a call: resuming its conversation');
    let transcriptWrites: Promise<void> = Promise.resolve();
    let aids: CallAids | undefined;
    try {
      await connection.announce();
      // Pub/sub has no replay: a call that ended while this agent was claiming it (a CANCEL, a BYE
      // right after the ACK) published its `stop` before we subscribed, and nobody would tell us
      // again. Now that we are subscribed, one read of the record says whether that happened.
      const current = await this.#options.records.get(job.callId).catch(() => undefined);
      if (current?.status === 'ended') {
        log.info({ verdict: current.verdict?.reason }, 'call ended while this agent was claiming it');
        return { stopReason: current.verdict?.reason ?? 'ended', released: false };
      }
      const decision = decideOnCall(job, this.#models);
      await report?.(decision);
      if (decision.decision === 'refuse') {
        log.warn({ code: decision.code, sipStatus: decision.sipStatus }, `refusing the call: ${decision.reason}`);
        // A takeover of a call already answered has nobody to refuse to: it ends the call instead.
        if (current?.status === 'answered') connection.hangup(decision.code);
        return { stopReason: decision.code, released: false };
      }
      const start = await this.#waitForStart(job.callId, connection, abort, log);
      if (!start) return { stopReason: connection.stopReason ?? 'ended', released: false };
      log.info({ agent: job.config.agent.kind }, 'agent on the call');
      this.#watchRecord(job.callId, connection, abort, log);
      const transcript = (speaker: 'caller' | 'agent', text: string, played?: boolean): void => {
        const entry = { speaker, text, atMs: Math.max(0, Date.now() - start.answeredAtMs) };
        conversation?.add(speaker, text, entry.atMs, played);
        transcriptWrites = transcriptWrites
          .then(() => this.#options.records.appendTranscript(job.callId, entry))
          .catch((error: unknown) => log.error({ err: error }, 'transcript write failed'));
      };
      // Every agent's record shows the caller's key presses, one entry per press.
      connection.onDtmf = (digit) => transcript('caller', `[DTMF ${digit}]`);
      let context: AgentContext | undefined;
      aids = startCallAids({
        job,
        answeredAtMs: start.answeredAtMs,
        connection,
        signal: abort.signal,
        log,
        earlierTurns: epoch > 1 ? record?.turns : undefined,
        persistTurns: (list) => {
          transcriptWrites = transcriptWrites
            .then(() => this.#options.records.update(job.callId, { turns: [...list] }))
            .catch((error: unknown) => log.warn({ err: error }, 'turn timing write failed'));
        },
        say: (text) => (context ? speak(context, text) : Promise.resolve()),
      });
      const callAids = aids;
      // A key press is input too: it keeps the no-input guard quiet.
      const recordDtmf = connection.onDtmf;
      connection.onDtmf = (digit, durationMs) => {
        callAids.onCallerTranscript(digit);
        recordDtmf?.(digit, durationMs);
      };
      context = {
        job,
        connection,
        stt: this.#options.stt,
        tts: this.#options.tts,
        signal: abort.signal,
        greetingDelayMs: this.#options.greetingDelayMs,
        log,
        turns: aids.turns,
        resume: restored,
        transcript: (speaker, text, played) => {
          if (speaker === 'caller') callAids.onCallerTranscript(text);
          transcript(speaker, text, played);
        },
      };
      await this.#agents[job.config.agent.kind].run(context);
      // The agent finished on its own (e.g. the echo's caller stopped sending): it keeps the call
      // until the media says stop.
      await new Promise<void>((resolve) => {
        if (abort.signal.aborted) return resolve();
        abort.signal.addEventListener('abort', () => resolve(), { once: true });
      });
    } catch (error) {
      if (!abort.signal.aborted) {
        log.error({ err: error }, 'agent failed: hanging up');
        connection.hangup('error');
      }
    } finally {
      signal.removeEventListener('abort', onOuterAbort);
      // The worker is going away (handing its calls back) or lost the call: not a hangup, the
      // call goes on with another owner (or media ends it with `agent-lost`).
      connection.close();
      aids?.close();
      await transcriptWrites;
      await conversation?.flush();
    }
    const released = !connection.stopReason && (connection.superseded || signal.aborted);
    if (failover && !released) await this.#forget(job.callId, log);
    return { stopReason: connection.stopReason ?? (released ? 'released' : 'aborted'), released };
  }

  /** The call is over: its owner epoch and conversation state are of no more use. */
  async #forget(callId: string, log: Logger): Promise<void> {
    const failover = this.#options.failover;
    if (!failover) return;
    await Promise.all([failover.conversations.delete(callId), failover.ownership.release(callId)]).catch(
      (error: unknown) => log.warn({ err: error }, 'could not delete the conversation state'),
    );
  }

  /**
   * Ends the run once the call record says the call ended without our hearing `stop` (its media
   * worker died, so signaling sent BYE with `media-lost`). One read per call every 2 s.
   */
  #watchRecord(callId: string, connection: CallConnection, abort: AbortController, log: Logger): void {
    const timer = setInterval(() => {
      void this.#options.records.get(callId).then(
        (record) => {
          if (record?.status !== 'ended' || abort.signal.aborted) return;
          log.info({ verdict: record.verdict?.reason }, 'call ended without a stop from media');
          connection.stopReason = record.verdict?.reason ?? 'error';
          abort.abort(new VoicebridgeError('VB_CLOSED', 'call ended'));
        },
        () => undefined,
      );
    }, ENDED_POLL_MS);
    abort.signal.addEventListener('abort', () => clearInterval(timer), { once: true });
  }

  /**
   * Waits for the media's `start` (the caller's ACK). Pub/sub has no replay: a call that ended
   * before this agent subscribed sent its `stop` to nobody, so the record is checked meanwhile,
   * and the wait is bounded (answer timeout + 64·T1 of ACK wait fit well inside it).
   */
  async #waitForStart(
    callId: string,
    connection: CallConnection,
    abort: AbortController,
    log: Logger,
  ): Promise<StartEvent | undefined> {
    const started = connection.waitForStart(abort.signal);
    started.catch(() => undefined);
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      const outcome = await Promise.race([started, delay(START_POLL_MS, abort.signal).then(() => undefined)]);
      if (outcome) return outcome;
      const record = await this.#options.records.get(callId).catch(() => undefined);
      if (record?.status === 'ended') {
        log.info({ verdict: record.verdict?.reason }, 'call ended before it started');
        return undefined;
      }
      if (Date.now() > deadline) {
        log.warn('call never started: giving it up');
        connection.hangup('error');
        return undefined;
      }
    }
  }
}
