import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { decoderFor, type G711Codec, type G711Decoder } from '@voicebridge/rtp';
import type { Logger } from 'pino';

const SAMPLE_RATE_HZ = 8000;
const SAMPLES_PER_MS = SAMPLE_RATE_HZ / 1000;
const CHANNELS = 2;
const WAV_HEADER_BYTES = 44;
/** Audio is held this long before it is written (late packets still land in place): 4 s. */
const WINDOW_SAMPLES = 4 * SAMPLE_RATE_HZ;
/** Written once it is this far behind the newest sample: 1 s. */
const FLUSH_LAG_SAMPLES = SAMPLE_RATE_HZ;
/** A caller packet this far from where its RTP timestamp puts it starts a new timeline: 200 ms. */
const REANCHOR_SAMPLES = 200 * SAMPLES_PER_MS;

export interface CallRecorderOptions {
  dir: string;
  callId: string;
  codec: G711Codec;
  retentionDays: number;
  /** Time zero of the recording on the media clock (performance.now()), e.g. the allocation. */
  startMs: number;
  log: Logger;
  /** Wall clock for the file name; default Date.now(). */
  nowMs?: number;
}

/** What the call record gets: where the WAV is and how long it runs. */
export interface RecordingRef {
  path: string;
  durationMs: number;
}

/**
 * One call's recording: a stereo 16-bit 8 kHz WAV, caller left, agent right, of
 * what crossed the wire, placed on the media clock: a caller packet at its arrival time (its RTP
 * timestamp keeps packets of one stream in place despite jitter), an agent packet at its send
 * time; silence where nothing was. Audio is held in a 4 s window and appended to the file in order
 * as it falls 1 s behind; `close()` writes the rest and the header's sizes.
 *
 * The file name ends in `.r<days>d.wav`: the retention travels with the file, so the sweep
 * (RecordingRetention) needs no index.
 */
export class CallRecorder {
  readonly path: string;
  readonly #startMs: number;
  readonly #log: Logger;
  readonly #decode: G711Decoder;
  readonly #decoded = new Int16Array(SAMPLE_RATE_HZ);
  /** Interleaved L/R ring of WINDOW_SAMPLES frames; frame n lives at (n % WINDOW_SAMPLES). */
  readonly #ring = new Int16Array(WINDOW_SAMPLES * CHANNELS);
  /** Frames before this one are in the file (or queued for it). */
  #flushed = 0;
  /** One past the last frame any side wrote. */
  #end = 0;
  #anchorSsrc = -1;
  /** Caller frame = anchor + RTP timestamp (mod 2^32). */
  #anchor = 0;
  #file: Promise<FileHandle | undefined>;
  #writes: Promise<void> = Promise.resolve();
  #failed = false;
  #closed: Promise<RecordingRef> | undefined;

