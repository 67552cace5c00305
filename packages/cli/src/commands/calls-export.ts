import { CallsQuerySchema } from '@voicebridge/api';
import { queryCalls, type CallRecordRepository } from '@voicebridge/store';
import { UsageError, expectPositionals, parseArgs } from '../args.ts';
import type { CliContext } from '../cli-context.ts';
import { printedHelp } from './command-group.ts';

export const EXPORT_HELP = `Usage: voicebridge calls export [--since T] [--until T] [filters]

Prints every call record in the window as JSON lines (one record, transcript
included, per line), newest first, paging through the same indexes as
GET /api/v1/calls. T is an RFC 3339 time (2026-12-06T09:00:00Z) or epoch
milliseconds; without --since, from the oldest record kept.

Options:
  --since T            oldest invite time included
  --until T            newest invite time included
  --number E164        only calls to this number
  --from CALLER        only calls from this caller (number or SIP URI)
  --trunk NAME         only calls from this trunk
  --verdict CODE       only calls that ended with this verdict
  --direction DIR      inbound or outbound
  --live               only calls not ended yet
  -h, --help           show this help

A record that fails validation is reported on stderr and skipped; the exit
status is then 1.
`;

const FILTERS = ['since', 'until', 'number', 'from', 'trunk', 'verdict', 'direction'] as const;

/** `calls export`: the API's query schema checks the flags, so both refuse a value with the same words. */
export async function callsExport(
  argv: readonly string[],
  ctx: CliContext,
  records: CallRecordRepository,
): Promise<number> {
  const command = 'calls export';
  const specs = Object.fromEntries([
    ...FILTERS.map((f) => [f, { type: 'string' as const }]),
    ['live', { type: 'boolean' as const }],
  ]);
  const args = parseArgs(argv, specs, command);
  if (printedHelp(args, ctx, EXPORT_HELP)) return 0;
  expectPositionals(args, [], command);
  const given: Record<string, string> = {};
  for (const name of FILTERS) {
    const value = args.string(name);
    if (value !== undefined) given[name] = value;
  }
  const parsed = CallsQuerySchema.safeParse(given);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const flag = String(issue?.path[0] ?? 'since');
    throw new UsageError(
      `invalid --${flag} ${JSON.stringify(given[flag] ?? '')}: ${issue?.message ?? 'invalid'}`,
      command,
    );
  }
  const q = parsed.data;
  if (q.since !== undefined && q.until !== undefined && q.since > q.until) {
    throw new UsageError(`invalid --until ${JSON.stringify(given['until'])}: is before --since`, command);
  }
  let corrupt = 0;
  let after: Parameters<typeof queryCalls>[3]['after'];
  // Each page moves the cursor strictly older, so the loop ends at the window's start.
  do {
    const page = await queryCalls(ctx.redis, ctx.keys, records, {
      ...q,
      sinceMs: q.since,
      untilMs: q.until,
      live: args.flag('live'),
      after,
      limit: 500,
      onCorrupt: (error) => {
        corrupt++;
        ctx.stderr.write(`voicebridge: skipped: ${error.message}\n`);
      },
    });
    for (const record of page.records) ctx.stdout.write(`${JSON.stringify(record)}\n`);
    after = page.next;
  } while (after !== undefined);
  return corrupt === 0 ? 0 : 1;
}
