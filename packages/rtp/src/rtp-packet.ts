import { readUint32, writeUint32 } from './byte-order.ts';
/**
 * RTP fixed header, RFC 3550 §5.1:
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                           timestamp                           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |           synchronization source (SSRC) identifier            |
 *   +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *   |            contributing source (CSRC) identifiers             |
 *   |                             ....  (CC × 32 bits)              |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * followed, when X = 1, by the header extension of §5.3.1:
 *
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |      defined by profile       |           length              |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                        header extension                       |
 *   |                             ....  (length × 32 bits)          |
 *
 * then the payload, then, when P = 1, padding whose last octet counts the padding octets
 * "including itself" (§5.1).
 */

export const RTP_VERSION = 2;
export const RTP_HEADER_BYTES = 12;

export interface RtpPacket {
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrcCount: number;
  hasExtension: boolean;
  /** Where the payload starts in the parsed buffer: after the CSRC list and any extension. */
  payloadOffset: number;
  /** Payload bytes, padding excluded. May be 0 (a padding-only packet). */
  payloadLength: number;
}

export interface RtpHeaderFields {
  marker: boolean;
  /** 0–127. */
  payloadType: number;
  /** Taken modulo 2^16, so a sender may keep counting past 65535. */
  sequenceNumber: number;
  /** Taken modulo 2^32, so a sender may keep counting past 2^32 − 1. */
  timestamp: number;
  /** Taken modulo 2^32. */
  ssrc: number;
}

/**
 * Parses the header of an RTP packet without copying it. Returns undefined for anything that is not
 * a well-formed RTP version 2 packet, so a receiver can drop it with one check. RTCP multiplexed on
 * the same port (RFC 5761) is not rejected here: call `isRtcp` first. With `into`, the fields are
 * written there and it is returned (a receiver's one reused object instead of one per packet).
 */
export function parseRtp(buf: Uint8Array, into?: RtpPacket): RtpPacket | undefined {
  const length = buf.length;
  if (length < RTP_HEADER_BYTES) return undefined;
  const b0 = buf[0] as number;
  if (b0 >> 6 !== RTP_VERSION) return undefined;
  const b1 = buf[1] as number;
  const csrcCount = b0 & 0x0f;
  const hasExtension = (b0 & 0x10) !== 0;
  const hasPadding = (b0 & 0x20) !== 0;

  let payloadOffset = RTP_HEADER_BYTES + csrcCount * 4;
  if (payloadOffset > length) return undefined;
  if (hasExtension) {
    // §5.3.1: "the length field ... counts the number of 32-bit words in the extension,
    // excluding the four-octet extension header".
    if (payloadOffset + 4 > length) return undefined;
    const words = ((buf[payloadOffset + 2] as number) << 8) | (buf[payloadOffset + 3] as number);
    payloadOffset += 4 + words * 4;
    if (payloadOffset > length) return undefined;
  }

  let payloadLength = length - payloadOffset;
  if (hasPadding) {
    // §5.1: the last octet counts the padding "including itself", so 0 is not a valid count,
    // and the padding cannot reach into the header (RFC 3550 A.1 validity check).
    const padding = buf[length - 1] as number;
    if (padding === 0 || padding > payloadLength) return undefined;
    payloadLength -= padding;
  }

  const out = into ?? emptyRtpPacket();
  out.marker = (b1 & 0x80) !== 0;
  out.payloadType = b1 & 0x7f;
  out.sequenceNumber = ((buf[2] as number) << 8) | (buf[3] as number);
  out.timestamp = readUint32(buf, 4);
  out.ssrc = readUint32(buf, 8);
  out.csrcCount = csrcCount;
  out.hasExtension = hasExtension;
  out.payloadOffset = payloadOffset;
  out.payloadLength = payloadLength;
  return out;
}

/** A packet record to parse into (`parseRtp(buf, into)`). */
export function emptyRtpPacket(): RtpPacket {
  return {
    marker: false,
    payloadType: 0,
    sequenceNumber: 0,
    timestamp: 0,
    ssrc: 0,
    csrcCount: 0,
    hasExtension: false,
    payloadOffset: 0,
    payloadLength: 0,
  };
}

/**
 * Writes a 12-byte RTP header (V=2, no padding, no extension, no CSRC) at `offset`; returns the
 * number of bytes written (12), i.e. where the payload goes.
 */
export function writeRtpHeader(out: Uint8Array, offset: number, h: RtpHeaderFields): number {
  if (!Number.isInteger(offset) || offset < 0 || offset + RTP_HEADER_BYTES > out.length) {
    throw new RangeError(`no room for an RTP header at offset ${offset} of ${out.length} bytes`);
  }
  if (!Number.isInteger(h.payloadType) || h.payloadType < 0 || h.payloadType > 127) {
    throw new RangeError(`RTP payload type ${h.payloadType} is outside 0–127`);
  }
  const seq = h.sequenceNumber & 0xffff;
  out[offset] = RTP_VERSION << 6;
  out[offset + 1] = (h.marker ? 0x80 : 0) | h.payloadType;
  out[offset + 2] = seq >> 8;
  out[offset + 3] = seq & 0xff;
  writeUint32(out, offset + 4, h.timestamp);
  writeUint32(out, offset + 8, h.ssrc);
  return RTP_HEADER_BYTES;
}

/**
 * RFC 5761 §4 (RTP and RTCP on one port): the second octet tells them apart. RTCP packet types
 * SR 200, RR 201, SDES 202, BYE 203, APP 204 and later ones are kept within 192–223, which read as
 * RTP would be the marker bit plus payload types 64–95, and for RTP "payload type values in the
 * range 64-95 MUST NOT be used". So a version-2 packet whose second octet is 192–223 is RTCP.
 */
export function isRtcp(buf: Uint8Array): boolean {
  if (buf.length < 2 || (buf[0] as number) >> 6 !== RTP_VERSION) return false;
  const packetType = buf[1] as number;
  return packetType >= 192 && packetType <= 223;
}
