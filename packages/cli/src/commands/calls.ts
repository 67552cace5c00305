import { CallEventDeadLetters, CallRecordRepository } from '@voicebridge/store';
import type { CallRecord } from '@voicebridge/protocol';
import { UsageError, expectPositionals, parseArgs } from '../args.ts';
import { json } from '../cli-context.ts';
import { printedHelp, runCommandGroup } from './command-group.ts';
import type { CliContext } from '../cli-context.ts';
import { formatCallRecord, formatCallTable, formatDeadLetters, printable, truncate } from '../format.ts';
import { formatBotStream, formatBotTurns } from '../format-bot.ts';
import { callsExport } from './calls-export.ts';
import { callsEvents } from './calls-events.ts';
import { callsTrace } from './calls-trace.ts';

const MAX_LIMIT = 1000;
const DEFAULT_LIMIT = 20;

export const CALLS_HELP = `Usage: voicebridge calls <command>

Inspect call records (kept 7 days).

Commands:
  list [--limit N] [--json]  recent calls, newest first
  show <callId> [--json]     one call with its transcript; <callId> may also be
                             the SIP Call-ID
  export [--since T] [--until T] [filters]
                             every call in a window as JSON lines
  trace <callId> [--full]    the call's SIP messages as a ladder
  events <callId> [--redeliver]
                             events given up after every attempt; queue
                             them again

Run "voicebridge calls <command> --help" for a command's options.
`;

const LIST_HELP = `Usage: voicebridge calls list [--limit N] [--json]

Lists recent calls, newest first.

Options:
  --limit N    how many calls, 1 to ${MAX_LIMIT} (default ${DEFAULT_LIMIT})
  --json       print the records as a JSON array
  -h, --help   show this help

A record that fails validation is reported on stderr and skipped; the exit
status is then 1.
`;

const SHOW_HELP = `Usage: voicebridge calls show <callId> [--json]

Shows one call: ids, parties, times, codec, addresses, verdict, transcript and
the per-turn latency table (ms between stages: caller's last voice, final
transcript, answer, TTS first audio, first RTP packet of the reply). A
websocket call adds its bot stream (URL without its query, connect time, media
both ways, marks, clears, drops, ignored messages by kind, the bot's close) and
its turns: the caller's last voice, the bot's first voiced audio after it, its
first RTP packet.
<callId> is our call id (as in "calls list") or the call's SIP Call-ID.
Exit status 1 when no such call is stored.

Options:
  --json       print the record as JSON
  -h, --help   show this help
`;

export function callsCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const repo = (): CallRecordRepository =>
    new CallRecordRepository(ctx.redis, ctx.keys, { nowMs: ctx.nowMs ?? Date.now });
  return runCommandGroup('calls', CALLS_HELP, argv, ctx, {
    list: (rest) => callsList(rest, ctx, repo()),
    show: (rest) => callsShow(rest, ctx, repo()),
    export: (rest) => callsExport(rest, ctx, repo()),
    trace: (rest) => callsTrace(rest, ctx, repo()),
    events: (rest) => callsEvents(rest, ctx, repo()),
  });
}

async function callsList(argv: readonly string[], ctx: CliContext, repo: CallRecordRepository): Promise<number> {
  const command = 'calls list';
  const args = parseArgs(argv, { limit: { type: 'string' }, json: { type: 'boolean' } }, command);
  if (printedHelp(args, ctx, LIST_HELP)) return 0;
  expectPositionals(args, [], command);
  const rawLimit = args.string('limit');
  let limit = DEFAULT_LIMIT;
  if (rawLimit !== undefined) {
    limit = /^[0-9]{1,4}$/.test(rawLimit) ? Number(rawLimit) : 0;
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new UsageError(
        `invalid --limit ${JSON.stringify(rawLimit)}: must be an integer from 1 to ${MAX_LIMIT}`,
        command,
      );
    }
  }
  let corrupt = 0;
  const records = await repo.listRecent({
    limit,
    onCorrupt: (error) => {
      corrupt++;
      ctx.stderr.write(`voicebridge: skipped: ${error.message}\n`);
    },
  });
  const nowMs = (ctx.nowMs ?? Date.now)();
  ctx.stdout.write(args.flag('json') ? json(records) : formatCallTable(records, nowMs));
  return corrupt === 0 ? 0 : 1;
}

async function callsShow(argv: readonly string[], ctx: CliContext, repo: CallRecordRepository): Promise<number> {
  const command = 'calls show';
  const args = parseArgs(argv, { json: { type: 'boolean' } }, command);
  if (printedHelp(args, ctx, SHOW_HELP)) return 0;
  const [id] = expectPositionals(args, ['callId'], command) as [string];
  if (id === '') throw new UsageError('invalid <callId> "": must not be empty', command);
  const record = await findCall(repo, id);
  if (record === undefined) {
    ctx.stderr.write(
      `voicebridge: no call ${JSON.stringify(truncate(printable(id), 200))} (looked up as call id and as SIP Call-ID)\n`,
    );
    return 1;
  }
  const dead = await new CallEventDeadLetters(ctx.redis, ctx.keys, { ttlSeconds: 1 }).list(record.callId);
  if (args.flag('json')) ctx.stdout.write(json(dead.length === 0 ? record : { ...record, eventsDeadLetter: dead }));
  else {
    const bot = record.agent === 'websocket' ? formatBotStream(record) + formatBotTurns(record.turns) : '';
    ctx.stdout.write(formatCallRecord(record, (ctx.nowMs ?? Date.now)()) + bot + formatDeadLetters(dead));
  }
  return 0;
}

async function findCall(repo: CallRecordRepository, id: string): Promise<CallRecord | undefined> {
  const direct = await repo.get(id);
  if (direct !== undefined) return direct;
  const callId = await repo.findBySipCallId(id);
  return callId === undefined ? undefined : repo.get(callId);
}
