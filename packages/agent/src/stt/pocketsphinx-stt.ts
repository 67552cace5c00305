import { silentLogger, type Logger } from '@voicebridge/protocol';
import { iterateAbortable } from './abortable.ts';
import { EngineError, throwIfAborted } from './engine-error.ts';
import type { RecognizedUtterance } from './pocketsphinx-output.ts';
import { PocketsphinxPool, type PocketsphinxLease, type PocketsphinxPoolOptions } from './pocketsphinx-pool.ts';
import { DECODER_SAMPLE_RATE_HZ, type PocketsphinxProcess } from './pocketsphinx-process.ts';
import { PocketsphinxVocabulary } from './pocketsphinx-vocabulary.ts';
import { ResultQueue } from './result-queue.ts';
import type { SpeechToText, TranscribeOptions, Transcript } from './speech-to-text.ts';
import { TelephoneUpsampler, type UpsamplingMethod } from './telephone-upsampler.ts';

const ENGINE = 'pocketsphinx';

export interface PocketsphinxSttOptions extends PocketsphinxPoolOptions {
  /** A pool to borrow decoders from; it is not closed by `close()`. Default: an own pool. */
  pool?: PocketsphinxPool;
  upsampling?: UpsamplingMethod;
}

/**
 * The offline recogniser: Debian's pocketsphinx_continuous 0.8 with the en-us general language
 * model, fed 8 kHz phone audio upsampled to 16 kHz in `TelephoneUpsampler`. Its own VAD ends
 * utterances (after `vadPostspeechFrames` of silence); each utterance with words becomes one final
 * Transcript. The 0.8 file-input mode prints nothing before an utterance ends: no interim results.
 *
 * `keywords` are not a grammar: a keyword-spotting decoder (-kws) found no keyword the language
 * model missed and fired on similar words, and a JSGF grammar forces everything else into the
 * keywords (ADR 0005). They are checked against the dictionary, and a warning names any the
 * recogniser can never output.
 */
export class PocketsphinxStt implements SpeechToText {
  readonly #pool: PocketsphinxPool;
  readonly #ownsPool: boolean;
  readonly #upsampling: UpsamplingMethod | undefined;
  readonly #log: Logger;
  readonly #vocabulary: PocketsphinxVocabulary;
  readonly #streams = new Set<AbortController>();
  #closePromise: Promise<void> | undefined;

  constructor(options: PocketsphinxSttOptions = {}) {
    const { pool, upsampling, ...poolOptions } = options;
    this.#pool = pool ?? new PocketsphinxPool(poolOptions);
    this.#ownsPool = pool === undefined;
    this.#upsampling = upsampling;
    this.#log = options.log ?? silentLogger;
    this.#vocabulary = new PocketsphinxVocabulary(this.#pool.dictPath);
  }

  get pool(): PocketsphinxPool {
    return this.#pool;
  }

  transcribe(audio: AsyncIterable<Int16Array>, options: TranscribeOptions): AsyncIterable<Transcript> {
    return this.#transcribe(audio, options);
  }

  /** Idempotent: ends every stream (with VB_CLOSED) and closes the pool if it is ours. */
  close(): Promise<void> {
    this.#closePromise ??= (async () => {
      for (const stream of this.#streams) stream.abort(new EngineError(ENGINE, 'VB_CLOSED', 'recogniser closed'));
      if (this.#ownsPool) await this.#pool.close();
    })();
    return this.#closePromise;
  }

  async *#transcribe(audio: AsyncIterable<Int16Array>, options: TranscribeOptions): AsyncGenerator<Transcript> {
    if (options.sampleRateHz !== 8000)
      throw new EngineError(ENGINE, 'VB_CONFIG_INVALID', `expects 8000 Hz audio, got ${String(options.sampleRateHz)}`);
    if (this.#closePromise) throw new EngineError(ENGINE, 'VB_CLOSED', 'recogniser closed');
    throwIfAborted(options.signal);
    const stream = new AbortController();
    const signal = AbortSignal.any([options.signal, stream.signal]);
    this.#streams.add(stream);
    let lease: PocketsphinxLease | undefined;
    let decoded = false;
    let feeding: Promise<boolean> | undefined;
    try {
      void this.#warnUnknownKeywords(options.keywords ?? [], signal);
      lease = await this.#pool.acquire(signal);
      const process = lease.process;
      this.#log.debug({ pid: process.pid }, 'stream on decoder');
      const results = new ResultQueue<Transcript>();
      // Decoder times count from the first sample this process ever read; ours from this stream's.
      const originMs = (process.writtenSamples * 1000) / DECODER_SAMPLE_RATE_HZ;
      process.setListener({
        utterance: (utterance) => {
          const transcript = toTranscript(utterance, originMs);
          if (transcript) results.push(transcript);
        },
        gone: (error) => results.fail(error),
      });
      feeding = this.#feed(audio, process, results, signal);
      for (;;) {
        const next = await results.next(signal);
        if (next.done) break;
        yield next.value;
      }
      decoded = await feeding;
    } finally {
      stream.abort(); // a consumer that stopped early stops the feeding too
      if (feeding) decoded = await feeding;
      lease?.release(decoded);
      this.#streams.delete(stream);
    }
  }

  /** Upsamples and writes the audio; at its end flushes the last utterance. Resolves `decoded`. */
  async #feed(
    audio: AsyncIterable<Int16Array>,
    process: PocketsphinxProcess,
    results: ResultQueue<Transcript>,
    signal: AbortSignal,
  ): Promise<boolean> {
    const upsampler = new TelephoneUpsampler({ method: this.#upsampling, noiseFloor: this.#pool.noiseFloor });
    try {
      for await (const chunk of iterateAbortable(audio, signal)) {
        if (!(chunk instanceof Int16Array))
          throw new EngineError(ENGINE, 'VB_CONFIG_INVALID', 'audio chunks must be Int16Array');
        if (chunk.length > 0) await process.write(upsampler.process(chunk), signal);
      }
      const decoded = await process.endUtterance(signal, this.#pool.drainTimeoutMs);
      // Without procfs the only way to know it is done is to end its input; the pool replaces it.
      if (!decoded) await process.endInput(signal);
      results.end();
      return decoded;
    } catch (error) {
      results.fail(error);
      return false;
    }
  }

  async #warnUnknownKeywords(keywords: readonly string[], signal: AbortSignal): Promise<void> {
    try {
      const missing = await this.#vocabulary.missing(keywords, signal);
      if (missing.length > 0)
        this.#log.warn({ missing }, 'keywords the recogniser cannot hear (not in its dictionary)');
    } catch (error) {
      if (!signal.aborted) this.#log.debug({ err: String(error) }, 'dictionary check skipped');
    }
  }
}

/** Utterances without words (noise, a cough, silence) are not transcripts. */
function toTranscript(utterance: RecognizedUtterance, originMs: number): Transcript | undefined {
  const first = utterance.words[0];
  const last = utterance.words.at(-1);
  if (!first || !last || utterance.text === '') return undefined;
  return {
    text: utterance.text,
    final: true,
    startMs: Math.max(0, Math.round(first.startMs - originMs)),
    endMs: Math.max(0, Math.round(last.endMs - originMs)),
  };
}
