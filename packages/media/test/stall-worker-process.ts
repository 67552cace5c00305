/**
 * A real MediaWorker in a process of its own, on loopback and real Redis, driven over IPC by
 * stall-round-trip.test.ts: so that when it blocks its event loop on purpose (`stall`), the caller
 * and the agent in the test's process keep their own time, as a real caller and agent would.
 */
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { RedisAudioChannel } from '@voicebridge/channel';
import type { AllocateParams } from '@voicebridge/protocol';
import { MediaClock } from '@voicebridge/rtp';
import { MediaWorker, PortPool } from '../src/index.ts';

export type StallWorkerCommand =
  | { type: 'setup'; prefix: string; minPort: number; maxPort: number }
  | { type: 'allocate'; params: AllocateParams }
  | { type: 'start'; callId: string }
  | { type: 'stall'; ms: number }
  | { type: 'stats'; callId: string }
  | { type: 'exit' };

/** Longest stall the harness will make: the test's own bound on a busy-wait. */
const MAX_STALL_MS = 1000;

let parts:
  { conns: Redis[]; channel: RedisAudioChannel; clock: MediaClock; pool: PortPool; worker: MediaWorker } | undefined;

function reply(message: unknown): void {
  process.send?.(message);
}

process.on('message', (command: StallWorkerCommand) => {
  void handle(command).catch((error: unknown) => reply({ type: 'error', message: String(error) }));
});

async function handle(command: StallWorkerCommand): Promise<void> {
  switch (command.type) {
    case 'setup': {
      const conns = [new Redis(), new Redis()];
      const channel = new RedisAudioChannel({
        publisher: conns[0] as Redis,
        subscriber: conns[1] as Redis,
        keyPrefix: command.prefix,
      });
      const clock = new MediaClock();
      const pool = new PortPool({
        bindAddress: '127.0.0.1',
        minPort: command.minPort,
        maxPort: command.maxPort,
        quarantineMs: 0,
      });
      const log = pino({ level: 'silent' });
      const worker = new MediaWorker({
        pool,
        clock,
        channel,
        advertisedAddress: '127.0.0.1',
        log,
        onEvent: () => undefined,
      });
      parts = { conns, channel, clock, pool, worker };
      reply({ type: 'ready' });
      return;
    }
    case 'allocate': {
      const result = await (parts as NonNullable<typeof parts>).worker.allocate(command.params);
      reply({ type: 'allocated', port: result.localRtp.port });
      return;
    }
    case 'start':
      parts?.worker.start(command.callId, Date.now());
      reply({ type: 'started' });
      return;
    case 'stall': {
      const until = performance.now() + Math.min(command.ms, MAX_STALL_MS);
      while (performance.now() < until) {
        // The stall itself: nothing else in this process runs until it is over.
      }
      reply({ type: 'stalled' });
      return;
    }
    case 'stats':
      reply({ type: 'stats', stats: parts?.worker.session(command.callId)?.mediaStats });
      return;
    case 'exit':
      if (parts) {
        parts.worker.close();
        parts.clock.close();
        parts.pool.close();
        await parts.channel.close();
        for (const c of parts.conns) c.disconnect();
      }
      reply({ type: 'bye' });
      process.exit(0);
  }
}
