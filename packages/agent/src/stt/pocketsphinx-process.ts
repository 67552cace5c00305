import type { Logger } from '@voicebridge/protocol';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { openAudioFifo } from './audio-fifo.ts';
import { EngineError, throwIfAborted } from './engine-error.ts';
import { PocketsphinxOutputParser, type RecognizedUtterance } from './pocketsphinx-output.ts';
import type { ReadProgress } from './process-probe.ts';
import { TelephoneUpsampler } from './telephone-upsampler.ts';

const ENGINE = 'pocketsphinx';
/** continuous.c logs this once the decoder is loaded, just before it starts reading audio. */
const READY_MARKER = 'COMPILED ON';
/** continuous.c reads 2048 samples (4096 bytes) per fread and decodes only whole blocks. */
export const DECODER_BLOCK_BYTES = 4096;
export const DECODER_SAMPLE_RATE_HZ = 16000;
const STDERR_TAIL_CHARS = 2000;
/** Segment lines of one utterance arrive in one flush; wait this long for a missing `</s>`. */
const OUTPUT_QUIET_MS = 100;
const PROBE_INTERVAL_MS = 10;
/** Silence beyond the endpointing delay written to end an utterance. */
const FLUSH_MARGIN_MS = 300;

/** The stream currently holding a process: its utterances, and its end if it dies first. */
export interface DecoderListener {
  utterance(utterance: RecognizedUtterance): void;
  gone(error: EngineError): void;
}

export interface PocketsphinxDecoderOptions {
  /** Path of `pocketsphinx_continuous` (Debian package `pocketsphinx`). */
  binaryPath: string;
  /** Path of `mkfifo` (coreutils): the audio goes through a named pipe, see audio-fifo.ts. */
  mkfifoPath: string;
  /** Acoustic model directory, language model, dictionary (Debian package `pocketsphinx-en-us`). */
  hmmPath: string;
  lmPath: string;
  dictPath: string;
  /** VAD threshold (log ratio over the noise level): 3.5 instead of 2.0 stops the noise floor alone
   * from opening an utterance whose cepstral-mean update then spoils the next one (ADR 0005). */
  vadThreshold: number;
  /** Initial cepstral mean: phone-band speech after our upsampling, not the wideband default. */
  cmnInit: string;
  /** Frames (10 ms) of silence that end an utterance: the endpointing delay. */
  vadPostspeechFrames: number;
  /** Noise floor of the silence written to end an utterance (see TelephoneUpsampler). */
  noiseFloor: number;
  startTimeoutMs: number;
  /** How much a process has read (procfs on Linux); `undefined` from it means "cannot tell". */
  probe: (pid: number) => Promise<ReadProgress | undefined>;
  log: Logger;
}

export function decoderArgs(options: PocketsphinxDecoderOptions): string[] {
  return [
    '-hmm',
    options.hmmPath,
    '-lm',
    options.lmPath,
    '-dict',
    options.dictPath,
    '-infile',
    '/dev/stdin',
    '-samprate',
    String(DECODER_SAMPLE_RATE_HZ),
    '-time',
    'yes',
    '-vad_threshold',
    String(options.vadThreshold),
    '-vad_postspeech',
    String(options.vadPostspeechFrames),
    '-cmninit',
    options.cmnInit,
  ];
}

/**
 * One warm `pocketsphinx_continuous` reading raw 16 kHz PCM from a pipe. It serves many streams in
 * turn: the stream holding it writes audio and gets each utterance through its listener, and at
 * its end `endUtterance()` flushes and waits until everything written was decoded, so the next
 * stream starts clean. `close()` kills it.
 */
export class PocketsphinxProcess {
  readonly pid: number;
  readonly #child: ChildProcess;
  readonly #stderr: Readable;
  readonly #input: Socket;
  readonly #options: PocketsphinxDecoderOptions;
  readonly #parser: PocketsphinxOutputParser;
  readonly #closed: Promise<void>;
  readonly #onExit: (process: PocketsphinxProcess) => void;
  readonly #silence: TelephoneUpsampler;
  #ready = false;
  #exitError: EngineError | undefined;
  #stderrTail = '';
  #writtenBytes = 0;
  /** `rchar` when it became ready; undefined when procfs cannot tell us what it has read. */
  #baselineReadBytes: number | undefined;
  #listener: DecoderListener | undefined;
  #quietTimer: NodeJS.Timeout | undefined;
  #closing = false;
  /** Its input was ended on purpose: exiting is then how it says it is done. */
  #inputEnded = false;
  /** Pending waits to fail when the process exits; undefined once it has. */
  #goneWaiters: Set<() => void> | undefined = new Set();

