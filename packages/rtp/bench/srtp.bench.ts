/**
 * SRTP cost per 20 ms PCMU packet (172 bytes): `protectRtp` on the sender and `unprotectRtp` on the
 * receiver (AES-128-CTR + HMAC-SHA1-80 through node:crypto, ROC and replay checks), and the same for
 * a 52-byte SRTCP receiver report. Plain `performance.now()` loops; the median of 5 runs.
 *
 *   node --import tsx packages/rtp/bench/srtp.bench.ts
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { SrtpSession, writeRtpHeader } from '../src/index.ts';

const PACKETS = 50_000;
const RUNS = 5;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

export async function run(): Promise<void> {
  const a = { key: randomBytes(16), salt: randomBytes(14) };
  const b = { key: randomBytes(16), salt: randomBytes(14) };
  const protectUs: number[] = [];
  const unprotectUs: number[] = [];
  const rtcpUs: number[] = [];
  const packet = Buffer.alloc(172, 0x55);
  const report = Buffer.concat([Buffer.from([0x81, 0xc9, 0x00, 0x0c]), randomBytes(48)]);
  for (let run = 0; run < RUNS; run++) {
    const sender = new SrtpSession({ suite: 'AES_CM_128_HMAC_SHA1_80', local: a, remote: b });
    const receiver = new SrtpSession({ suite: 'AES_CM_128_HMAC_SHA1_80', local: b, remote: a });
    const protectedPackets: Buffer[] = new Array<Buffer>(PACKETS);
    let start = performance.now();
    for (let i = 0; i < PACKETS; i++) {
      writeRtpHeader(packet, 0, {
        marker: false,
        payloadType: 0,
        sequenceNumber: i & 0xffff,
        timestamp: i * 160,
        ssrc: 0x1234,
      });
      protectedPackets[i] = sender.protectRtp(packet) as Buffer;
    }
    protectUs.push(((performance.now() - start) * 1000) / PACKETS);
    start = performance.now();
    let ok = 0;
    for (let i = 0; i < PACKETS; i++) if (receiver.unprotectRtp(protectedPackets[i] as Buffer)) ok++;
    unprotectUs.push(((performance.now() - start) * 1000) / PACKETS);
    if (ok !== PACKETS) throw new Error(`only ${ok} of ${PACKETS} packets authenticated`);
    start = performance.now();
    for (let i = 0; i < PACKETS / 10; i++) receiver.unprotectRtcp(sender.protectRtcp(report) as Buffer);
    rtcpUs.push(((performance.now() - start) * 1000) / (PACKETS / 10));
  }
  const p = median(protectUs);
  const u = median(unprotectUs);
  console.log(`SRTP protect   ${p.toFixed(2)} µs/packet`);
  console.log(`SRTP unprotect ${u.toFixed(2)} µs/packet`);
  console.log(`SRTCP protect+unprotect ${median(rtcpUs).toFixed(2)} µs/report`);
  // One call sends and receives 50 packets/s each way.
  console.log(`per call (50 pkt/s each way): ${((((p + u) * 50) / 1e6) * 100).toFixed(4)}% of a core`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
