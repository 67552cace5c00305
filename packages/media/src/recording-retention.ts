import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';

/** `<stamp>-<callId>.r<days>d.wav`, as CallRecorder names them. */
const RECORDING_NAME = /\.r(\d{1,4})d\.wav$/;
const DAY_MS = 86_400_000;
/** How often the directory is swept; default hourly. */
const DEFAULT_SWEEP_INTERVAL_MS = 3_600_000;

export interface RecordingRetentionOptions {
  dir: string;
  log: Logger;
  sweepIntervalMs?: number;
  /** Wall clock; default Date.now. */
  now?: () => number;
}

/**
 * Deletes recordings older than their number's retention. The retention is in the
 * file name (`.r7d.wav` = 7 days), the age is the file's modification time, i.e. when the call's
 * audio was last written. Files that do not look like ours are never touched. One sweep at start,
 * then one per interval; a sweep never overlaps the previous one.
 */
export class RecordingRetention {
  readonly #options: RecordingRetentionOptions;
  #timer: NodeJS.Timeout | undefined;
  #sweeping: Promise<number> | undefined;
  #closed = false;

  constructor(options: RecordingRetentionOptions) {
    this.#options = options;
  }

  start(): void {
    if (this.#closed || this.#timer) return;
    void this.sweep();
    this.#timer = setInterval(() => void this.sweep(), this.#options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS);
    this.#timer.unref();
  }

  /** Deletes what has expired; resolves with how many files went. Never rejects. */
  sweep(): Promise<number> {
    this.#sweeping ??= this.#sweepOnce().finally(() => (this.#sweeping = undefined));
    return this.#sweeping;
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #sweepOnce(): Promise<number> {
    const { dir, log } = this.#options;
    const now = (this.#options.now ?? Date.now)();
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        log.warn({ err: error, dir }, 'recording sweep: cannot read the directory');
      return 0;
    }
    let deleted = 0;
    for (const name of names) {
      const days = Number(RECORDING_NAME.exec(name)?.[1] ?? NaN);
      if (!(days >= 1)) continue;
      const path = join(dir, name);
      try {
        const info = await stat(path);
        if (!info.isFile() || now - info.mtimeMs < days * DAY_MS) continue;
        await unlink(path);
        deleted++;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
          log.warn({ err: error, path }, 'recording sweep: cannot delete');
      }
    }
    if (deleted > 0) log.info({ dir, deleted }, 'expired recordings deleted');
    return deleted;
  }
}