  private constructor(
    options: PocketsphinxDecoderOptions,
    readFd: number,
    input: Socket,
    onExit: (process: PocketsphinxProcess) => void,
  ) {
    this.#options = options;
    this.#onExit = onExit;
    this.#silence = new TelephoneUpsampler({ noiseFloor: options.noiseFloor });
    this.#parser = new PocketsphinxOutputParser((utterance) => this.#listener?.utterance(utterance));
    this.#input = input;
    this.#child = spawn(options.binaryPath, decoderArgs(options), { stdio: [readFd, 'pipe', 'pipe'] });
    this.pid = this.#child.pid ?? -1;
    const { stdout, stderr } = this.#child;
    if (!stdout || !stderr) throw new Error('spawn gave no stdout/stderr pipes');
    this.#stderr = stderr;
    stdout.setEncoding('latin1');
    stdout.on('data', (chunk: string) => this.#onStdout(chunk));
    stderr.setEncoding('latin1');
    stderr.on('data', (chunk: string) => {
      this.#stderrTail = (this.#stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
    });
    this.#closed = new Promise<void>((resolve) => {
      // A failed spawn emits 'error' and then 'close' too.
      this.#child.once('error', (error: NodeJS.ErrnoException) => {
        const code = error.code === 'ENOENT' || error.code === 'EACCES' ? 'VB_CONFIG_INVALID' : 'VB_ENGINE_FAILED';
        this.#exitError ??= new EngineError(
          ENGINE,
          code,
          `cannot start ${options.binaryPath}: ${error.code ?? error.message}`,
          { cause: error },
        );
      });
      this.#child.once('close', (code, signal) => {
        this.#exitError ??= this.#describeExit(code, signal);
        resolve();
      });
    }).then(() => this.#afterExit());
  }

  /** Spawns a decoder and resolves once it has loaded its models and waits for audio. */
  static async start(
    options: PocketsphinxDecoderOptions,
    signal: AbortSignal,
    onExit: (process: PocketsphinxProcess) => void = () => {},
  ): Promise<PocketsphinxProcess> {
    throwIfAborted(signal);
    const fifo = await openAudioFifo(options.mkfifoPath, signal).catch((error: unknown) => {
      throwIfAborted(signal);
      throw new EngineError(ENGINE, 'VB_ENGINE_FAILED', `cannot create the audio pipe: ${String(error)}`, {
        cause: error,
      });
    });
    let process: PocketsphinxProcess;
    try {
      process = new PocketsphinxProcess(options, fifo.readFd, fifo.writer, onExit);
    } catch (error) {
      fifo.writer.destroy();
      throw error;
    } finally {
      fifo.closeReadEnd();
    }
    try {
      await process.#waitReady(signal);
      return process;
    } catch (error) {
      await process.close();
      throw error;
    }
  }

  get alive(): boolean {
    return this.#exitError === undefined && !this.#closing;
  }

  /** Whether a stream can end without ending the process (procfs tells us what it has read). */
  get reusable(): boolean {
    return this.alive && this.#baselineReadBytes !== undefined;
  }

  /** 16 kHz samples written since the process started: where the next stream begins in its clock. */
  get writtenSamples(): number {
    return this.#writtenBytes / 2;
  }

  /** Why it is gone (a retryable EngineError unless it never started); undefined while alive. */
  get exitError(): EngineError | undefined {
    return this.#exitError;
  }

  /** Resolves once the process has exited and its output was read. */
  get closed(): Promise<void> {
    return this.#closed;
  }

  /** Who gets the utterances it prints (output with no listener is dropped) and hears of its exit. */
  setListener(listener: DecoderListener | undefined): void {
    this.#listener = listener;
  }

  /** Writes 16 kHz PCM; resolves when the pipe has room again. */
  async write(pcm: Int16Array, signal: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    if (this.#exitError) throw this.#exitError;
    this.#writtenBytes += pcm.byteLength;
    if (this.#input.write(new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength))) return;
    await this.#until(signal, (wake) => {
      this.#input.once('drain', wake);
      return () => this.#input.off('drain', wake);
    });
  }

  /**
   * Resolves true once everything written (a whole number of decoder blocks) has been decoded and
   * its output parsed; false when procfs cannot tell (the caller then ends the input instead).
   */
  async waitUntilDecoded(signal: AbortSignal, timeoutMs: number): Promise<boolean> {
    if (this.#baselineReadBytes === undefined) return false;
    if (this.#writtenBytes % DECODER_BLOCK_BYTES !== 0)
      throw new Error('waitUntilDecoded needs whole decoder blocks written');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.#exitError) throw this.#exitError;
      const progress = await this.#options.probe(this.pid);
      throwIfAborted(signal);
      const read = progress === undefined ? undefined : progress.readBytes - this.#baselineReadBytes;
      if (progress === undefined || read === undefined || read > this.#writtenBytes) {
        // It read something other than our audio: the count no longer tells us anything.
        this.#baselineReadBytes = undefined;
        return false;
      }
      if (read === this.#writtenBytes && progress.sleeping) break;
      if (Date.now() > deadline)
        throw new EngineError(ENGINE, 'VB_ENGINE_FAILED', `decoder did not catch up within ${timeoutMs} ms`);
      await sleep(PROBE_INTERVAL_MS, undefined, { signal });
    }
    // Its output is in our end of the pipe by now: let the event loop read it before we parse.
    await sleep(0, undefined, { signal });
    await nextTurn(undefined, { signal });
    this.#flushOutput();
    return true;
  }

  /**
   * Ends whatever utterance is open by writing silence (the endpointing delay plus margin, rounded up
   * to whole decoder blocks), then waits until all of it was decoded: the stream's last transcript
   * has been given and the process is clean for the next stream. False when that cannot be known.
   */
  async endUtterance(signal: AbortSignal, timeoutMs: number): Promise<boolean> {
    if (this.#baselineReadBytes === undefined) return false;
    const blockSamples = DECODER_BLOCK_BYTES / 2;
    const minimum = ((this.#options.vadPostspeechFrames * 10 + FLUSH_MARGIN_MS) * DECODER_SAMPLE_RATE_HZ) / 1000;
    const end = Math.ceil((this.writtenSamples + minimum) / blockSamples) * blockSamples;
    await this.write(this.#silence.silence(end - this.writtenSamples), signal);
    return this.waitUntilDecoded(signal, timeoutMs);
  }

  /** Ends its input: it decodes what is left, prints the last utterance and exits. */
  async endInput(signal: AbortSignal): Promise<void> {
    this.#inputEnded = true;
    this.#input.end();
    await new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const onAbort = (): void => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      void this.#closed.then(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  /** Idempotent; kills the process (it keeps no state worth a graceful stop) and awaits its exit. */
  async close(): Promise<void> {
    this.#closing = true;
    if (this.#exitError === undefined) this.#child.kill('SIGKILL');
    await this.#closed;
  }

  async #waitReady(signal: AbortSignal): Promise<void> {
    const startedAt = Date.now();
    await this.#until(signal, (wake) => {
      const onData = (chunk: string): void => {
        if (chunk.includes(READY_MARKER) || this.#stderrTail.includes(READY_MARKER)) wake();
      };
      const timer = setTimeout(() => {
        this.#exitError ??= new EngineError(
          ENGINE,
          'VB_ENGINE_FAILED',
          `not ready within ${this.#options.startTimeoutMs} ms`,
        );
        this.#child.kill('SIGKILL');
      }, this.#options.startTimeoutMs);
      this.#stderr.on('data', onData);
      return () => {
        clearTimeout(timer);
        this.#stderr.off('data', onData);
      };
    });
    const progress = await this.#options.probe(this.pid);
    throwIfAborted(signal);
    if (this.#exitError) throw this.#exitError;
    this.#baselineReadBytes = progress?.readBytes;
    this.#ready = true;
    this.#options.log.debug(
      {
        pid: this.pid,
        loadMs: Date.now() - startedAt,
        reusable: progress !== undefined,
      },
      'pocketsphinx ready',
    );
  }

  /** Waits for `subscribe`'s wake-up; rejects on abort, or with the exit error if the process goes first. */
  #until(signal: AbortSignal, subscribe: (wake: () => void) => () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      if (this.#goneWaiters === undefined) return reject(this.#exitError);
      let settled = false;
      let unsubscribe = (): void => {};
      const settle = (error?: unknown): void => {
        if (settled) return;
        settled = true;
        unsubscribe();
        signal.removeEventListener('abort', onAbort);
        this.#goneWaiters?.delete(onGone);
        if (error === undefined) resolve();
        else reject(error);
      };
      const onAbort = (): void => settle(signal.reason);
      const onGone = (): void => settle(this.#exitError);
      signal.addEventListener('abort', onAbort, { once: true });
      this.#goneWaiters?.add(onGone);
      unsubscribe = subscribe(() => settle());
    });
  }

  #onStdout(chunk: string): void {
    this.#parser.push(chunk);
    clearTimeout(this.#quietTimer);
    this.#quietTimer = setTimeout(() => this.#flushOutput(), OUTPUT_QUIET_MS);
  }

  #flushOutput(): void {
    clearTimeout(this.#quietTimer);
    this.#quietTimer = undefined;
    this.#parser.flush();
  }

  #describeExit(code: number | null, signal: NodeJS.Signals | null): EngineError {
    const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
    if (this.#closing) return new EngineError(ENGINE, 'VB_CLOSED', 'closed');
    if (this.#inputEnded && code === 0) return new EngineError(ENGINE, 'VB_CLOSED', 'input ended');
    // Exiting by itself before it was ready is a model or argument problem a retry will not fix.
    if (!this.#ready && signal === null) {
      const detail = this.#stderrTail
        .split('\n')
        .filter((line) => /ERROR|FATAL/.test(line))
        .slice(-2)
        .join(' | ');
      return new EngineError(ENGINE, 'VB_CONFIG_INVALID', `${how} while loading${detail ? `: ${detail}` : ''}`);
    }
    return new EngineError(ENGINE, 'VB_ENGINE_FAILED', `process ${how}`);
  }

  #afterExit(): void {
    this.#input.destroy();
    this.#flushOutput();
    const listener = this.#listener;
    this.#listener = undefined;
    const error = this.#exitError ?? new EngineError(ENGINE, 'VB_ENGINE_FAILED', 'process exited');
    if (!(this.#inputEnded && error.code === 'VB_CLOSED')) listener?.gone(error);
    const waiters = this.#goneWaiters;
    this.#goneWaiters = undefined;
    for (const waiter of waiters ?? []) waiter();
    this.#onExit(this);
  }
}
