import type { Redis } from 'ioredis';
import { Counter, type Registry } from '@voicebridge/metrics';

const NAME = 'voicebridge_redis_errors_total';

/**
 * Counts the commands on `redis` that failed (an error reply, a timeout, a closed connection) in
 * `registry`, labelled by the connection's name (a fixed set per service). The count is taken where
 * ioredis rejects the command: a wrapper per command and no promise of our own, so the frame path's
 * publishes pay next to nothing.
 */
export function countRedisErrors(redis: Redis, connection: string, registry: Registry): void {
  const counter =
    (registry.getSingleMetric(NAME) as Counter<'connection'> | undefined) ??
    new Counter({
      name: NAME,
      help: 'Redis commands that failed (error reply, timeout, connection closed), by connection',
      labelNames: ['connection'],
      registers: [registry],
    });
  const send = redis.sendCommand.bind(redis);
  // A command is sent again after a reconnect (the offline queue): wrapped once, counted once.
  const wrapped = new WeakSet<object>();
  redis.sendCommand = (command, stream) => {
    // CLIENT is ioredis's own handshake (SETNAME, SETINFO): Redis before 7.2 refuses SETINFO on every
    // connect, which ioredis expects and ignores; counting it would report a fault that is none.
    if (!wrapped.has(command) && command.name !== 'client') {
      wrapped.add(command);
      const reject = command.reject;
      let counted = false;
      command.reject = (error: Error) => {
        if (!counted) counter.inc({ connection });
        counted = true;
        reject(error);
      };
    }
    return send(command, stream);
  };
}
