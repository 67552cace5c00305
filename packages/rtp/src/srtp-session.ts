import { createHmac, timingSafeEqual } from 'node:crypto';
import { deriveSrtpKeys, srtpIv, type SrtpDerivedKeys, type SrtpSessionKeys } from './srtp-keys.ts';
import { ReplayWindow } from './srtp-replay-window.ts';

/** RFC 4568 §6.2 crypto suites we implement (both AES-CM 128 with HMAC-SHA1). */
export const SRTP_SUITES = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as const;
export type SrtpSuite = (typeof SRTP_SUITES)[number];

export interface SrtpMasterKey {
  key: Buffer;
  salt: Buffer;
}

export interface SrtpSessionOptions {
  suite: SrtpSuite;
  /** What we send with (the key in our SDP). */
  local: SrtpMasterKey;
  /** What the peer sends with (the key in its SDP). */
  remote: SrtpMasterKey;
}

/** RFC 4568 §6.2.2: the _32 suite shortens only the SRTP tag; SRTCP keeps 80 bits. */
const SRTCP_TAG_BYTES = 10;
const RTP_FIXED_HEADER = 12;
const RTCP_HEADER = 8;
const SRTCP_INDEX_BYTES = 4;
const SRTCP_E_FLAG = 0x80000000;
const MAX_SRTCP_INDEX = 0x7fffffff;
/** Receive state is per SSRC; a peer that cycles through SSRCs must not grow memory. */
const MAX_STREAMS = 16;

interface ReceiveStream {
  roc: number;
  highestSeq: number;
  window: ReplayWindow;
}

/**
 * One call's SRTP and SRTCP (RFC 3711), both directions, keyed by SDES (RFC 4568) with a
 * key-derivation rate of 0 and no MKI. Packets that fail authentication or replay checks are refused
 * (`undefined`), never thrown on: a peer controls every byte that reaches `unprotect*`.
 */
export class SrtpSession {
  readonly #tagBytes: number;
  readonly #send: SrtpDerivedKeys;
  readonly #receive: SrtpDerivedKeys;
  readonly #sendRoc = new Map<number, { roc: number; lastSeq: number }>();
  readonly #rtpStreams = new Map<number, ReceiveStream>();
  readonly #rtcpWindows = new Map<number, ReplayWindow>();
  #srtcpIndex = 0;

  constructor(options: SrtpSessionOptions) {
    this.#tagBytes = options.suite === 'AES_CM_128_HMAC_SHA1_32' ? 4 : 10;
    this.#send = deriveSrtpKeys(options.local.key, options.local.salt);
    this.#receive = deriveSrtpKeys(options.remote.key, options.remote.salt);
  }

  /** RTP → SRTP (§3.1): a new buffer with the payload encrypted and the tag appended. */
  protectRtp(packet: Uint8Array): Buffer | undefined {
    const headerBytes = rtpHeaderBytes(packet);
    if (headerBytes === undefined) return undefined;
    const view = Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength);
    const seq = view.readUInt16BE(2);
    const ssrc = view.readUInt32BE(8);
    let state = this.#sendRoc.get(ssrc);
    if (state === undefined) {
      state = { roc: 0, lastSeq: seq };
      this.#sendRoc.set(ssrc, state);
    } else if (seq < state.lastSeq && state.lastSeq - seq > 0x8000) {
      state.roc = (state.roc + 1) >>> 0; // §3.3.1: ROC counts wraps of the 16-bit sequence number
    }
    if (seq > state.lastSeq || state.lastSeq - seq > 0x8000) state.lastSeq = seq;
    return encryptSrtp(this.#send.rtp, view, headerBytes, state.roc, this.#tagBytes);
  }

