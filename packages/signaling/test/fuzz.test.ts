import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { RedisAudioChannel } from '@voicebridge/channel';
import { MediaControlServer, MediaWorker, PortPool } from '@voicebridge/media';
import { CALLS_QUEUE, loadBridgeConfig } from '@voicebridge/protocol';
import { MediaClock } from '@voicebridge/rtp';
import { seededRandom } from '../../sip/test/seeded-random.ts';
import { SignalingService } from '../src/index.ts';
import { inviteText } from './sip-peer.ts';
import { freePort, freeRtpPortRange } from '../../../test/support/free-port.ts';
import { waitFor, withTimeout } from '../../../test/support/wait-for.ts';

const SEED = 0x5eed4475;
const INVITES = 20_000;
const DATAGRAMS = 3_000;
const TCP_STREAMS = 150;
/**
 * The stack's T1. Every transaction ends by 64·T1 (Timers B, F, H, J, L); what is measured is that
 * nothing is left once that has passed, so a T1 of 100 ms (SIP_T1_MS allows 50) proves the same as
 * the default 500 ms in a fifth of the wait.
 */
const T1_MS = 100;
const SETTLE_MS = 64 * T1_MS + 5000;

/**
 * The signaling service runs inside this test process, on real UDP and TCP sockets, with a real media
 * worker, Redis and BullMQ: its stack, call manager and port pool can then be asked directly that
 * nothing is left. The heap is measured here too, after a forced full GC: `gc` comes from V8's
 * --expose-gc set at run time (v8.setFlagsFromString + a fresh vm context), so the suite needs no
 * special node flag. The test's own allocations are released before each measurement.
 */
