/**
 * Parser throughput on a typical INVITE (11 headers + 250-byte SDP), as quoted in
 * docs/adr/0002-sip-stack.md: messages per second, the median of 5 runs of 100,000 after a warm-up
 * (1.5 million messages in all: about 15 s at the ADR's rates, far longer on a loaded box).
 *
 *   node --import tsx packages/sip/bench/parser.bench.ts
 */
import { pathToFileURL } from 'node:url';
import {
  parseMessage,
  parseVia,
  serializeMessage,
  createResponse,
  parseCSeq,
  parseNameAddr,
} from '../src/messages/index.ts';
import { typicalInvite } from '../test/messages/sip-builders.ts';

const ITERATIONS = 100_000;
const WARMUP = 20_000;
const RUNS = 5;

function rate(label: string, work: () => void): number {
  const runs: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < ITERATIONS; i++) work();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    runs.push(ITERATIONS / seconds);
  }
  runs.sort((a, b) => a - b);
  const median = runs[Math.floor(RUNS / 2)] ?? 0;
  const shown = (value: number | undefined): string => Math.round(value ?? 0).toLocaleString('en-US');
  console.log(
    `${label.padEnd(52)} median ${shown(median)} msgs/s (min ${shown(runs[0])}, max ${shown(runs[RUNS - 1])})`,
  );
  return median;
}

export async function run(): Promise<void> {
  const invite = typicalInvite();
  console.log(`typical INVITE: ${invite.length} bytes`);
  for (let i = 0; i < WARMUP; i++) parseMessage(invite);

  rate('parseMessage (validates Via/From/To/CSeq/Contact/URI)', () => {
    parseMessage(invite);
  });
  rate('parse + top Via/CSeq/From tag (transaction key)', () => {
    const outcome = parseMessage(invite);
    if (!outcome.ok) throw new Error('bench message must parse');
    const { headers } = outcome.message;
    parseVia(headers.get('Via') ?? '');
    parseCSeq(headers.get('CSeq') ?? '');
    parseNameAddr(headers.get('From') ?? '');
  });
  rate('parse + createResponse(180) + serializeMessage', () => {
    const outcome = parseMessage(invite);
    if (!outcome.ok || outcome.message.type !== 'request') throw new Error('bench message must parse');
    serializeMessage(createResponse(outcome.message, 180, undefined, { toTag: 'abc123' }));
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
