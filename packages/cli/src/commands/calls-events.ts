import { CallEventRedelivery } from '@voicebridge/events';
import { CallEventDeadLetters, NumberRepository, type CallRecordRepository } from '@voicebridge/store';
import { UsageError, expectPositionals, parseArgs } from '../args.ts';
import { json, type CliContext } from '../cli-context.ts';
import { formatDeadLetters, printable, truncate } from '../format.ts';
import { printedHelp } from './command-group.ts';

/** The bridge's defaults (EVENTS_MAX_ATTEMPTS, EVENTS_BACKOFF_MS, CALL_RECORD_TTL_S) when the context names none. */
const DEFAULT_SCHEDULE = { maxAttempts: 12, backoffMs: 5000, deadLetterTtlS: 7 * 24 * 3600 };

export const EVENTS_HELP = `Usage: voicebridge calls events <callId> [--redeliver] [--json]

Lists the call events (call.ringing, call.answered, call.turn, call.ended)
that were given up after every attempt: sequence, type, the last error and
when. <callId> may also be the SIP Call-ID.

With --redeliver, queues each of them again with the same webhook-id,
sequence and exact body, to the number's events URL and secret as they are
now (fix the URL first), on the full retry schedule (EVENTS_MAX_ATTEMPTS,
EVENTS_BACKOFF_MS). One that fails again comes back to this list. The same as
POST /api/v1/calls/{id}/events/redeliver.

Options:
  --redeliver  queue the undelivered events again
  --json       print the letters (or the ids queued again) as JSON
  -h, --help   show this help

Exit status 1 when no such call is stored, or --redeliver for a call whose
number sends no events now.
`;

export async function callsEvents(
  argv: readonly string[],
  ctx: CliContext,
  records: CallRecordRepository,
): Promise<number> {
  const command = 'calls events';
  const args = parseArgs(argv, { redeliver: { type: 'boolean' }, json: { type: 'boolean' } }, command);
  if (printedHelp(args, ctx, EVENTS_HELP)) return 0;
  const [id] = expectPositionals(args, ['callId'], command) as [string];
  if (id === '') throw new UsageError('invalid <callId> "": must not be empty', command);
  const record = (await records.get(id)) ?? (await records.get((await records.findBySipCallId(id)) ?? ''));
  if (record === undefined) {
    ctx.stderr.write(
      `voicebridge: no call ${JSON.stringify(truncate(printable(id), 200))} (looked up as call id and as SIP Call-ID)\n`,
    );
    return 1;
  }
  const schedule = ctx.events ?? DEFAULT_SCHEDULE;
  const deadLetters = new CallEventDeadLetters(ctx.redis, ctx.keys, { ttlSeconds: schedule.deadLetterTtlS });
  if (!args.flag('redeliver')) {
    const letters = await deadLetters.list(record.callId);
    if (args.flag('json')) ctx.stdout.write(json(letters));
    else if (letters.length === 0)
      ctx.stdout.write(`call ${record.callId}: every event was delivered or is still being tried\n`);
    else ctx.stdout.write(`call ${record.callId}${formatDeadLetters(letters)}`);
    return 0;
  }
  const number = await new NumberRepository(ctx.redis, ctx.keys).get(record.number);
  if (number?.events === undefined) {
    ctx.stderr.write(
      `voicebridge: call ${record.callId}: its number ${record.number} sends no events now; set --events-url first\n`,
    );
    return 1;
  }
  const redelivery = new CallEventRedelivery({
    redis: ctx.redis,
    bullPrefix: `${ctx.keys.prefix}:bull`,
    deadLetters,
    attempts: schedule.maxAttempts,
    backoffMs: schedule.backoffMs,
  });
  try {
    const queued = await redelivery.redeliver(record.callId, number);
    if (args.flag('json')) ctx.stdout.write(json({ callId: record.callId, redelivered: queued }));
    else
      ctx.stdout.write(
        queued.length === 0
          ? `call ${record.callId}: no undelivered events to queue again\n`
          : `call ${record.callId}: queued ${queued.length} event${queued.length === 1 ? '' : 's'} again to the number's events URL\n`,
      );
    return 0;
  } finally {
    await redelivery.close();
  }
}
