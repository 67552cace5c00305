import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

/** A real pino logger whose lines are kept for assertions: `messages` holds each line's `msg`. */
export function captureLog(): { log: Logger; messages: string[] } {
  const messages: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() !== '') messages.push((JSON.parse(line) as { msg: string }).msg);
      }
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), messages };
}