  constructor(options: CallRecorderOptions) {
    this.#startMs = options.startMs;
    this.#log = options.log;
    this.#decode = decoderFor(options.codec);
    const stamp = new Date(options.nowMs ?? Date.now())
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    const safeId = options.callId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 100);
    this.path = join(options.dir, `${stamp}-${safeId}.r${options.retentionDays}d.wav`);
    this.#file = this.#open(options.dir);
    this.#file.catch(() => undefined);
  }

  /** A caller packet's G.711 payload, arrived at `arrivalMs` on the media clock. */
  caller(payload: Uint8Array, timestamp: number, ssrc: number, arrivalMs: number): void {
    if (this.#closed || payload.length === 0 || payload.length > this.#decoded.length) return;
    const arrival = Math.round((arrivalMs - this.#startMs) * SAMPLES_PER_MS);
    let frame = this.#anchor + (timestamp >>> 0);
    if (ssrc !== this.#anchorSsrc || Math.abs(frame - arrival) > REANCHOR_SAMPLES) {
      // A new stream, or a timestamp jump: it starts where it arrived.
      this.#anchorSsrc = ssrc;
      this.#anchor = arrival - (timestamp >>> 0);
      frame = arrival;
    } else if (frame > arrival) {
      // This packet came sooner than the anchor allows: the packet that set it was delayed. The
      // anchor follows the least-delayed packet, so jitter never pushes the caller's audio later.
      this.#anchor -= frame - arrival;
      frame = arrival;
    }
    this.#decode(payload, this.#decoded);
    this.#put(0, frame, this.#decoded, payload.length);
  }

  /** An agent packet's G.711 payload as sent at `sentMs` on the media clock. */
  agent(payload: Uint8Array, sentMs: number): void {
    if (this.#closed || payload.length === 0 || payload.length > this.#decoded.length) return;
    this.#decode(payload, this.#decoded);
    this.#put(1, Math.round((sentMs - this.#startMs) * SAMPLES_PER_MS), this.#decoded, payload.length);
  }

  /** Appends what is more than 1 s old, a second at a time; cheap to call every tick. */
  flush(nowMs: number): void {
    const target = Math.round((nowMs - this.#startMs) * SAMPLES_PER_MS) - FLUSH_LAG_SAMPLES;
    if (this.#closed || target - this.#flushed < SAMPLE_RATE_HZ) return;
    this.#flushTo(target);
  }

  /** Writes the rest and the header; resolves with the file and its length. Idempotent. */
  close(): Promise<RecordingRef> {
    this.#closed ??= (async () => {
      this.#flushTo(this.#end);
      await this.#writes;
      const handle = await this.#file.catch(() => undefined);
      const frames = this.#flushed;
      if (handle) {
        try {
          await handle.write(wavHeader(frames), 0, WAV_HEADER_BYTES, 0);
        } catch (error) {
          this.#fail(error);
        } finally {
          await handle.close().catch(() => undefined);
        }
      }
      return { path: this.path, durationMs: Math.round(frames / SAMPLES_PER_MS) };
    })();
    return this.#closed;
  }

  /** Length so far, ms (for the close result before the file is finished). */
  get durationMs(): number {
    return Math.round(this.#end / SAMPLES_PER_MS);
  }

  #put(channel: number, frame: number, samples: Int16Array, count: number): void {
    let start = 0;
    if (frame < this.#flushed) start = this.#flushed - frame; // too late: already in the file
    if (start >= count) return;
    const last = frame + count;
    // Keep the window: write out what the new audio would overwrite.
    if (last - this.#flushed > WINDOW_SAMPLES) this.#flushTo(last - WINDOW_SAMPLES);
    const ring = this.#ring;
    for (let i = start; i < count; i++)
      ring[((frame + i) % WINDOW_SAMPLES) * CHANNELS + channel] = samples[i] as number;
    if (last > this.#end) this.#end = last;
  }

  #flushTo(target: number): void {
    // Past the last audio too: the file runs on the media clock, silence where nothing came.
    const upTo = Math.floor(target);
    if (upTo <= this.#flushed) return;
    const frames = upTo - this.#flushed;
    const out = Buffer.alloc(frames * CHANNELS * 2);
    const ring = this.#ring;
    for (let n = 0; n < frames; n++) {
      const slot = ((this.#flushed + n) % WINDOW_SAMPLES) * CHANNELS;
      out.writeInt16LE(ring[slot] as number, n * 4);
      out.writeInt16LE(ring[slot + 1] as number, n * 4 + 2);
      ring[slot] = 0;
      ring[slot + 1] = 0;
    }
    const position = WAV_HEADER_BYTES + this.#flushed * CHANNELS * 2;
    this.#flushed = upTo;
    if (upTo > this.#end) this.#end = upTo;
    this.#writes = this.#writes.then(async () => {
      const handle = await this.#file.catch(() => undefined);
      if (!handle || this.#failed) return;
      try {
        await handle.write(out, 0, out.length, position);
      } catch (error) {
        this.#fail(error);
      }
    });
  }

  async #open(dir: string): Promise<FileHandle | undefined> {
    try {
      await mkdir(dir, { recursive: true });
      const handle = await open(this.path, 'w');
      await handle.write(wavHeader(0), 0, WAV_HEADER_BYTES, 0);
      return handle;
    } catch (error) {
      this.#fail(error);
      return undefined;
    }
  }

  #fail(error: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    // A full disk must cost the recording, never the call.
    this.#log.error({ err: error, path: this.path }, 'call recording failed: the call goes on unrecorded');
  }
}

/** RIFF/WAVE, PCM, 2 channels, 8 kHz, 16 bit, `frames` frames of data. */
export function wavHeader(frames: number): Buffer {
  const dataBytes = frames * CHANNELS * 2;
  const header = Buffer.alloc(WAV_HEADER_BYTES);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(CHANNELS, 22);
  header.writeUInt32LE(SAMPLE_RATE_HZ, 24);
  header.writeUInt32LE(SAMPLE_RATE_HZ * CHANNELS * 2, 28);
  header.writeUInt16LE(CHANNELS * 2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(dataBytes, 40);
  return header;
}
