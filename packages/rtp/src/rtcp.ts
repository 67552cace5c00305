import { readUint32, writeUint32 } from './byte-order.ts';
/**
 * RTCP sender and receiver reports, RFC 3550 §6.4, and the compound packets that carry them (§6.1).
 *
 * SR, §6.4.1 (an RR, §6.4.2, is the same with PT=201 and without the sender info):
 *
 *         0                   1                   2                   3
 *         0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * header |V=2|P|    RC   |   PT=SR=200   |             length            |
 *        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *        |                         SSRC of sender                        |
 *        +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * sender |              NTP timestamp, most significant word             |
 * info   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *        |             NTP timestamp, least significant word             |
 *        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *        |                         RTP timestamp                         |
 *        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *        |                     sender's packet count                     |
 *        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *        |                      sender's octet count                     |
 *        +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * report |                 SSRC_1 (SSRC of first source)                 |
 * block  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   1    | fraction lost |       cumulative number of packets lost       |
 *        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *        |           extended highest sequence number received           |
 *        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *        |                      interarrival jitter                      |
 *        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *        |                         last SR (LSR)                         |
 *        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *        |                   delay since last SR (DLSR)                  |
 *        +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *
 * SDES with one CNAME item, §6.5 / §6.5.1 (every compound packet carries one, §6.1):
 *
 *        |V=2|P|    SC   |  PT=SDES=202  |             length            |
 *        |                          SSRC/CSRC_1                          |
 *        |    CNAME=1    |     length    | user and domain name        ...
 *        ... then null octets up to the next 32-bit boundary (at least one)
 *
 * "length: 16 bits. The length of this RTCP packet in 32-bit words minus one, including the header
 * and any padding" (§6.4.1).
 */

export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
const HEADER_BYTES = 4;
const SENDER_INFO_BYTES = 20;
const REPORT_BLOCK_BYTES = 24;
/** RC is 5 bits. */
export const MAX_REPORT_BLOCKS = 31;
/** A compound packet longer than this many parts is not something a peer sends: stop reading. */
const MAX_COMPOUND_PARTS = 16;
const UTF8 = new TextEncoder();

export interface SenderInfo {
  /** NTP timestamp, seconds since 1900 (most significant word). */
  ntpSeconds: number;
  /** NTP timestamp, fraction of a second in 1/2^32 (least significant word). */
  ntpFraction: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
}

export interface ReportBlock {
  ssrc: number;
  /** Fraction of packets lost since the previous report, in 1/256 (0–255). */
  fractionLost: number;
  /** Cumulative packets lost, signed 24-bit (duplicates can make it negative, §6.4.1). */
  cumulativeLost: number;
  extendedHighestSeq: number;
  /** Interarrival jitter in RTP timestamp units. */
  jitter: number;
  /** Middle 32 bits of the NTP timestamp of the last SR received from this source; 0 if none. */
  lastSr: number;
  /** Delay since that SR in 1/65536 s; 0 if none. */
  delaySinceLastSr: number;
}

export type RtcpPacket =
  | { type: 'SR'; ssrc: number; sender: SenderInfo; reports: ReportBlock[] }
  | { type: 'RR'; ssrc: number; reports: ReportBlock[] }
  | { type: 'other'; packetType: number; byteLength: number };

/**
 * Parses a compound RTCP packet: every part's version, length and report count must be consistent
 * and the lengths must add up to the datagram (RFC 3550 A.2), else undefined. Padding is allowed
 * only on the last part (§6.4.1: "padding ... if set ... the last packet of a compound packet").
 * SR and RR are decoded; other types (SDES, BYE, APP, feedback) are reported by type and length.
 */
export function parseRtcp(buf: Uint8Array): RtcpPacket[] | undefined {
  const packets: RtcpPacket[] = [];
  let at = 0;
  while (at < buf.length) {
    if (packets.length === MAX_COMPOUND_PARTS || buf.length - at < HEADER_BYTES) return undefined;
    const b0 = buf[at] as number;
    if (b0 >> 6 !== 2) return undefined;
    const packetType = buf[at + 1] as number;
    const byteLength = (((buf[at + 2] as number) << 8) | (buf[at + 3] as number)) * 4 + 4;
    const end = at + byteLength;
    if (end > buf.length) return undefined;
    let bodyEnd = end;
    if ((b0 & 0x20) !== 0) {
      if (end !== buf.length) return undefined;
      const padding = buf[end - 1] as number;
      if (padding === 0 || padding > byteLength - HEADER_BYTES) return undefined;
      bodyEnd -= padding;
    }
    const count = b0 & 0x1f;
    if (packetType === RTCP_SR || packetType === RTCP_RR) {
      const fixed = HEADER_BYTES + 4 + (packetType === RTCP_SR ? SENDER_INFO_BYTES : 0);
      // Profile-specific extensions may follow the blocks (§6.4.1), so at least, not exactly.
      if (at + fixed + count * REPORT_BLOCK_BYTES > bodyEnd) return undefined;
      const ssrc = readUint32(buf, at + 4);
      const reports: ReportBlock[] = [];
      for (let i = 0; i < count; i++) reports.push(readReportBlock(buf, at + fixed + i * REPORT_BLOCK_BYTES));
      if (packetType === RTCP_SR) {
        const s = at + 8;
        const sender: SenderInfo = {
          ntpSeconds: readUint32(buf, s),
          ntpFraction: readUint32(buf, s + 4),
          rtpTimestamp: readUint32(buf, s + 8),
          packetCount: readUint32(buf, s + 12),
          octetCount: readUint32(buf, s + 16),
        };
        packets.push({ type: 'SR', ssrc, sender, reports });
      } else {
        packets.push({ type: 'RR', ssrc, reports });
      }
    } else {
      packets.push({ type: 'other', packetType, byteLength });
    }
    at = end;
  }
  return packets.length > 0 ? packets : undefined;
}