describe('fuzzing the live signaling service (mutated INVITEs, random datagrams, random TCP streams)', function () {
  this.timeout(150_000);
  const prefix = `vbtest:${randomBytes(4).toString('hex')}`;
  const cleanup: (() => unknown)[] = [];
  const errors: string[] = [];
  let signaling: SignalingService;
  let pool: PortPool;
  let redis: Redis;
  let port: number;

  before(async () => {
    const rtp = await freeRtpPortRange(20);
    const config = loadBridgeConfig({
      SIP_PORT: String(await freePort('udp', 'tcp')),
      RTP_PORT_MIN: String(rtp.minPort),
      RTP_PORT_MAX: String(rtp.maxPort),
      MEDIA_CONTROL_PORT: String(await freePort('tcp')),
      MEDIA_WORKERS: '1', // one MediaControlServer below
      REDIS_KEY_PREFIX: prefix,
      SEED_DEMO_NUMBERS: 'false',
      SIP_T1_MS: String(T1_MS),
      SIP_TCP_MESSAGE_TIMEOUT_MS: '2000',
      DRAIN_TIMEOUT_MS: '200',
      // Admission limits off the path: every INVITE that parses reaches the number lookup.
      MAX_CALLS_PER_SECOND: '10000',
      MAX_CONCURRENT_CALLS: '100000',
    });
    port = config.SIP_PORT;
    // Anything logged at error (a handler that threw, a failed admission) fails the test.
    const log = pino({ level: 'error' }, { write: (line: string) => errors.push(line) });
    const conns = Array.from({ length: 5 }, () => new Redis({ maxRetriesPerRequest: null }));
    cleanup.push(() => conns.forEach((c) => c.disconnect()));
    redis = conns[0]!;
    cleanup.push(async () => {
      for (let cursor = '0', i = 0; i < 10_000; i++) {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        if (keys.length > 0) await redis.del(...keys);
        if ((cursor = next) === '0') break;
      }
    });
    const channel = new RedisAudioChannel({ publisher: conns[1]!, subscriber: conns[2]!, keyPrefix: prefix });
    const clock = new MediaClock();
    pool = new PortPool({
      bindAddress: '127.0.0.1',
      minPort: config.RTP_PORT_MIN,
      maxPort: config.RTP_PORT_MAX,
      quarantineMs: 100,
    });
    const server: { ref?: MediaControlServer } = {};
    const media = new MediaWorker({
      pool,
      clock,
      channel,
      advertisedAddress: '127.0.0.1',
      log,
      onEvent: (e) => server.ref?.broadcast(e),
    });
    server.ref = new MediaControlServer({ worker: media, host: '127.0.0.1', port: config.MEDIA_CONTROL_PORT, log });
    await server.ref.listen();
    cleanup.push(
      () => media.close(),
      () => server.ref?.close(),
      () => clock.close(),
      () => pool.close(),
      () => channel.close(),
    );
    signaling = await SignalingService.start({ config, log, redis: conns[3]!, eventsRedis: conns[4]! });
    cleanup.push(() => signaling.close(200));
    await signaling.media.whenConnected();
  });

  after(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  /** Every transaction, dialog, call, TCP connection and RTP port is gone within 64·T1 + 5 s. */
  async function nothingLeft(): Promise<void> {
    const left = (): Record<string, number> => ({
      ...signaling.stack.stats,
      calls: signaling.calls.size,
      tcpConnections: signaling.tcpConnectionCount,
      rtpPorts: pool.allocatedCount,
    });
    const none = (): boolean => Object.values(left()).every((n) => n === 0);
    await waitFor('nothing left', SETTLE_MS, none, { everyMs: 100 }).catch(() => undefined);
    expect(left(), 'transactions, dialogs, calls, TCP connections and RTP ports').to.deep.equal({
      serverTransactions: 0,
      clientTransactions: 0,
      dialogs: 0,
      calls: 0,
      tcpConnections: 0,
      rtpPorts: 0,
    });
  }

  it(`survives ${INVITES} mutated INVITEs, ${DATAGRAMS} random datagrams and ${TCP_STREAMS} random TCP streams; within 64·T1 + 5 s nothing is left and the heap is back within 10%`, async () => {
    const gc = exposeGc();
    const peer = createSocket('udp4');
    await new Promise<void>((resolve) => peer.bind(0, '127.0.0.1', resolve));
    peer.setRecvBufferSize(4 * 1024 * 1024);
    let answers = 0;
    let notFound = 0;
    peer.on('message', (d: Buffer) => {
      answers++;
      if (d.toString('latin1', 8, 12) === '404 ') notFound++;
    });
    try {
      const random = seededRandom(SEED);
      // Warm-up: the same traffic, smaller, so the baseline already has every code path compiled and
      // every cache at its size (three rounds of 10,000 measured 29.2, 29.4, 28.5 MB: no growth).
      await fuzz(random, peer, port, 3000, 300, 20);
      await nothingLeft();
      const baseline = heapAfterGc(gc);

      await fuzz(random, peer, port, INVITES, DATAGRAMS, TCP_STREAMS);
      expect(answers, 'the service answered the fuzz (it was not all dropped)').to.be.above(INVITES / 2);
      expect(
        notFound,
        'mutated INVITEs that still reached the number lookup (404, retransmissions included)',
      ).to.be.above(INVITES / 4);
      await nothingLeft();
      const queue = new Queue(CALLS_QUEUE, { connection: redis, prefix: `${prefix}:bull` });
      const jobs = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      await queue.close();
      expect(
        Object.values(jobs).reduce((a, b) => a + b, 0),
        `jobs ${JSON.stringify(jobs)}`,
      ).to.equal(0);
      expect(errors, 'error logs').to.deep.equal([]);

      const after = heapAfterGc(gc);
      const change = (after - baseline) / baseline;
      expect(Math.abs(change), `heapUsed ${mb(baseline)} → ${mb(after)} (${(change * 100).toFixed(1)}%)`).to.be.below(
        0.1,
      );

      // Still serving: a well-formed OPTIONS gets its 200.
      const ok = new Promise<string>((resolve) => peer.once('message', (d: Buffer) => resolve(d.toString('latin1'))));
      peer.send(optionsText(peer.address().port, port), port, '127.0.0.1');
      expect((await ok).split('\r\n')[0]).to.equal('SIP/2.0 200 OK');
    } finally {
      peer.close();
    }
  });
});

/** One round of fuzz: mutated INVITEs and random datagrams over UDP, paced, then random TCP streams. */
async function fuzz(
  random: () => number,
  peer: UdpSocket,
  port: number,
  invites: number,
  datagrams: number,
  streams: number,
): Promise<void> {
  const peerPort = peer.address().port;
  const total = invites + datagrams;
  for (let i = 0; i < total; i++) {
    const data =
      i % Math.ceil(total / Math.max(1, datagrams)) === 0 && datagrams > 0
        ? randomDatagram(random)
        : mutate(random, baseInvite(random, peerPort, port));
    peer.send(data, port, '127.0.0.1');
    // Paced so the socket's receive buffer is not what drops the fuzz: every message is parsed.
    // eslint-disable-next-line no-restricted-globals -- paces the traffic; no state is awaited here
    if (i % 40 === 39) await new Promise((resolve) => setTimeout(resolve, 4));
  }
  await Promise.all(Array.from({ length: streams }, (_, i) => tcpStream(random, port, peerPort, i)));
}

function baseInvite(random: () => number, peerPort: number, port: number): string {
  const id = Math.floor(random() * 2 ** 32).toString(16);
  // +1555999xxxx is never configured (SEED_DEMO_NUMBERS is off): every INVITE that survives mutation ends in 404.
  return inviteText({
    number: `+1555999${String(Math.floor(random() * 10_000)).padStart(4, '0')}`,
    bridgePort: port,
    peerPort,
    callId: `fuzz-${id}@127.0.0.1`,
    branch: `z9hG4bK-fz${id}`,
  });
}

const JUNK = [
  '\x00',
  '\r',
  '\n',
  '\r\n',
  ' ',
  ':',
  ';',
  ',',
  '<',
  '>',
  '"',
  '%',
  '=',
  '\t',
  '\xff',
  'ä',
  '9999999999',
  '-1',
  'sip:',
  ';branch=',
  'Content-Length: 5',
  '\r\n\r\n',
];

/** One to four mutations of a real INVITE: bytes, header lines, values, lengths, truncation. */
function mutate(random: () => number, text: string): Buffer {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  let lines = text.split('\r\n');
  let bytes: Buffer | undefined;
  const count = 1 + Math.floor(random() * 4);
  for (let m = 0; m < count; m++) {
    const at = Math.floor(random() * lines.length);
    switch (Math.floor(random() * 8)) {
      case 0: // delete a line
        lines.splice(at, 1);
        break;
      case 1: // duplicate a line
        lines.splice(at, 0, lines[at] ?? '');
        break;
      case 2: // junk inside a line
        lines[at] = insert(lines[at] ?? '', pick(JUNK), random);
        break;
      case 3: // swap two lines
        [lines[at], lines[0]] = [lines[0] ?? '', lines[at] ?? ''];
        break;
      case 4: // a header's value replaced
        lines[at] = (lines[at] ?? '').replace(/:.*$/, `: ${pick(JUNK)}${pick(JUNK)}`);
        break;
      case 5: // Content-Length lies
        lines = lines.map((l) =>
          l.startsWith('Content-Length')
            ? `Content-Length: ${pick(['0', '1', '99999', '-5', 'x', String(Math.floor(random() * 400))])}`
            : l,
        );
        break;
      case 6: // a long header
        lines.splice(at, 0, `X-Fuzz: ${'a'.repeat(Math.floor(random() * 9000))}`);
        break;
      default: // raw byte flips, applied last
        bytes = Buffer.from(lines.join('\r\n'), 'latin1');
        for (let f = 1 + Math.floor(random() * 8); f > 0; f--)
          bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
        lines = bytes.toString('latin1').split('\r\n');
    }
  }
  const out = Buffer.from(lines.join('\r\n'), 'latin1');
  return random() < 0.1 ? out.subarray(0, Math.floor(random() * out.length)) : out;
}

function insert(line: string, junk: string, random: () => number): string {
  const at = Math.floor(random() * (line.length + 1));
  return line.slice(0, at) + junk + line.slice(at);
}

function randomDatagram(random: () => number): Buffer {
  const length = Math.floor(random() * 1500);
  const data = Buffer.alloc(length);
  for (let i = 0; i < length; i++) data[i] = Math.floor(random() * 256);
  // Some start like SIP, so they get past the first check.
  if (random() < 0.5)
    data.write(random() < 0.5 ? 'INVITE sip:x@y SIP/2.0\r\nVia: SIP/2.0/UDP ' : 'SIP/2.0 200 OK\r\nVia: ', 'latin1');
  return data;
}

/** A TCP connection that writes random bytes and mutated INVITEs in random chunks, then closes. */
async function tcpStream(random: () => number, port: number, peerPort: number, n: number): Promise<void> {
  const parts: Buffer[] = [];
  for (let k = 0; k < 1 + Math.floor(random() * 4); k++)
    parts.push(random() < 0.5 ? mutate(random, baseInvite(random, peerPort, port)) : randomDatagram(random));
  if (n % 10 === 0) parts.push(Buffer.from('\r\n\r\n'));
  const data = Buffer.concat(parts);
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  socket.on('data', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  for (let offset = 0; offset < data.length && socket.writable;) {
    const size = 1 + Math.floor(random() * 2000);
    socket.write(data.subarray(offset, offset + size));
    offset += size;
  }
  // Half the peers hang up at once, the others wait to be answered or cut.
  if (n % 2 === 0) socket.end();
  await withTimeout(closed, 'the bridge to close the stream', 500).catch(() => undefined);
  socket.destroy();
  await closed;
}

function optionsText(peerPort: number, port: number): string {
  return [
    `OPTIONS sip:+15559990000@127.0.0.1:${port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${peerPort};branch=z9hG4bK-after;rport`,
    'From: <sip:fuzz@127.0.0.1>;tag=after',
    'To: <sip:+15559990000@127.0.0.1>',
    'Call-ID: after-fuzz@127.0.0.1',
    'CSeq: 1 OPTIONS',
    'Max-Forwards: 70',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function heapAfterGc(gc: () => void): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
