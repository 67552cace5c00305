import { silentLogger, type Logger } from '@voicebridge/protocol';
import { EngineError, throwIfAborted } from './engine-error.ts';
import { PocketsphinxProcess, type PocketsphinxDecoderOptions } from './pocketsphinx-process.ts';
import { probeReadProgress } from './process-probe.ts';
import { DEFAULT_NOISE_FLOOR } from './telephone-upsampler.ts';

const ENGINE = 'pocketsphinx';
const MODEL_DIR = '/usr/share/pocketsphinx/model/en-us';

/**
 * Decoder defaults, measured in ADR 0005. The cepstral mean is the average over five flite voices
 * after G.711 μ-law and our 8→16 kHz upsampling (phone band), in place of the model's wideband one.
 */
export const POCKETSPHINX_DEFAULTS = {
  binaryPath: 'pocketsphinx_continuous',
  mkfifoPath: 'mkfifo',
  hmmPath: `${MODEL_DIR}/en-us`,
  lmPath: `${MODEL_DIR}/en-us.lm.bin`,
  dictPath: `${MODEL_DIR}/cmudict-en-us.dict`,
  vadThreshold: 3.5,
  cmnInit: '47.89,5.84,1.39,14.95,1.69,-2.09,-0.62,0.46,-9.78,7.73,-4.74,7.24,-1.75',
  vadPostspeechFrames: 50,
  noiseFloor: DEFAULT_NOISE_FLOOR,
  startTimeoutMs: 30_000,
  probe: probeReadProgress,
} as const satisfies Omit<PocketsphinxDecoderOptions, 'log'>;

export interface PocketsphinxPoolOptions extends Partial<Omit<PocketsphinxDecoderOptions, 'log'>> {
  /** Decoders kept loaded; at most this many streams run at once (others wait in `acquire`). */
  size?: number;
  /** Longest wait for a decoder to catch up at the end of a stream before it is replaced. */
  drainTimeoutMs?: number;
  log?: Logger;
}

/** A decoder lent to one stream. Give it back exactly once (further calls do nothing). */
export class PocketsphinxLease {
  readonly process: PocketsphinxProcess;
  readonly #giveBack: (process: PocketsphinxProcess, decoded: boolean) => void;
  #returned = false;

  constructor(process: PocketsphinxProcess, giveBack: (process: PocketsphinxProcess, decoded: boolean) => void) {
    this.process = process;
    this.#giveBack = giveBack;
  }

  /** `decoded`: the stream ended with everything it wrote decoded; otherwise the pool cleans it up. */
  release(decoded: boolean): void {
    if (this.#returned) return;
    this.#returned = true;
    this.#giveBack(this.process, decoded);
  }
}

interface Waiter {
  resolve(process: PocketsphinxProcess): void;
  reject(error: unknown): void;
}

/**
 * Warm `pocketsphinx_continuous` processes, so no call waits the ~1 s a decoder takes to load
 * (ADR 0005). A process serves one stream at a time and many streams in turn; one that dies or
 * cannot be cleaned is replaced. `close()` kills them all and fails pending `acquire`s.
 */
export class PocketsphinxPool {
  readonly size: number;
  readonly #decoder: PocketsphinxDecoderOptions;
  readonly #drainTimeoutMs: number;
  readonly #log: Logger;
  readonly #all = new Set<PocketsphinxProcess>();
  readonly #idle: PocketsphinxProcess[] = [];
  readonly #waiters: Waiter[] = [];
  /** Aborts spawns and clean-ups in flight when the pool closes. */
  readonly #lifetime = new AbortController();
  #starting = 0;
  #failedStarts = 0;
  #closePromise: Promise<void> | undefined;

  constructor(options: PocketsphinxPoolOptions = {}) {
    const { size = 1, drainTimeoutMs = 15_000, log = silentLogger, ...decoder } = options;
    if (!Number.isInteger(size) || size < 1)
      throw new EngineError(ENGINE, 'VB_CONFIG_INVALID', `pool size must be a positive integer, got ${size}`);
    this.size = size;
    this.#drainTimeoutMs = drainTimeoutMs;
    this.#log = log;
    this.#decoder = { ...POCKETSPHINX_DEFAULTS, ...decoder, log };
  }

  get drainTimeoutMs(): number {
    return this.#drainTimeoutMs;
  }

  /** The noise floor the decoders were tuned with; streams upsample with the same. */
  get noiseFloor(): number {
    return this.#decoder.noiseFloor;
  }

  get dictPath(): string {
    return this.#decoder.dictPath;
  }

