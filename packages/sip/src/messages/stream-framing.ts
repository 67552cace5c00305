import { DEFAULT_PARSE_LIMITS } from './parser.ts';
import type { ParseLimits } from './parser.ts';

export type FrameOutcome =
  /** Need more bytes. */
  | { state: 'incomplete' }
  /** RFC 5626 §3.5.1 keep-alive ping (CRLF CRLF): consume `bytes`, answer with one CRLF. */
  | { state: 'keepalive'; bytes: number }
  /** One whole message occupies the first `bytes`: hand them to parseMessage. */
  | { state: 'complete'; bytes: number }
  /** The stream cannot be framed any more: answer `status` if possible, then close the connection. */
  | { state: 'invalid'; status: number; reason: string };

const CONTENT_LENGTH_RE = /^(?:content-length|l)[ \t]*:[ \t]*(.*?)[ \t]*$/gim;
const DIGITS_RE = /^[0-9]{1,10}$/;

/**
 * Finds where the first message in a stream buffer (TCP, TLS) ends.
 *
 *   *CRLF start-line *(header CRLF) CRLF <Content-Length octets> | next message ...
 *
 * RFC 3261 §18.3: on a stream, Content-Length MUST be present and is the only way to find the end
 * of the body, so a missing, malformed or conflicting one (RFC 4475 §3.1.2.3 ncl, §3.1.4.9 mcl01)
 * makes the connection unusable: "the connection should be closed". Never waits for more than
 * `maxMessageBytes` of header or `maxBodyBytes` of body, so `Content-Length: abc` or a huge value
 * cannot grow the buffer without bound.
 */
export function frameStreamMessage(data: Uint8Array, limits?: Partial<ParseLimits>): FrameOutcome {
  const { maxMessageBytes, maxBodyBytes } = { ...DEFAULT_PARSE_LIMITS, ...limits };
  const buffer = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buffer.length >= 4 && buffer.readUInt32BE(0) === 0x0d0a0d0a) return { state: 'keepalive', bytes: 4 };

  let start = 0;
  while (start < buffer.length && (buffer[start] === 0x0d || buffer[start] === 0x0a)) start++;
  const headEnd = buffer.indexOf('\r\n\r\n', start);
  if (headEnd === -1) {
    return buffer.length - start > maxMessageBytes
      ? { state: 'invalid', status: 513, reason: 'Message Too Large' }
      : { state: 'incomplete' };
  }
  if (headEnd - start > maxMessageBytes) return { state: 'invalid', status: 513, reason: 'Message Too Large' };

  const head = buffer.toString('latin1', start, headEnd);
  const values = new Set<string>();
  for (const match of head.matchAll(CONTENT_LENGTH_RE)) values.add((match[1] ?? '').replace(/^0+(?=[0-9])/, ''));
  const [value, ...others] = values;
  if (value === undefined) return { state: 'invalid', status: 400, reason: 'Missing Content-Length' };
  if (others.length > 0) return { state: 'invalid', status: 400, reason: 'Conflicting Content-Length headers' };
  if (!DIGITS_RE.test(value)) return { state: 'invalid', status: 400, reason: 'Malformed Content-Length' };
  const length = Number(value);
  if (length > maxBodyBytes) return { state: 'invalid', status: 413, reason: 'Request Entity Too Large' };
  const total = headEnd + 4 + length;
  return buffer.length < total ? { state: 'incomplete' } : { state: 'complete', bytes: total };
}