  /** SRTP → RTP (§3.3): authenticated, replay-checked, decrypted; `undefined` when refused. */
  unprotectRtp(packet: Uint8Array): Buffer | undefined {
    const view = Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength);
    if (view.length < RTP_FIXED_HEADER + this.#tagBytes) return undefined;
    const body = view.subarray(0, view.length - this.#tagBytes);
    const headerBytes = rtpHeaderBytes(body);
    if (headerBytes === undefined) return undefined;
    const seq = view.readUInt16BE(2);
    const ssrc = view.readUInt32BE(8);
    const stream = this.#rtpStreams.get(ssrc);
    const roc = stream === undefined ? 0 : estimateRoc(stream, seq);
    if (roc < 0 || roc > 0xffffffff) return undefined;
    const index = roc * 0x10000 + seq;
    if (stream !== undefined && !stream.window.check(index)) return undefined;
    const tag = rtpTag(this.#receive.rtp.authKey, body, roc, this.#tagBytes);
    if (!timingSafeEqual(tag, view.subarray(body.length))) return undefined;
    const plain = Buffer.alloc(body.length);
    body.copy(plain, 0, 0, headerBytes);
    crypt(this.#receive.rtp, ssrc, index, body.subarray(headerBytes), plain, headerBytes);
    this.#afterRtp(ssrc, stream, roc, seq, index);
    return plain;
  }

  /** RTCP → SRTCP (§3.4): everything after the first 8 bytes encrypted, E flag and index, tag. */
  protectRtcp(packet: Uint8Array): Buffer | undefined {
    if (this.#srtcpIndex > MAX_SRTCP_INDEX) return undefined; // §9.2: the key is spent; never reuse an index
    const out = encryptSrtcp(
      this.#send.rtcp,
      Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength),
      this.#srtcpIndex,
    );
    if (out !== undefined) this.#srtcpIndex++;
    return out;
  }

  unprotectRtcp(packet: Uint8Array): Buffer | undefined {
    const view = Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength);
    if (view.length < RTCP_HEADER + SRTCP_INDEX_BYTES + SRTCP_TAG_BYTES || view[0]! >> 6 !== 2) return undefined;
    const authenticated = view.subarray(0, view.length - SRTCP_TAG_BYTES);
    const expected = createHmac('sha1', this.#receive.rtcp.authKey)
      .update(authenticated)
      .digest()
      .subarray(0, SRTCP_TAG_BYTES);
    if (!timingSafeEqual(expected, view.subarray(authenticated.length))) return undefined;
    const word = authenticated.readUInt32BE(authenticated.length - SRTCP_INDEX_BYTES);
    const index = word & MAX_SRTCP_INDEX;
    const ssrc = view.readUInt32BE(4);
    let window = this.#rtcpWindows.get(ssrc);
    if (window?.check(index) === false) return undefined;
    const end = authenticated.length - SRTCP_INDEX_BYTES;
    const plain = Buffer.alloc(end);
    view.copy(plain, 0, 0, RTCP_HEADER);
    if ((word & SRTCP_E_FLAG) !== 0)
      crypt(this.#receive.rtcp, ssrc, index, view.subarray(RTCP_HEADER, end), plain, RTCP_HEADER);
    else view.copy(plain, RTCP_HEADER, RTCP_HEADER, end);
    if (window === undefined) {
      window = new ReplayWindow();
      if (this.#rtcpWindows.size >= MAX_STREAMS)
        this.#rtcpWindows.delete(this.#rtcpWindows.keys().next().value as number);
      this.#rtcpWindows.set(ssrc, window);
    }
    window.accept(index);
    return plain;
  }

  /** §3.3.1: update s_l and the ROC only once the packet has authenticated. */
  #afterRtp(ssrc: number, stream: ReceiveStream | undefined, roc: number, seq: number, index: number): void {
    if (stream === undefined) {
      if (this.#rtpStreams.size >= MAX_STREAMS) this.#rtpStreams.delete(this.#rtpStreams.keys().next().value as number);
      const created = { roc, highestSeq: seq, window: new ReplayWindow() };
      created.window.accept(index);
      this.#rtpStreams.set(ssrc, created);
      return;
    }
    stream.window.accept(index);
    if (roc > stream.roc) {
      stream.roc = roc;
      stream.highestSeq = seq;
    } else if (roc === stream.roc && seq > stream.highestSeq) {
      stream.highestSeq = seq;
    }
  }
}

/**
 * RFC 3711 Appendix A: the receiver's guess of the sender's ROC from its highest sequence number s_l.
 * May return -1 (a packet from before the first one we saw, in the first roll-over period).
 */
function estimateRoc(stream: ReceiveStream, seq: number): number {
  const { roc, highestSeq } = stream;
  if (highestSeq < 0x8000) return seq - highestSeq > 0x8000 ? roc - 1 : roc;
  return highestSeq - 0x8000 > seq ? roc + 1 : roc;
}

/** Header length incl. CSRCs and extension (§3.1: everything after it, padding too, is encrypted). */
function rtpHeaderBytes(packet: Uint8Array): number | undefined {
  if (packet.length < RTP_FIXED_HEADER || packet[0]! >> 6 !== 2) return undefined;
  let length = RTP_FIXED_HEADER + 4 * (packet[0]! & 0x0f);
  if ((packet[0]! & 0x10) !== 0) {
    if (packet.length < length + 4) return undefined;
    length += 4 + 4 * ((packet[length + 2]! << 8) | packet[length + 3]!);
  }
  return length <= packet.length ? length : undefined;
}

function crypt(keys: SrtpSessionKeys, ssrc: number, index: number, input: Buffer, out: Buffer, at: number): void {
  keys.cipher.xor(srtpIv(keys.salt, ssrc, index), input, out, at);
}

/** §4.2: the tag is HMAC-SHA1 over the authenticated portion followed by the ROC, truncated. */
function rtpTag(authKey: Buffer, authenticated: Buffer, roc: number, tagBytes: number): Buffer {
  const rocBytes = Buffer.alloc(4);
  rocBytes.writeUInt32BE(roc >>> 0);
  return createHmac('sha1', authKey).update(authenticated).update(rocBytes).digest().subarray(0, tagBytes);
}

/** SRTP of one packet with a known ROC (exported for the RFC/libsrtp vectors). */
export function encryptSrtp(
  keys: SrtpSessionKeys,
  packet: Buffer,
  headerBytes: number,
  roc: number,
  tagBytes: number,
): Buffer {
  const out = Buffer.alloc(packet.length + tagBytes);
  packet.copy(out, 0, 0, headerBytes);
  const index = roc * 0x10000 + packet.readUInt16BE(2);
  crypt(keys, packet.readUInt32BE(8), index, packet.subarray(headerBytes), out, headerBytes);
  rtpTag(keys.authKey, out.subarray(0, packet.length), roc, tagBytes).copy(out, packet.length);
  return out;
}

/**
 * SRTCP of one compound packet with a given index (§3.4):
 *
 *   | RTCP header + sender SSRC (8) | encrypted rest | E|SRTCP index (4) | auth tag (10) |
 */
export function encryptSrtcp(keys: SrtpSessionKeys, packet: Buffer, index: number): Buffer | undefined {
  if (packet.length < RTCP_HEADER || packet[0]! >> 6 !== 2) return undefined;
  const end = packet.length;
  const out = Buffer.alloc(end + SRTCP_INDEX_BYTES + SRTCP_TAG_BYTES);
  packet.copy(out, 0, 0, RTCP_HEADER);
  crypt(keys, packet.readUInt32BE(4), index, packet.subarray(RTCP_HEADER), out, RTCP_HEADER);
  out.writeUInt32BE((SRTCP_E_FLAG | index) >>> 0, end);
  const tag = createHmac('sha1', keys.authKey)
    .update(out.subarray(0, end + SRTCP_INDEX_BYTES))
    .digest();
  tag.copy(out, end + SRTCP_INDEX_BYTES, 0, SRTCP_TAG_BYTES);
  return out;
}
