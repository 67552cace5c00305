import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Resampler } from '@voicebridge/rtp';

const run = promisify(execFile);
/** flite renders a sentence in well under this; a hung process must not hold the call. */
const FLITE_TIMEOUT_MS = 20_000;

/**
 * The caller's question as 8 kHz mono PCM: `text` synthesised offline by flite (no cloud voice, so
 * a test call costs nothing and runs without network), or a WAV file read as is.
 */
export async function questionAudio(source: { text: string } | { wavPath: string }): Promise<Int16Array> {
  if ('wavPath' in source) return readWav(await readFile(source.wavPath), source.wavPath);
  const dir = await mkdtemp(join(tmpdir(), 'vb-test-call-'));
  try {
    const path = join(dir, 'question.wav');
    try {
      await run('flite', ['-voice', 'rms', '-t', source.text, '-o', path], { timeout: FLITE_TIMEOUT_MS });
    } catch (error) {
      const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'flite is not installed' : String(error);
      throw new Error(`cannot synthesise the question with flite: ${why}`);
    }
    return readWav(await readFile(path), 'flite output');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A RIFF/WAVE file of 16-bit PCM (RFC 2361 format 1), mono or the first channel of several,
 * resampled to 8 kHz:
 *
 *   "RIFF" size "WAVE" { chunk id (4) | chunk size (4, LE) | data }...
 *   "fmt ": format (2) channels (2) rate (4) byte rate (4) block align (2) bits (2)
 */
export function readWav(file: Buffer, name: string): Int16Array {
  if (file.length < 12 || file.toString('latin1', 0, 4) !== 'RIFF' || file.toString('latin1', 8, 12) !== 'WAVE')
    throw new Error(`${name} is not a WAV file`);
  let format: { channels: number; rateHz: number; bits: number; code: number } | undefined;
  let offset = 12;
  while (offset + 8 <= file.length) {
    const id = file.toString('latin1', offset, offset + 4);
    const size = file.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ' && size >= 16 && body + 16 <= file.length) {
      format = {
        code: file.readUInt16LE(body),
        channels: file.readUInt16LE(body + 2),
        rateHz: file.readUInt32LE(body + 4),
        bits: file.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (format === undefined) throw new Error(`${name}: WAV data before its fmt chunk`);
      if (format.code !== 1 || format.bits !== 16 || format.channels < 1 || format.rateHz <= 0)
        throw new Error(`${name}: only 16-bit PCM WAV is supported`);
      const frames = Math.floor(Math.min(size, file.length - body) / (2 * format.channels));
      const pcm = new Int16Array(frames);
      for (let i = 0; i < frames; i++) pcm[i] = file.readInt16LE(body + i * 2 * format.channels);
      return format.rateHz === 8000 ? pcm : resample(pcm, format.rateHz);
    }
    offset = body + size + (size % 2);
  }
  throw new Error(`${name}: WAV file without a data chunk`);
}

function resample(pcm: Int16Array, rateHz: number): Int16Array {
  const resampler = new Resampler({ inputRateHz: rateHz });
  const out = new Int16Array(resampler.maxOutputFor(pcm.length) + resampler.maxFlushOutput);
  let n = resampler.process(pcm, out);
  n += resampler.flush(out, n);
  return out.subarray(0, n);
}
