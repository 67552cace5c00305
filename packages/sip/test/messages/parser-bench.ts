/**
 * Parser throughput on a typical INVITE (11 headers + 250-byte SDP), as quoted in
 * docs/adr/0002-sip-stack.md. Run: node --import tsx packages/sip/test/messages/parser-bench.ts
 * Not a mocha test (no .test.ts): timings on a shared box are not assertions.
 */
import {
  parseMessage,
  parseVia,
  serializeMessage,
  createResponse,
  parseCSeq,
  parseNameAddr,
} from '../../src/messages/index.ts';
import { typicalInvite } from './sip-builders.ts';

function rate(label: string, iterations: number, work: () => void): number {
  const runs: number[] = [];
  for (let run = 0; run < 5; run++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) work();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    runs.push(iterations / seconds);
  }
  runs.sort((a, b) => a - b);
  const median = runs[2] ?? 0;
  process.stdout.write(
    `${label.padEnd(52)} median ${Math.round(median).toLocaleString('en-US')} msgs/s (min ${Math.round(runs[0] ?? 0).toLocaleString('en-US')}, max ${Math.round(runs[4] ?? 0).toLocaleString('en-US')})\n`,
  );
  return median;
}

const invite = typicalInvite();
process.stdout.write(`typical INVITE: ${invite.length} bytes\n`);
for (let i = 0; i < 20000; i++) parseMessage(invite);

rate('parseMessage (validates Via/From/To/CSeq/Contact/URI)', 100000, () => {
  parseMessage(invite);
});
rate('parse + top Via/CSeq/From tag (transaction key)', 100000, () => {
  const outcome = parseMessage(invite);
  if (!outcome.ok) throw new Error('bench message must parse');
  const { headers } = outcome.message;
  parseVia(headers.get('Via') ?? '');
  parseCSeq(headers.get('CSeq') ?? '');
  parseNameAddr(headers.get('From') ?? '');
});
rate('parse + createResponse(180) + serializeMessage', 100000, () => {
  const outcome = parseMessage(invite);
  if (!outcome.ok || outcome.message.type !== 'request') throw new Error('bench message must parse');
  serializeMessage(createResponse(outcome.message, 180, undefined, { toTag: 'abc123' }));
});
