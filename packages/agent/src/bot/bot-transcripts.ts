import type { Logger } from 'pino';
import { AsyncQueue } from '../async-queue.ts';
import type { CallContext } from '../agents/agent-kind.ts';
import type { SpeechToText } from '../stt/speech-to-text.ts';

/** The bot's audio waits for the recogniser in pieces of at most 1 s, at most 60 of them (oldest dropped). */
const PIECE_SAMPLES = 8000;
const MAX_PIECES = 60;
/**
 * The recogniser finishes an utterance some seconds after its audio (more on a loaded box): once
 * the call is over it gets this long to give the last finals before it is stopped.
 */
const DRAIN_GRACE_MS = 8000;

/**
 * `--websocket-transcribe`: a bot call's record gets a transcript of both sides, recognised by the
 * worker's offline recogniser (one stream for the caller's audio, one for the bot's, each a
 * recogniser process for the whole call: it costs CPU, hence opt-in). The caller's frames are read
 * from the call's queue; the bot's audio is fed as it is queued to the caller (faster than real time
 * from most bots), bounded. A recogniser failing costs the transcript, never the call.
 */
export class BotTranscripts {
  readonly #stt: SpeechToText;
  readonly #call: CallContext;
  readonly #log: Logger;
  readonly #bot = new AsyncQueue<Int16Array>(MAX_PIECES);
  /** The caller's frames, ended when the call is (the call's own queue ends only once the kind returns). */
  readonly #caller = new AsyncQueue<Int16Array>(500);
  /** Not the call's signal: the call ends before the recogniser has given its last words. */
  readonly #abort = new AbortController();
  #grace: NodeJS.Timeout | undefined;

  constructor(stt: SpeechToText, call: CallContext, log: Logger) {
    this.#stt = stt;
    this.#call = call;
    this.#log = log;
  }

  /** Audio the bot sent, as queued for the caller (copied: the caller of this may reuse it). */
  onBotAudio(samples: Int16Array): void {
    for (let at = 0; at < samples.length; at += PIECE_SAMPLES) this.#bot.push(samples.slice(at, at + PIECE_SAMPLES));
  }

  /** Transcribes both sides until the caller's audio ends (the call is over). */
  async run(): Promise<void> {
    const onEnd = (): void => this.close();
    this.#call.signal.addEventListener('abort', onEnd, { once: true });
    try {
      void this.#pumpCaller();
      const caller = this.#transcribe('caller', this.#caller).finally(() => this.#bot.close());
      await Promise.all([caller, this.#transcribe('agent', this.#bot)]);
    } finally {
      this.#call.signal.removeEventListener('abort', onEnd);
      clearTimeout(this.#grace);
    }
  }

  /** No more audio either way; the recognisers get DRAIN_GRACE_MS for their last finals. Idempotent. */
  close(): void {
    this.#caller.close();
    this.#bot.close();
    this.#grace ??= setTimeout(
      () => this.#abort.abort(new Error('bot call transcription stopped after the call')),
      DRAIN_GRACE_MS,
    );
  }

  async #pumpCaller(): Promise<void> {
    for await (const frame of this.#call.callerAudio) this.#caller.push(frame.slice());
  }

  async #transcribe(speaker: 'caller' | 'agent', audio: AsyncIterable<Int16Array>): Promise<void> {
    try {
      for await (const transcript of this.#stt.transcribe(audio, { sampleRateHz: 8000, signal: this.#abort.signal })) {
        const text = transcript.text.trim();
        if (transcript.final && text !== '') this.#call.transcript(speaker, text);
      }
    } catch (error) {
      if (!this.#abort.signal.aborted)
        this.#log.warn(
          { err: { message: error instanceof Error ? error.message : String(error) }, speaker },
          'bot call transcription failed',
        );
    }
  }
}
