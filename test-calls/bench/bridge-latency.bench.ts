/**
 * Bridge-added latency per turn, in one process with the real parts (hrtime via performance.now):
 *
 *   inbound  = the caller's voiced RTP packet sent to the media worker's socket (loopback)
 *              → the frame delivered to the agent (`CallConnection`'s caller-frame observer):
 *              latch, G.711 decode, jitter buffer (an in-order frame goes up on arrival), Redis pub/sub;
 *   outbound = the agent queues its first TTS frame (`CallConnection.sendAudio`)
 *              → that frame's RTP packet arrives at the caller's socket: pub/sub, the outbound
 *              queue, the send (a talkspurt's first frame leaves at once), G.711 encode, UDP.
 *
 * The caller sends a packet every 20 ms from its own timer (silence, one voiced packet per turn);
 * the agent answers each voiced frame after a random 0–20 ms so turns land at every clock phase (a
 * regression to waiting for the call's clock slot would show as ~10 ms p50 per direction).
 * Prints p50/p99/max over the turns; the target is p99 ≤ 30 ms for inbound + outbound
 * (a turn's budget is mostly the engines'; what the bridge adds must stay small beside it).
 * Never asserted: the machine is shared.
 *
 *   node --import tsx test-calls/bench/bridge-latency.bench.ts
 */
import { randomInt, randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { CallConnection } from '@voicebridge/agent';
import { RedisAudioChannel } from '@voicebridge/channel';
import { MediaWorker, PortPool } from '@voicebridge/media';
import { MediaClock, parseRtp, pcmuDecode, pcmuEncode, writeRtpHeader } from '@voicebridge/rtp';
import { freeRtpPortRange } from '../../test/support/free-port.ts';

const TURNS = 60;
const VOICED = new Int16Array(160).fill(8000);

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function line(name: string, values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  return `${name.padEnd(18)} p50 ${percentile(sorted, 50).toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms, max ${(sorted.at(-1) ?? NaN).toFixed(2)} ms (n=${sorted.length})`;
}

export async function run(): Promise<void> {
  const log = pino({ level: 'silent' });
  const prefix = `vbbench-${randomUUID()}`;
  const redis = Array.from({ length: 4 }, () => new Redis({ enableAutoPipelining: false }));
  const [mediaPub, mediaSub, agentPub, agentSub] = redis as [Redis, Redis, Redis, Redis];
  const mediaChannel = new RedisAudioChannel({ publisher: mediaPub, subscriber: mediaSub, keyPrefix: prefix });
  const agentChannel = new RedisAudioChannel({ publisher: agentPub, subscriber: agentSub, keyPrefix: prefix });
  const clock = new MediaClock();
  const pool = new PortPool({ bindAddress: '127.0.0.1', ...(await freeRtpPortRange(4)), quarantineMs: 100 });
  const worker = new MediaWorker({
    pool,
    clock,
    channel: mediaChannel,
    advertisedAddress: '127.0.0.1',
    log,
    onEvent: () => undefined,
  });
  const caller = createSocket('udp4');
  await new Promise<void>((resolve) => caller.bind(0, '127.0.0.1', resolve));
  const abort = new AbortController();
  const callId = `bench-${randomUUID()}`;
  const inbound: number[] = [];
  const outbound: number[] = [];
  const total: number[] = [];
  let pacer: NodeJS.Timeout | undefined;
  try {
    const { localRtp } = await worker.allocate({
      callId,
      remoteRtp: { address: '127.0.0.1', port: caller.address().port },
      codec: { name: 'PCMU', payloadType: 0 },
      telephoneEventPayloadType: 101,
      ptimeMs: 20,
      direction: 'sendrecv',
    });
    await worker.session(callId)?.ready;
    const connection = new CallConnection({
      callId,
      channel: agentChannel,
      log,
      delegate: {
        onDtmf: () => undefined,
        onHold: () => undefined,
        onMark: () => undefined,
        onSuperseded: () => abort.abort(),
        onStop: () => abort.abort(),
      },
    });
    await connection.announce();

    // The caller: a packet every 20 ms, voiced when a turn asks for it.
    let sendVoicedAtNext = false;
    let voicedSentAt: number | undefined;
    let sequence = randomInt(0, 65536);
    let timestamp = randomInt(0, 2 ** 32);
    const packet = Buffer.alloc(172);
    const pcm = new Int16Array(160);
    pacer = setInterval(() => {
      writeRtpHeader(packet, 0, { marker: false, payloadType: 0, sequenceNumber: sequence, timestamp, ssrc: 0x1234 });
      sequence = (sequence + 1) & 0xffff;
      timestamp = (timestamp + 160) >>> 0;
      pcmuEncode(sendVoicedAtNext ? VOICED : new Int16Array(160), packet.subarray(12));
      if (sendVoicedAtNext) voicedSentAt = performance.now();
      sendVoicedAtNext = false;
      caller.send(packet, localRtp.port, '127.0.0.1');
    }, 20);

    let turnDone: (() => void) | undefined;
    let inboundMs = 0;
    let agentSentAt: number | undefined;
    caller.on('message', (message) => {
      const rtp = parseRtp(message);
      if (!rtp || agentSentAt === undefined) return;
      pcmuDecode(message.subarray(rtp.payloadOffset, rtp.payloadOffset + rtp.payloadLength), pcm);
      if (pcm[0] === 0) return;
      const outboundMs = performance.now() - agentSentAt;
      agentSentAt = undefined;
      outbound.push(outboundMs);
      total.push(inboundMs + outboundMs);
      turnDone?.();
    });
    connection.observeCallerFrames((frame) => {
      if (voicedSentAt === undefined || frame.samples[0] === 0) return;
      inboundMs = performance.now() - voicedSentAt;
      voicedSentAt = undefined;
      inbound.push(inboundMs);
      setTimeout(
        () => {
          agentSentAt = performance.now();
          connection.sendAudio(VOICED);
        },
        randomInt(0, 20),
      );
    });
    worker.start(callId, Date.now());
    await new Promise((resolve) => setTimeout(resolve, 500)); // latching and the jitter buffer settle
    for (let turn = 0; turn < TURNS; turn++) {
      const done = new Promise<void>((resolve) => (turnDone = resolve));
      sendVoicedAtNext = true;
      await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 2000))]);
      await new Promise((resolve) => setTimeout(resolve, 40 + randomInt(0, 40)));
    }
    console.log(line('inbound', inbound));
    console.log(line('outbound', outbound));
    console.log(`${line('bridge-added', total)}  (target p99 ≤ 30 ms)`);
  } finally {
    clearInterval(pacer);
    abort.abort();
    caller.close();
    worker.close();
    clock.close();
    pool.close();
    await mediaChannel.close();
    await agentChannel.close();
    redis.forEach((r) => r.disconnect());
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