  /** Loads decoders up to `size` and resolves when they are ready (rejects if one cannot start). */
  async warmUp(signal: AbortSignal): Promise<void> {
    const missing = this.size - this.#all.size - this.#starting;
    const started = await Promise.allSettled(Array.from({ length: Math.max(0, missing) }, () => this.#start(signal)));
    for (const result of started) if (result.status === 'fulfilled') this.#giveBack(result.value);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** A ready decoder for one stream: an idle one, a new one while under `size`, else the next freed. */
  async acquire(signal: AbortSignal): Promise<PocketsphinxLease> {
    throwIfAborted(signal);
    if (this.#closePromise) throw new EngineError(ENGINE, 'VB_CLOSED', 'pool closed');
    const process =
      this.#idle.shift() ??
      (this.#all.size + this.#starting < this.size ? await this.#start(signal) : await this.#wait(signal));
    return new PocketsphinxLease(process, (returned, decoded) => this.#release(returned, decoded));
  }

  /** Idempotent: kills every decoder (busy ones too) and waits for them to exit. */
  close(): Promise<void> {
    this.#closePromise ??= (async () => {
      this.#lifetime.abort(new EngineError(ENGINE, 'VB_CLOSED', 'pool closed'));
      for (const waiter of this.#waiters.splice(0)) waiter.reject(new EngineError(ENGINE, 'VB_CLOSED', 'pool closed'));
      this.#idle.length = 0;
      await Promise.all([...this.#all].map((process) => process.close()));
    })();
    return this.#closePromise;
  }

  async #start(signal: AbortSignal): Promise<PocketsphinxProcess> {
    this.#starting++;
    const combined = AbortSignal.any([signal, this.#lifetime.signal]);
    try {
      const process = await PocketsphinxProcess.start(this.#decoder, combined, (gone) => this.#onExit(gone));
      this.#failedStarts = 0;
      if (this.#closePromise) {
        await process.close();
        throw new EngineError(ENGINE, 'VB_CLOSED', 'pool closed');
      }
      this.#all.add(process);
      return process;
    } catch (error) {
      if (!signal.aborted && !this.#closePromise) this.#failedStarts++;
      throw error;
    } finally {
      this.#starting--;
    }
  }

  #wait(signal: AbortSignal): Promise<PocketsphinxProcess> {
    return new Promise<PocketsphinxProcess>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(signal.reason);
      };
      const waiter: Waiter = {
        resolve: (process) => {
          signal.removeEventListener('abort', onAbort);
          resolve(process);
        },
        reject: (error) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      this.#waiters.push(waiter);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  #release(process: PocketsphinxProcess, decoded: boolean): void {
    process.setListener(undefined);
    if (decoded && process.alive) return this.#giveBack(process);
    void this.#clean(process);
  }

  /** Ends what the last stream left open and discards its output, or replaces the process. */
  async #clean(process: PocketsphinxProcess): Promise<void> {
    let clean = false;
    try {
      clean = process.reusable && (await process.endUtterance(this.#lifetime.signal, this.#drainTimeoutMs));
    } catch (error) {
      if (!this.#closePromise)
        this.#log.warn({ pid: process.pid, err: String(error) }, 'pocketsphinx could not be cleaned; replacing it');
    }
    if (clean) return this.#giveBack(process);
    await process.close();
  }

  #giveBack(process: PocketsphinxProcess): void {
    if (this.#closePromise || !process.alive) {
      void process.close();
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter) waiter.resolve(process);
    else this.#idle.push(process);
  }

  #onExit(process: PocketsphinxProcess): void {
    // One that never became ready is reported to whoever started it, and not replaced from here.
    if (!this.#all.delete(process)) return;
    const index = this.#idle.indexOf(process);
    if (index >= 0) this.#idle.splice(index, 1);
    if (this.#closePromise) return;
    const reason = process.exitError;
    if (reason?.code !== 'VB_CLOSED')
      this.#log.warn({ pid: process.pid, reason: reason?.message }, 'pocketsphinx exited');
    this.#replenish();
  }

  /** Keeps `size` decoders warm; after a failed start, only a waiting stream triggers another try. */
  #replenish(): void {
    if (this.#closePromise || this.#all.size + this.#starting >= this.size) return;
    if (this.#failedStarts > 0 && this.#waiters.length === 0) return;
    this.#start(this.#lifetime.signal).then(
      (process) => this.#giveBack(process),
      (error: unknown) => {
        if (this.#closePromise) return;
        this.#log.warn({ err: String(error) }, 'pocketsphinx could not be started');
        this.#waiters.shift()?.reject(error);
      },
    );
  }
}
