import { writeFile } from 'node:fs/promises';

/** One UDP payload (an RTP packet) and when it is to be sent, ms from the start. */
export interface PcapPacket {
  atMs: number;
  payload: Buffer;
}

/**
 * Writes a classic libpcap file (Ethernet, IPv4, UDP) of RTP packets for SIPp's `play_pcap_audio`,
 * which sends each UDP payload at its capture time to the call's media address. The addresses and
 * ports in the file do not matter: SIPp replaces them with the call's.
 *
 *   pcap header (24) | per packet: record header (16) | Ethernet (14) | IPv4 (20) | UDP (8) | payload
 */
export async function writeRtpPcap(path: string, packets: PcapPacket[]): Promise<void> {
  const chunks: Buffer[] = [];
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0); // magic, microsecond timestamps
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16); // snaplen
  header.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  chunks.push(header);
  const baseS = 1_700_000_000;
  for (const packet of packets) {
    const frameLength = 14 + 20 + 8 + packet.payload.length;
    const record = Buffer.alloc(16 + 14 + 20 + 8);
    const micros = Math.round(packet.atMs * 1000);
    record.writeUInt32LE(baseS + Math.floor(micros / 1_000_000), 0);
    record.writeUInt32LE(micros % 1_000_000, 4);
    record.writeUInt32LE(frameLength, 8);
    record.writeUInt32LE(frameLength, 12);
    record.writeUInt16BE(0x0800, 16 + 12); // EtherType IPv4
    const ip = 16 + 14;
    record[ip] = 0x45;
    record.writeUInt16BE(20 + 8 + packet.payload.length, ip + 2);
    record[ip + 8] = 64; // TTL
    record[ip + 9] = 17; // UDP
    record.writeUInt32BE(0x7f000001, ip + 12);
    record.writeUInt32BE(0x7f000001, ip + 16);
    record.writeUInt16BE(ipv4Checksum(record.subarray(ip, ip + 20)), ip + 10);
    const udp = ip + 20;
    record.writeUInt16BE(40000, udp);
    record.writeUInt16BE(40002, udp + 2);
    record.writeUInt16BE(8 + packet.payload.length, udp + 4); // checksum 0: none (IPv4)
    chunks.push(record, packet.payload);
  }
  await writeFile(path, Buffer.concat(chunks));
}

function ipv4Checksum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) sum += header.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** 20 ms PCMU packets: silence, `toneMs` of a 500 Hz tone from `toneAtMs`, silence up to `totalMs`. */
export function toneStream(toneAtMs: number, toneMs: number, totalMs: number): PcapPacket[] {
  const packets: PcapPacket[] = [];
  const samples = new Int16Array(160);
  for (let atMs = 0, seq = 1; atMs < totalMs; atMs += 20, seq++) {
    const inTone = atMs >= toneAtMs && atMs < toneAtMs + toneMs;
    for (let i = 0; i < 160; i++)
      samples[i] = inTone ? Math.round(8000 * Math.sin((2 * Math.PI * 500 * (atMs * 8 + i)) / 8000)) : 0;
    const packet = Buffer.alloc(12 + 160);
    packet[0] = 0x80;
    packet[1] = seq === 1 ? 0x80 : 0;
    packet.writeUInt16BE(seq, 2);
    packet.writeUInt32BE(atMs * 8, 4);
    packet.writeUInt32BE(0x4242_0001, 8);
    for (let i = 0; i < 160; i++) packet[12 + i] = ulaw(samples[i] as number);
    packets.push({ atMs, payload: packet });
  }
  return packets;
}

/** G.711 μ-law of one sample (ITU-T G.711: bias 132, segment + 4-bit mantissa, bits inverted). */
function ulaw(sample: number): number {
  const sign = sample < 0 ? 0x80 : 0;
  const magnitude = Math.min(32635, Math.abs(sample)) + 132;
  let segment = 7;
  while (segment > 0 && (magnitude & (0x4000 >> (7 - segment))) === 0) segment--;
  return ~(sign | (segment << 4) | ((magnitude >> (segment + 3)) & 0x0f)) & 0xff;
}
