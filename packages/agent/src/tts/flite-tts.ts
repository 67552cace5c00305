import { FLITE_VOICES, silentLogger, type Logger } from '@voicebridge/protocol';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineError, throwIfAborted } from '../stt/engine-error.ts';
import { splitClauses, type ClauseOptions } from './clauses.ts';
import { decimate } from './decimate.ts';
import type { SynthesizeOptions, TextToSpeech } from './text-to-speech.ts';
import { parseWav, WavFormatError } from './wav.ts';

const ENGINE = 'flite';
const OUTPUT_RATE_HZ = 8000;
const STDERR_TAIL_CHARS = 1000;

// A voice name may also be a path or URL to a voice file, so only names on FLITE_VOICES (or the
// configured default) ever reach the command line.
export { FLITE_VOICES };

export interface FliteTtsOptions {
  binaryPath?: string;
  /** Used when a call names no voice. rms: the voice pocketsphinx recognises best after G.711 (ADR 0005). */
  defaultVoice?: string;
  voices?: readonly string[];
  /** Samples per yielded chunk (1,600 = 200 ms). */
  chunkSamples?: number;
  clauses?: ClauseOptions;
  log?: Logger;
}

/**
 * Debian's `flite`, one short-lived process per clause (~10–40 ms each, so nothing to keep warm):
 * the text is an argument, never shell input. Flite writes a whole WAV per utterance and cannot write
 * it to a socket (Node's child stdio), so each goes through a file in a private temp directory.
 * While the consumer takes one clause's audio, the next clause is already being synthesised.
 */
export class FliteTts implements TextToSpeech {
  readonly #binaryPath: string;
  readonly #defaultVoice: string;
  readonly #voices: ReadonlySet<string>;
  readonly #chunkSamples: number;
  readonly #clauseOptions: ClauseOptions;
  readonly #log: Logger;
  readonly #running = new Set<{ kill(): void; done: Promise<void> }>();
  readonly #lifetime = new AbortController();
  #dir: Promise<string> | undefined;
  #files = 0;
  #closePromise: Promise<void> | undefined;

  constructor(options: FliteTtsOptions = {}) {
    this.#binaryPath = options.binaryPath ?? 'flite';
    this.#defaultVoice = options.defaultVoice ?? 'rms';
    this.#voices = new Set([...(options.voices ?? FLITE_VOICES), this.#defaultVoice]);
    this.#chunkSamples = options.chunkSamples ?? 1600;
    this.#clauseOptions = options.clauses ?? {};
    this.#log = options.log ?? silentLogger;
  }

