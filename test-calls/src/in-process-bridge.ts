import { randomBytes } from 'node:crypto';
import { Worker, type Processor } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RedisAudioChannel } from '@voicebridge/channel';
import { MediaControlServer, MediaWorker, PortPool } from '@voicebridge/media';
import { CALLS_QUEUE, loadBridgeConfig, type BridgeConfig, type CallJob } from '@voicebridge/protocol';
import { MediaClock } from '@voicebridge/rtp';
import { SignalingService } from '@voicebridge/signaling';
import { CallRecordRepository, NumberRepository, RedisKeys, type NumberConfigInput } from '@voicebridge/store';
import { freePort, freeRtpPortRange } from '../../test/support/free-port.ts';

export interface InProcessBridge {
  readonly prefix: string;
  readonly config: BridgeConfig;
  readonly records: CallRecordRepository;
  readonly signaling: SignalingService;
  /** Closes the agent worker, signaling and media, deletes the prefix's keys; idempotent. */
  close(): Promise<void>;
}

export interface InProcessBridgeOptions {
  log: Logger;
  /** Number configs put before signaling starts. */
  numbers?: NumberConfigInput[];
  /** The BullMQ processor of the calls queue, given the agent's own audio channel and the records. */
  agent: (sides: { channel: RedisAudioChannel; records: CallRecordRepository }) => Processor<CallJob>;
  agentConcurrency: number;
  /** More bridge settings (e.g. SIP_T1_MS), over the ones chosen here. */
  env?: Record<string, string>;
}

/**
 * Signaling, a media worker and an agent (a BullMQ worker on the calls queue) in the test process, on
 * free loopback ports and real Redis under a fresh prefix: for tests that must reach an API only the
 * signaling process has (e.g. `CallManager.transfer`), with a real SIPp as the far end.
 */
export async function startInProcessBridge(options: InProcessBridgeOptions): Promise<InProcessBridge> {
  const { log } = options;
  const prefix = `vbtest:${randomBytes(4).toString('hex')}`;
  const cleanup: (() => unknown)[] = [];
  const close = async (): Promise<void> => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  };
  try {
    const rtp = await freeRtpPortRange(10);
    const config = loadBridgeConfig({
      SIP_PORT: String(await freePort('udp', 'tcp')),
      RTP_PORT_MIN: String(rtp.minPort),
      RTP_PORT_MAX: String(rtp.maxPort),
      MEDIA_CONTROL_PORT: String(await freePort('tcp')),
      MEDIA_WORKERS: '1', // one MediaControlServer below
      REDIS_KEY_PREFIX: prefix,
      ANSWER_TIMEOUT_MS: '5000',
      ...options.env,
    });
    const conns = Array.from({ length: 8 }, () => new Redis({ maxRetriesPerRequest: null }));
    cleanup.push(() => conns.forEach((c) => c.disconnect()));
    cleanup.push(async () => {
      const keys = await conns[0]!.keys(`${prefix}:*`);
      if (keys.length > 0) await conns[0]!.del(...keys);
    });
    const keys = new RedisKeys(prefix);
    const records = new CallRecordRepository(conns[0]!, keys);
    const numbers = new NumberRepository(conns[7]!, keys);
    for (const number of options.numbers ?? []) await numbers.put(number);
    const channel = new RedisAudioChannel({ publisher: conns[1]!, subscriber: conns[2]!, keyPrefix: prefix });
    const clock = new MediaClock();
    const pool = new PortPool({ bindAddress: '127.0.0.1', ...rtp, quarantineMs: 100 });
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
    const signaling = await SignalingService.start({ config, log, redis: conns[3]!, eventsRedis: conns[4]! });
    cleanup.push(() => signaling.close(200));
    await signaling.media.whenConnected();
    const agentChannel = new RedisAudioChannel({ publisher: conns[5]!, subscriber: conns[6]!, keyPrefix: prefix });
    cleanup.push(() => agentChannel.close());
    const workerConnection = new Redis({ maxRetriesPerRequest: null });
    cleanup.push(() => workerConnection.disconnect());
    const worker = new Worker<CallJob>(CALLS_QUEUE, options.agent({ channel: agentChannel, records }), {
      connection: workerConnection,
      prefix: `${prefix}:bull`,
      concurrency: options.agentConcurrency,
    });
    cleanup.push(() => worker.close());
    // Calls drain before the worker closes, as in `voicebridge start`: BullMQ's close waits for active
    // jobs, and a call's job ends only when its call does (close is idempotent, so the earlier entry
    // covers a start that fails before this line).
    cleanup.push(() => signaling.close(200));
    return { prefix, config, records, signaling, close };
  } catch (error) {
    await close();
    throw error;
  }
}
