/**
 * G.711 μ-law (PCMU) and A-law (PCMA) by lookup table, bit-exact with the ITU-T G.191 reference
 * (`ulaw_compress`, `ulaw_expand`, `alaw_compress`, `alaw_expand` in G.191's g711.c) on every input.
 *
 * The tables are filled once at module load by running the G.191 algorithm itself, so the per-sample
 * cost is one masked index: `ENCODE[sample & 0xffff]` (65,536 bytes per law) and `DECODE[byte]`
 * (256 × int16 per law).
 *
 * G.191 takes the magnitude of a negative sample as its one's complement (`~x`), not `-x`: that is
 * what makes A-law map −1…−16 to 0x55 (the code nearest zero), and it is also why Sun's widely
 * copied `linear2ulaw` (which negates) differs from G.191 on 508 negative μ-law inputs, e.g. −1
 * encodes to 0x7F here and to 0x7E there. The decoders of both agree.
 */

export type G711Codec = 'PCMU' | 'PCMA';

/** The code of a zero sample, for filling silence without encoding it. */
export const G711_SILENCE: Readonly<Record<G711Codec, number>> = Object.freeze({ PCMU: 0xff, PCMA: 0xd5 });

export type G711Encoder = (pcm: Int16Array, out: Uint8Array) => void;
/** Decodes `g711[start, end)` (default: all of it) into `out` from sample 0. */
export type G711Decoder = (g711: Uint8Array, out: Int16Array, start?: number, end?: number) => void;

/**
 * G.191 `ulaw_compress` for one sample: 14-bit magnitude (one's complement for negatives) plus the
 * bias 33 (0x84 >> 2), limited to 0x1FFF, then segment and inverted mantissa.
 */
function ulawCompress(sample: number): number {
  let absno = (sample < 0 ? ~sample >> 2 : sample >> 2) + 33;
  if (absno > 0x1fff) absno = 0x1fff;
  let i = absno >> 6;
  let segno = 1;
  while (i !== 0) {
    segno++;
    i >>= 1;
  }
  const highNibble = 0x08 - segno;
  const lowNibble = 0x0f - ((absno >> segno) & 0x0f);
  const code = (highNibble << 4) | lowNibble;
  return sample >= 0 ? code | 0x80 : code;
}

/** G.191 `ulaw_expand`: the 14-bit quantized value, left-justified in 16 bits. */
function ulawExpand(code: number): number {
  const sign = code < 0x80 ? -1 : 1;
  const inverted = ~code;
  const exponent = (inverted >> 4) & 0x07;
  const mantissa = inverted & 0x0f;
  const step = 4 << (exponent + 1);
  return sign * ((0x80 << exponent) + step * mantissa + step / 2 - 4 * 33);
}

/**
 * G.191 `alaw_compress` for one sample: the 12 most significant bits (one's complement for
 * negatives), segment and mantissa, sign bit set for x ≥ 0, then the even bits toggled (XOR 0x55).
 */
function alawCompress(sample: number): number {
  let ix = sample < 0 ? ~sample >> 4 : sample >> 4;
  if (ix > 15) {
    let iexp = 1;
    while (ix > 16 + 15) {
      ix >>= 1;
      iexp++;
    }
    ix -= 16;
    ix += iexp << 4;
  }
  if (sample >= 0) ix |= 0x80;
  return ix ^ 0x55;
}

/** G.191 `alaw_expand`: re-toggle, add the leading 1 and half a quantization step, shift. */
function alawExpand(code: number): number {
  const ix = (code ^ 0x55) & 0x7f;
  const iexp = ix >> 4;
  let mant = ix & 0x0f;
  if (iexp > 0) mant += 16;
  mant = (mant << 4) + 0x08;
  if (iexp > 1) mant <<= iexp - 1;
  return code > 127 ? mant : -mant;
}

function encodeTable(compress: (sample: number) => number): Uint8Array {
  const table = new Uint8Array(65536);
  // Index is the sample's 16-bit pattern: 0x0000–0x7fff are 0…32767, 0x8000–0xffff are −32768…−1.
  for (let index = 0; index < 65536; index++) table[index] = compress((index << 16) >> 16);
  return table;
}

function decodeTable(expand: (code: number) => number): Int16Array {
  const table = new Int16Array(256);
  for (let code = 0; code < 256; code++) table[code] = expand(code);
  return table;
}

const ULAW_ENCODE = encodeTable(ulawCompress);
const ULAW_DECODE = decodeTable(ulawExpand);
const ALAW_ENCODE = encodeTable(alawCompress);
const ALAW_DECODE = decodeTable(alawExpand);

function checkRange(start: number, end: number, length: number): void {
  if (!(start >= 0 && start <= end && end <= length))
    throw new RangeError(`range ${start}-${end} is outside ${length} bytes`);
}

function checkOut(inputLength: number, outLength: number): void {
  if (outLength < inputLength) {
    throw new RangeError(`output holds ${outLength} samples, input has ${inputLength}`);
  }
}

/** Encodes all of `pcm` into the first `pcm.length` bytes of `out` as μ-law. */
export function pcmuEncode(pcm: Int16Array, out: Uint8Array): void {
  const n = pcm.length;
  checkOut(n, out.length);
  for (let i = 0; i < n; i++) out[i] = ULAW_ENCODE[(pcm[i] as number) & 0xffff] as number;
}

/** Decodes `g711[start, end)` (μ-law; default all of it) into the first samples of `out`: a packet's payload read in place. */
export function pcmuDecode(g711: Uint8Array, out: Int16Array, start = 0, end = g711.length): void {
  const n = end - start;
  checkRange(start, end, g711.length);
  checkOut(n, out.length);
  for (let i = 0; i < n; i++) out[i] = ULAW_DECODE[g711[start + i] as number] as number;
}

/** Encodes all of `pcm` into the first `pcm.length` bytes of `out` as A-law. */
export function pcmaEncode(pcm: Int16Array, out: Uint8Array): void {
  const n = pcm.length;
  checkOut(n, out.length);
  for (let i = 0; i < n; i++) out[i] = ALAW_ENCODE[(pcm[i] as number) & 0xffff] as number;
}

/** Decodes `g711[start, end)` (A-law; default all of it) into the first samples of `out`. */
export function pcmaDecode(g711: Uint8Array, out: Int16Array, start = 0, end = g711.length): void {
  const n = end - start;
  checkRange(start, end, g711.length);
  checkOut(n, out.length);
  for (let i = 0; i < n; i++) out[i] = ALAW_DECODE[g711[start + i] as number] as number;
}

export function encoderFor(codec: G711Codec): G711Encoder {
  switch (codec) {
    case 'PCMU':
      return pcmuEncode;
    case 'PCMA':
      return pcmaEncode;
    default:
      return unknownCodec(codec);
  }
}

export function decoderFor(codec: G711Codec): G711Decoder {
  switch (codec) {
    case 'PCMU':
      return pcmuDecode;
    case 'PCMA':
      return pcmaDecode;
    default:
      return unknownCodec(codec);
  }
}

// Codec names often come from parsed SDP or JSON: an unknown one must not silently pick a law.
function unknownCodec(codec: never): never {
  throw new RangeError(`not a G.711 codec: ${String(codec)}`);
}
