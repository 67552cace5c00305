/**
 * RIFF/WAVE reader for what a TTS process writes: walks the chunks to `fmt ` and `data` instead of
 * assuming a 44-byte header (writers add `LIST`, `fact`, … chunks). Little-endian throughout:
 *
 *   "RIFF" u32 size "WAVE" { id[4] u32 size payload[size] pad-to-even }*
 *   fmt : u16 format (1 = PCM, 0xFFFE = extensible) u16 channels u32 sampleRate u32 byteRate
 *         u16 blockAlign u16 bitsPerSample
 *
 * A `data` size of 0 or 0xFFFFFFFF (a writer that streamed and could not seek back) or past the end
 * of the file means "to the end of the file".
 */
export interface WavPcm {
  sampleRateHz: number;
  /** Mono 16-bit samples (a stereo file is mixed down). */
  samples: Int16Array;
}

const PCM = 1;
const EXTENSIBLE = 0xfffe;

export class WavFormatError extends Error {
  constructor(message: string) {
    super(`invalid WAV: ${message}`);
    this.name = 'WavFormatError';
  }
}

export function parseWav(bytes: Uint8Array): WavPcm {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (offset: number): string => String.fromCharCode(...bytes.subarray(offset, offset + 4));
  if (bytes.byteLength < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new WavFormatError('no RIFF/WAVE header');
  let format: { channels: number; sampleRateHz: number; bitsPerSample: number } | undefined;
  let offset = 12;
  while (offset + 8 <= bytes.byteLength) {
    const id = tag(offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > bytes.byteLength) throw new WavFormatError('short fmt chunk');
      const formatTag = view.getUint16(body, true);
      if (formatTag !== PCM && formatTag !== EXTENSIBLE) throw new WavFormatError(`format ${formatTag} is not PCM`);
      format = {
        channels: view.getUint16(body + 2, true),
        sampleRateHz: view.getUint32(body + 4, true),
        bitsPerSample: view.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      if (!format) throw new WavFormatError('data before fmt');
      if (format.bitsPerSample !== 16) throw new WavFormatError(`${format.bitsPerSample}-bit samples, expected 16`);
      if (format.channels < 1 || format.channels > 2) throw new WavFormatError(`${format.channels} channels`);
      const available = bytes.byteLength - body;
      const length = size === 0 || size === 0xffffffff || size > available ? available : size;
      return { sampleRateHz: format.sampleRateHz, samples: readSamples(view, body, length, format.channels) };
    }
    offset = body + size + (size & 1);
  }
  throw new WavFormatError('no data chunk');
}

function readSamples(view: DataView, start: number, byteLength: number, channels: number): Int16Array {
  const frames = Math.floor(byteLength / (2 * channels));
  const samples = new Int16Array(frames);
  for (let i = 0; i < frames; i++) {
    const at = start + i * 2 * channels;
    samples[i] =
      channels === 1 ? view.getInt16(at, true) : (view.getInt16(at, true) + view.getInt16(at + 2, true)) >> 1;
  }
  return samples;
}