/** Bytes an SR (with sender info) or RR with `blocks` report blocks takes. */
export function reportByteLength(type: 'SR' | 'RR', blocks: number): number {
  return HEADER_BYTES + 4 + (type === 'SR' ? SENDER_INFO_BYTES : 0) + blocks * REPORT_BLOCK_BYTES;
}

/** Writes an SR at `offset`; returns the bytes written. */
export function writeSenderReport(
  out: Uint8Array,
  offset: number,
  ssrc: number,
  sender: SenderInfo,
  reports: readonly ReportBlock[],
): number {
  const length = checkRoom(out, offset, reportByteLength('SR', reports.length), reports.length);
  writeHeader(out, offset, reports.length, RTCP_SR, length);
  writeUint32(out, offset + 4, ssrc);
  const s = offset + 8;
  writeUint32(out, s, sender.ntpSeconds);
  writeUint32(out, s + 4, sender.ntpFraction);
  writeUint32(out, s + 8, sender.rtpTimestamp);
  writeUint32(out, s + 12, sender.packetCount);
  writeUint32(out, s + 16, sender.octetCount);
  const blocks = s + SENDER_INFO_BYTES;
  for (let i = 0; i < reports.length; i++)
    writeReportBlock(out, blocks + i * REPORT_BLOCK_BYTES, reports[i] as ReportBlock);
  return length;
}

/** Writes an RR at `offset`; returns the bytes written. */
export function writeReceiverReport(
  out: Uint8Array,
  offset: number,
  ssrc: number,
  reports: readonly ReportBlock[],
): number {
  const length = checkRoom(out, offset, reportByteLength('RR', reports.length), reports.length);
  writeHeader(out, offset, reports.length, RTCP_RR, length);
  writeUint32(out, offset + 4, ssrc);
  for (let i = 0; i < reports.length; i++) {
    writeReportBlock(out, offset + 8 + i * REPORT_BLOCK_BYTES, reports[i] as ReportBlock);
  }
  return length;
}

/** Bytes of an SDES packet with one CNAME chunk. */
export function sdesCnameByteLength(cname: string): number {
  const text = UTF8.encode(cname).length;
  // header + SSRC + type + length + text + at least one null, rounded up to 32 bits (§6.5).
  return HEADER_BYTES + 4 + Math.ceil((2 + text + 1) / 4) * 4;
}

/** Writes an SDES packet with one chunk holding one CNAME item; returns the bytes written. */
export function writeSdesCname(out: Uint8Array, offset: number, ssrc: number, cname: string): number {
  const text = UTF8.encode(cname);
  // §6.5: "the octet count ... 8 bits ... the text ... not to exceed 255 octets".
  if (text.length > 255) throw new RangeError(`CNAME is ${text.length} octets, at most 255`);
  const length = sdesCnameByteLength(cname);
  if (offset < 0 || offset + length > out.length) throw new RangeError(`no room for SDES at offset ${offset}`);
  out.fill(0, offset, offset + length);
  writeHeader(out, offset, 1, RTCP_SDES, length);
  writeUint32(out, offset + 4, ssrc);
  out[offset + 8] = 1; // CNAME
  out[offset + 9] = text.length;
  out.set(text, offset + 10);
  return length;
}

function checkRoom(out: Uint8Array, offset: number, length: number, blocks: number): number {
  if (blocks > MAX_REPORT_BLOCKS) throw new RangeError(`${blocks} report blocks, at most ${MAX_REPORT_BLOCKS}`);
  if (!Number.isInteger(offset) || offset < 0 || offset + length > out.length) {
    throw new RangeError(`no room for ${length} bytes of RTCP at offset ${offset} of ${out.length}`);
  }
  return length;
}

function writeHeader(out: Uint8Array, at: number, count: number, packetType: number, byteLength: number): void {
  const words = byteLength / 4 - 1;
  out[at] = 0x80 | count;
  out[at + 1] = packetType;
  out[at + 2] = words >> 8;
  out[at + 3] = words & 0xff;
}

function readReportBlock(buf: Uint8Array, at: number): ReportBlock {
  // Cumulative lost is a signed 24-bit count: sign-extend it.
  const lost = ((((buf[at + 5] as number) << 16) | ((buf[at + 6] as number) << 8) | (buf[at + 7] as number)) << 8) >> 8;
  return {
    ssrc: readUint32(buf, at),
    fractionLost: buf[at + 4] as number,
    cumulativeLost: lost,
    extendedHighestSeq: readUint32(buf, at + 8),
    jitter: readUint32(buf, at + 12),
    lastSr: readUint32(buf, at + 16),
    delaySinceLastSr: readUint32(buf, at + 20),
  };
}

function writeReportBlock(out: Uint8Array, at: number, block: ReportBlock): void {
  writeUint32(out, at, block.ssrc);
  out[at + 4] = block.fractionLost & 0xff;
  // §6.4.1 / A.3: clamp to what 24 signed bits hold.
  const lost = Math.max(-0x800000, Math.min(0x7fffff, Math.trunc(block.cumulativeLost))) & 0xffffff;
  out[at + 5] = lost >> 16;
  out[at + 6] = (lost >> 8) & 0xff;
  out[at + 7] = lost & 0xff;
  writeUint32(out, at + 8, block.extendedHighestSeq);
  writeUint32(out, at + 12, block.jitter);
  writeUint32(out, at + 16, block.lastSr);
  writeUint32(out, at + 20, block.delaySinceLastSr);
}
