import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

/** One line as pino wrote it, its level turned back into a name. */
export interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

/**
 * A real pino logger at debug whose lines are kept for assertions: `text` as written (what an
 * operator would see), `lines` parsed, each also handed to `onLine` as it is written.
 */
export function captureLog(onLine?: (line: LogLine) => void): { log: Logger; lines: LogLine[]; text: string[] } {
  const lines: LogLine[] = [];
  const text: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const written of chunk.toString('utf8').split('\n')) {
        if (written.trim() === '') continue;
        const raw = JSON.parse(written) as { level: number; msg: string };
        const line: LogLine = { ...raw, level: pino.levels.labels[raw.level] ?? String(raw.level) };
        text.push(written);
        lines.push(line);
        onLine?.(line);
      }
      done();
    },
  });
  return { log: pino({ level: 'debug' }, stream), lines, text };
}
