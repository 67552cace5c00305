import type { SipTraceEntry } from '@voicebridge/protocol';
import { SipTraceRepository, type CallRecordRepository } from '@voicebridge/store';
import { UsageError, expectPositionals, parseArgs } from '../args.ts';
import { json, type CliContext } from '../cli-context.ts';
import { isoTime, printable, truncate } from '../format.ts';
import { printedHelp } from './command-group.ts';

export const TRACE_HELP = `Usage: voicebridge calls trace <callId> [--full] [--json]

Prints the SIP messages of one call in the order the bridge sent and received
them: time since the first, direction (<- received, -> sent), the peer's
address and transport, and the request or status line. Credentials and SDES
keys are masked. <callId> may also be the SIP Call-ID. Kept for the record's
TTL, at most 100 messages; none when the bridge runs with SIP_TRACE=false.

Options:
  --full       print each message whole (headers and body) under its line
  --json       print the messages as a JSON array
  -h, --help   show this help
`;

/** The ladder: one line per message, times relative to the first, the peer on the left. */
export function formatSipTrace(callId: string, entries: readonly SipTraceEntry[], full: boolean): string {
  if (entries.length === 0) return `call ${callId}: no SIP messages kept (SIP_TRACE=false, or the trace expired)\n`;
  const first = entries[0]?.atMs ?? 0;
  const peers = entries.map((e) => `${e.remote.address}:${e.remote.port}`);
  const width = Math.max(...peers.map((p) => p.length));
  const lines = [`call ${callId}, first message ${isoTime(first)}`];
  entries.forEach((e, i) => {
    const at = `+${((e.atMs - first) / 1000).toFixed(3)}s`.padStart(9);
    const arrow = e.direction === 'in' ? '<-' : '->';
    lines.push(
      `${at}  ${arrow} ${(peers[i] ?? '').padEnd(width)}  ${e.transport}  ${truncate(printable(e.firstLine), 160)}`,
    );
    if (full) for (const line of e.text.split(/\r?\n/)) lines.push(`             ${printable(line)}`);
  });
  return `${lines.join('\n')}\n`;
}

export async function callsTrace(
  argv: readonly string[],
  ctx: CliContext,
  records: CallRecordRepository,
): Promise<number> {
  const command = 'calls trace';
  const args = parseArgs(argv, { full: { type: 'boolean' }, json: { type: 'boolean' } }, command);
  if (printedHelp(args, ctx, TRACE_HELP)) return 0;
  const [id] = expectPositionals(args, ['callId'], command) as [string];
  if (id === '') throw new UsageError('invalid <callId> "": must not be empty', command);
  const callId = (await records.get(id))?.callId ?? (await records.findBySipCallId(id));
  if (callId === undefined || (await records.get(callId)) === undefined) {
    ctx.stderr.write(
      `voicebridge: no call ${JSON.stringify(truncate(printable(id), 200))} (looked up as call id and as SIP Call-ID)\n`,
    );
    return 1;
  }
  const entries = await new SipTraceRepository(ctx.redis, ctx.keys).list(callId);
  ctx.stdout.write(args.flag('json') ? json(entries) : formatSipTrace(callId, entries, args.flag('full')));
  return 0;
}
