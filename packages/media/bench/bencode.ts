/**
 * Bencode (the BitTorrent encoding, which rtpengine's ng control protocol carries over UDP): integers
 * `i42e`, byte strings `4:spam`, lists `l…e`, dictionaries `d…e`. The side-by-side benchmark drives
 * rtpengine with it; it is small enough to own rather than take a dependency for.
 *
 * Byte strings decode to JS strings (UTF-8): everything rtpengine says (SDP, results, reasons) is
 * text. Dictionaries encode with their keys sorted, as the format asks, and decode in whatever order
 * they arrive (rtpengine's own replies are not sorted). Every malformed input throws a BencodeError
 * naming the byte offset; nothing a peer sends can recurse without bound or allocate more than it sent.
 */

export type BencodeValue = string | number | BencodeValue[] | { [key: string]: BencodeValue };

export class BencodeError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`bencode: ${message} at byte ${offset}`);
    this.name = 'BencodeError';
  }
}

/** Nesting deeper than this is refused: no ng message comes close, and it bounds the decoder's stack. */
const MAX_DEPTH = 64;

const I = 0x69; // 'i'
const L = 0x6c; // 'l'
const D = 0x64; // 'd'
const E = 0x65; // 'e'
const COLON = 0x3a;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;

export function bencode(value: BencodeValue): Buffer {
  const parts: Buffer[] = [];
  encodeInto(value, parts, 0);
  return Buffer.concat(parts);
}

function encodeInto(value: BencodeValue, parts: Buffer[], depth: number): void {
  if (depth > MAX_DEPTH) throw new TypeError(`bencode: nested deeper than ${MAX_DEPTH}`);
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    parts.push(Buffer.from(`${bytes.length}:`, 'ascii'), bytes);
  } else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError(`bencode: ${value} is not a safe integer`);
    parts.push(Buffer.from(`i${value}e`, 'ascii'));
  } else if (Array.isArray(value)) {
    parts.push(Buffer.of(L));
    for (const item of value) encodeInto(item, parts, depth + 1);
    parts.push(Buffer.of(E));
  } else if (value !== null && typeof value === 'object') {
    parts.push(Buffer.of(D));
    // Sorted by their bytes, as the format defines the order (not by UTF-16 code units).
    const keys = Object.keys(value).sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
    for (const key of keys) {
      encodeInto(key, parts, depth + 1);
      encodeInto(value[key] as BencodeValue, parts, depth + 1);
    }
    parts.push(Buffer.of(E));
  } else {
    throw new TypeError(`bencode: cannot encode ${value === null ? 'null' : typeof value}`);
  }
}

/** Decodes exactly one value filling `input` (trailing bytes are an error). */
export function bdecode(input: Uint8Array): BencodeValue {
  const reader = { input, at: 0 };
  const value = decodeAt(reader, 0);
  if (reader.at !== input.length) throw new BencodeError('trailing bytes after the value', reader.at);
  return value;
}

interface Reader {
  input: Uint8Array;
  at: number;
}

function decodeAt(r: Reader, depth: number): BencodeValue {
  if (depth > MAX_DEPTH) throw new BencodeError(`nested deeper than ${MAX_DEPTH}`, r.at);
  const byte = r.input[r.at];
  if (byte === undefined) throw new BencodeError('input ends where a value was expected', r.at);
  if (byte === I) {
    r.at++;
    const value = readInteger(r, E);
    r.at++; // the 'e'
    return value;
  }
  if (byte >= ZERO && byte <= NINE) return readString(r);
  if (byte === L) {
    r.at++;
    const list: BencodeValue[] = [];
    while (peek(r) !== E) list.push(decodeAt(r, depth + 1));
    r.at++;
    return list;
  }
  if (byte === D) {
    r.at++;
    const dict: { [key: string]: BencodeValue } = Object.create(null) as { [key: string]: BencodeValue };
    while (peek(r) !== E) {
      const keyAt = r.at;
      const first = r.input[r.at] as number;
      if (first < ZERO || first > NINE) throw new BencodeError('a dictionary key must be a byte string', keyAt);
      const key = readString(r);
      if (Object.hasOwn(dict, key)) throw new BencodeError(`duplicate dictionary key "${key}"`, keyAt);
      dict[key] = decodeAt(r, depth + 1);
    }
    r.at++;
    return dict;
  }
  throw new BencodeError(`unexpected byte 0x${byte.toString(16).padStart(2, '0')}`, r.at);
}

function peek(r: Reader): number {
  const byte = r.input[r.at];
  if (byte === undefined) throw new BencodeError('input ends inside a list or dictionary', r.at);
  return byte;
}

/** Digits (with an optional minus) up to `end`, left at `end`. No leading zeros, no "-0", safe integers only. */
function readInteger(r: Reader, end: number): number {
  const start = r.at;
  let at = start;
  if (r.input[at] === MINUS) at++;
  const digitsAt = at;
  while (at < r.input.length && (r.input[at] as number) >= ZERO && (r.input[at] as number) <= NINE) at++;
  if (at === digitsAt) throw new BencodeError('expected digits', at);
  if (at >= r.input.length) throw new BencodeError('input ends inside a number', at);
  if (r.input[at] !== end) throw new BencodeError(`expected "${String.fromCharCode(end)}" after digits`, at);
  const text = Buffer.from(r.input.subarray(start, at)).toString('ascii');
  if (/^-?0\d/.test(text) || text === '-0') throw new BencodeError(`"${text}" is not a canonical integer`, start);
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new BencodeError(`${text} is not a safe integer`, start);
  r.at = at;
  return value;
}

function readString(r: Reader): string {
  const lengthAt = r.at;
  const length = readInteger(r, COLON);
  if (length < 0) throw new BencodeError('a string length cannot be negative', lengthAt);
  r.at++; // the ':'
  if (r.at + length > r.input.length)
    throw new BencodeError(`a ${length}-byte string runs past the end of the input`, lengthAt);
  const value = Buffer.from(r.input.buffer, r.input.byteOffset + r.at, length).toString('utf8');
  r.at += length;
  return value;
}