  voiceProblem(voice: string | undefined): string | undefined {
    if (voice === undefined || this.#voices.has(voice)) return undefined;
    return `flite has no voice ${JSON.stringify(voice.slice(0, 64))}; valid voices: ${[...this.#voices].join(', ')}`;
  }

  /** Flite processes alive right now. */
  get runningProcesses(): number {
    return this.#running.size;
  }

  synthesize(text: string, options: SynthesizeOptions): AsyncIterable<Int16Array> {
    return this.#synthesize(text, options);
  }

  /** Idempotent: kills running syntheses (their streams end with VB_CLOSED) and removes the temp dir. */
  close(): Promise<void> {
    this.#closePromise ??= (async () => {
      this.#lifetime.abort(new EngineError(ENGINE, 'VB_CLOSED', 'synthesiser closed'));
      for (const process of this.#running) process.kill();
      await Promise.all([...this.#running].map((process) => process.done));
      const dir = await this.#dir?.catch(() => undefined);
      if (dir) await rm(dir, { recursive: true, force: true });
    })();
    return this.#closePromise;
  }

  async *#synthesize(text: string, options: SynthesizeOptions): AsyncGenerator<Int16Array> {
    if (options.sampleRateHz !== OUTPUT_RATE_HZ)
      throw new EngineError(
        ENGINE,
        'VB_CONFIG_INVALID',
        `produces 8000 Hz audio, asked for ${String(options.sampleRateHz)}`,
      );
    const voice = options.voice ?? this.#defaultVoice;
    if (!this.#voices.has(voice))
      throw new EngineError(ENGINE, 'VB_CONFIG_INVALID', `unknown voice "${voice.slice(0, 64)}"`);
    if (this.#closePromise) throw new EngineError(ENGINE, 'VB_CLOSED', 'synthesiser closed');
    throwIfAborted(options.signal);
    const clauses = splitClauses(text, this.#clauseOptions);
    const stop = new AbortController();
    const signal = AbortSignal.any([options.signal, this.#lifetime.signal, stop.signal]);
    let next: Promise<Int16Array> | undefined;
    try {
      for (let index = 0; index < clauses.length; index++) {
        const current = next ?? this.#render(clauses[index]!, voice, signal);
        const audio = await current;
        // Synthesise the next clause while this one is being played.
        next = index + 1 < clauses.length ? this.#render(clauses[index + 1]!, voice, signal) : undefined;
        next?.catch(() => {}); // it is awaited on the next turn; do not report it unhandled meanwhile
        for (let offset = 0; offset < audio.length; offset += this.#chunkSamples) {
          throwIfAborted(signal);
          yield audio.slice(offset, offset + this.#chunkSamples);
        }
      }
    } finally {
      stop.abort();
      await next?.catch(() => {});
    }
  }

  /** One clause → 8 kHz PCM. */
  async #render(clause: string, voice: string, signal: AbortSignal): Promise<Int16Array> {
    throwIfAborted(signal);
    this.#dir ??= mkdtemp(join(tmpdir(), 'voicebridge-tts-')).catch((error: unknown) => {
      this.#dir = undefined; // try again next time
      throw new EngineError(ENGINE, 'VB_ENGINE_FAILED', `cannot create a temp directory: ${String(error)}`, {
        cause: error,
      });
    });
    const dir = await this.#dir;
    throwIfAborted(signal);
    const file = join(dir, `${++this.#files}.wav`);
    try {
      await this.#run(['-voice', voice, '-t', clause, '-o', file], signal);
      const wav = parseWav(await readFile(file));
      try {
        return decimate(wav.samples, wav.sampleRateHz, OUTPUT_RATE_HZ);
      } catch (error) {
        throw new EngineError(ENGINE, 'VB_CONFIG_INVALID', `voice "${voice}" writes ${wav.sampleRateHz} Hz`, {
          cause: error,
        });
      }
    } catch (error) {
      if (error instanceof WavFormatError)
        throw new EngineError(ENGINE, 'VB_ENGINE_FAILED', error.message, { cause: error });
      if (!(error instanceof EngineError) && !signal.aborted)
        throw new EngineError(ENGINE, 'VB_ENGINE_FAILED', `reading its output failed: ${String(error)}`, {
          cause: error,
        });
      throw error;
    } finally {
      await rm(file, { force: true });
    }
  }

  /** Runs flite to completion; on abort kills it and rejects with the signal's reason once it is gone. */
  #run(args: string[], signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const child = spawn(this.#binaryPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-STDERR_TAIL_CHARS)));
      let spawnError: NodeJS.ErrnoException | undefined;
      child.once('error', (error: NodeJS.ErrnoException) => (spawnError = error));
      let markDone = (): void => {};
      const entry = {
        kill: (): void => {
          child.kill('SIGKILL');
        },
        done: new Promise<void>((resolve) => (markDone = resolve)),
      };
      this.#running.add(entry);
      const onAbort = (): void => entry.kill();
      signal.addEventListener('abort', onAbort, { once: true });
      child.once('close', (code, killedBy) => {
        signal.removeEventListener('abort', onAbort);
        this.#running.delete(entry);
        markDone();
        if (signal.aborted) return reject(signal.reason);
        if (spawnError) {
          const missing = spawnError.code === 'ENOENT' || spawnError.code === 'EACCES';
          return reject(
            new EngineError(
              ENGINE,
              missing ? 'VB_CONFIG_INVALID' : 'VB_ENGINE_FAILED',
              `cannot start ${this.#binaryPath}: ${spawnError.code ?? spawnError.message}`,
              { cause: spawnError },
            ),
          );
        }
        if (code === 0 && !stderr.includes("can't open")) return resolve();
        const detail = stderr.trim().split('\n').at(-1) ?? '';
        this.#log.warn({ code, signal: killedBy, detail }, 'flite failed');
        reject(
          new EngineError(
            ENGINE,
            'VB_ENGINE_FAILED',
            `${killedBy ? `killed by ${killedBy}` : `exited with code ${code}`}${detail ? `: ${detail}` : ''}`,
          ),
        );
      });
    });
  }
}
