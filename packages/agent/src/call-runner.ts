import { CallJobSchema, VoicebridgeError, type CallJob } from '@voicebridge/protocol';
import type { AudioChannel } from '@voicebridge/channel';
import type { CallRecordRepository } from '@voicebridge/store';
import type { Logger } from 'pino';
import { delay, type Agent } from './agents/agent-context.ts';
import { EchoAgent } from './agents/echo-agent.ts';
import { noLanguageModels, type LanguageModelFactory } from './agents/language-model-factory.ts';
import { LlmAgent } from './agents/llm-agent.ts';
import { ScriptedAgent } from './agents/scripted-agent.ts';
import { CallConnection } from './call-connection.ts';
import type { SpeechToText } from './stt/speech-to-text.ts';
import type { TextToSpeech } from './tts/text-to-speech.ts';

/** How often the record is checked while waiting for the ACK, and how long to wait at most. */
const START_POLL_MS = 500;
const START_TIMEOUT_MS = 60_000;

type StartEvent = Awaited<ReturnType<CallConnection['waitForStart']>>;

export interface CallRunnerOptions {
  channel: AudioChannel;
  records: Pick<CallRecordRepository, 'appendTranscript' | 'get'>;
  stt: SpeechToText;
  tts: TextToSpeech;
  greetingDelayMs: number;
  log: Logger;
  /** The models of `llm` numbers; without it, calls to them are refused with an apology. */
  models?: LanguageModelFactory;
}

/** Runs one claimed call to its end: the body of the BullMQ processor. */
export class CallRunner {
  readonly #options: CallRunnerOptions;
  readonly #agents: Record<CallJob['config']['agent'], Agent>;

  constructor(options: CallRunnerOptions) {
    this.#options = options;
    this.#agents = { echo: new EchoAgent(), scripted: new ScriptedAgent(), llm: new LlmAgent({ models: options.models ?? noLanguageModels }) };
  }

  /** Resolves with how the call ended here; rejects only for a job that cannot be a call. */
  async run(data: unknown, signal: AbortSignal): Promise<{ stopReason: string }> {
    const parsed = CallJobSchema.safeParse(data);
    if (!parsed.success) throw new VoicebridgeError('VB_BAD_MESSAGE', `invalid call job: ${parsed.error.message.slice(0, 300)}`);
    const job = parsed.data;
    const log = this.#options.log.child({ callId: job.callId, number: job.number });
    const record = await this.#options.records.get(job.callId);
    if (record?.status === 'ended') {
      log.info('call already ended before an agent took it');
      return { stopReason: record.verdict?.reason ?? 'ended' };
    }
    const abort = new AbortController();
    const onOuterAbort = (): void => abort.abort(signal.reason);
    signal.addEventListener('abort', onOuterAbort, { once: true });
    const connection = new CallConnection(job.callId, this.#options.channel, abort, log);
    let transcriptWrites: Promise<void> = Promise.resolve();
    try {
      await connection.announce();
      const start = await this.#waitForStart(job.callId, connection, abort, log);
      if (!start) return { stopReason: connection.stopReason ?? 'ended' };
      log.info({ agent: job.config.agent }, 'agent on the call');
      await this.#agents[job.config.agent].run({
        job,
        connection,
        stt: this.#options.stt,
        tts: this.#options.tts,
        signal: abort.signal,
        greetingDelayMs: this.#options.greetingDelayMs,
        log,
        transcript: (speaker, text) => {
          const entry = { speaker, text, atMs: Math.max(0, Date.now() - start.answeredAtMs) };
          transcriptWrites = transcriptWrites
            .then(() => this.#options.records.appendTranscript(job.callId, entry))
            .catch((error: unknown) => log.error({ err: error }, 'transcript write failed'));
        },
      });
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
      // The worker is going away, not the call: end it cleanly rather than leave the caller in silence.
      if (signal.aborted && !connection.stopReason) connection.hangup('drain');
      connection.close();
      await transcriptWrites;
    }
    return { stopReason: connection.stopReason ?? 'aborted' };
  }

  /**
   * Waits for the media's `start` (the caller's ACK). Pub/sub has no replay: a call that ended
   * before this agent subscribed sent its `stop` to nobody, so the record is checked meanwhile,
   * and the wait is bounded (answer timeout + 64·T1 of ACK wait fit well inside it).
   */
  async #waitForStart(callId: string, connection: CallConnection, abort: AbortController, log: Logger): Promise<StartEvent | undefined> {
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
