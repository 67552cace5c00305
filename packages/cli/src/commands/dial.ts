import { Queue } from 'bullmq';
import { DialInputSchema, submitDial } from '@voicebridge/api';
import { DIAL_QUEUE, type CallRecord } from '@voicebridge/protocol';
import { CallRecordRepository, DialLimits, NumberRepository, TrunkRepository } from '@voicebridge/store';
import { UsageError, expectPositionals, parseArgs } from '../args.ts';
import { json, type CliContext } from '../cli-context.ts';
import { dialEnqueuer } from '../dial-queue.ts';
import { printedHelp } from './command-group.ts';

export const DIAL_HELP = `Usage: voicebridge dial TO --trunk NAME --number +E164 [options]

Places a call out through trunk NAME to TO (E.164); the agent of the
configured number --number talks to the callee. The call is queued at once
(its id is printed) and placed by a running bridge's signaling process.

Options:
  --trunk NAME            the trunk it leaves through (its outbound settings)
  --number +E164          the configured number whose agent talks
  --from +E164            caller id, one of the trunk's --caller-id (default
                          the first)
  --ring-timeout S        seconds it may ring, 1 to 300 (default 30)
  --metadata K=V          kept with the call record; repeat
  --wait                  wait until the call is answered or has failed,
                          and print how the dial ended
  --json                  print the result as JSON
  -h, --help              show this help

A guard's refusal (destination not allowed, premium rate, caller id not on
the trunk, a daily cap) exits 1 naming the rule (docs/security.md).
`;

/** Flag → input field, for naming the flag in an invalid value's message. */
const FLAG_OF: Record<string, string> = {
  to: '<to>',
  trunk: '--trunk',
  number: '--number',
  from: '--from',
  ringTimeoutS: '--ring-timeout',
  metadata: '--metadata',
};

export async function dialCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const command = 'dial';
  const args = parseArgs(
    argv,
    {
      trunk: { type: 'string' },
      number: { type: 'string' },
      from: { type: 'string' },
      'ring-timeout': { type: 'string' },
      metadata: { type: 'string', multiple: true },
      wait: { type: 'boolean' },
      json: { type: 'boolean' },
    },
    command,
  );
  if (printedHelp(args, ctx, DIAL_HELP)) return 0;
  const [to] = expectPositionals(args, ['to'], command) as [string];
  for (const flag of ['trunk', 'number']) {
    if (args.string(flag) === undefined) throw new UsageError(`--${flag} is required`, command);
  }
  const ring = args.string('ring-timeout');
  const input = DialInputSchema.safeParse({
    to,
    trunk: args.string('trunk'),
    number: args.string('number'),
    ...(args.string('from') !== undefined && { from: args.string('from') }),
    ...(ring !== undefined && { ringTimeoutS: /^\d+$/.test(ring) ? Number(ring) : Number.NaN }),
    ...(args.strings('metadata') && { metadata: metadataOption(args.strings('metadata') ?? [], command) }),
  });
  if (!input.success) {
    const issue = input.error.issues[0];
    const field = String(issue?.path[0] ?? 'to');
    const value = field === 'ringTimeoutS' ? ` ${JSON.stringify(ring)}` : '';
    throw new UsageError(`invalid ${FLAG_OF[field] ?? `--${field}`}${value}: ${issue?.message ?? 'invalid'}`, command);
  }
  const queue = new Queue(DIAL_QUEUE, { connection: ctx.redis, prefix: `${ctx.keys.prefix}:bull` });
  try {
    const { callId, request } = await submitDial(
      {
        trunks: new TrunkRepository(ctx.redis, ctx.keys),
        numbers: new NumberRepository(ctx.redis, ctx.keys),
        limits: new DialLimits(ctx.redis, ctx.keys),
        enqueue: dialEnqueuer(queue),
      },
      input.data,
    );
    const summary = { callId, status: 'queued', to: request.destination, from: request.callerId, trunk: request.trunk };
    if (!args.flag('wait')) {
      ctx.stdout.write(
        args.flag('json')
          ? json(summary)
          : `queued call ${callId} to ${request.destination} from ${request.callerId} through ${request.trunk}\n`,
      );
      return 0;
    }
    if (!args.flag('json')) ctx.stdout.write(`queued call ${callId} to ${request.destination}; waiting\n`);
    const record = await dialSettled(
      new CallRecordRepository(ctx.redis, ctx.keys),
      callId,
      (request.ringTimeoutS + 60) * 1000,
      ctx,
    );
    if (args.flag('json')) ctx.stdout.write(json({ ...summary, ...(record && { record }) }));
    else ctx.stdout.write(`${outcomeLine(record)}\n`);
    return record?.dial?.verdict === 'answered' ? 0 : 1;
  } finally {
    await queue.close();
  }
}

function metadataOption(values: readonly string[], command: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq <= 0)
      throw new UsageError(`invalid --metadata ${JSON.stringify(value.slice(0, 80))}: must be KEY=VALUE`, command);
    out[value.slice(0, eq)] = value.slice(eq + 1);
  }
  return out;
}

/** Polls the record until the dial has an outcome (answered or not) or `timeoutMs` passes. */
async function dialSettled(
  records: CallRecordRepository,
  callId: string,
  timeoutMs: number,
  ctx: CliContext,
): Promise<CallRecord | undefined> {
  const now = ctx.nowMs ?? Date.now;
  const until = now() + timeoutMs;
  let record: CallRecord | undefined;
  while (now() < until) {
    record = await records.get(callId);
    if (record?.dial !== undefined || record?.status === 'ended') return record;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return record;
}

function outcomeLine(record: CallRecord | undefined): string {
  if (record === undefined) return 'no record yet: is a bridge running (voicebridge start) with this REDIS_KEY_PREFIX?';
  const dial = record.dial;
  if (dial === undefined) return `call ${record.callId} is ${record.status}`;
  const status = dial.finalStatus === undefined ? '' : ` (${dial.finalStatus})`;
  const ring = dial.ringMs === undefined ? '' : `, rang ${(dial.ringMs / 1000).toFixed(1)} s`;
  const detail = dial.detail === undefined ? '' : `: ${dial.detail}`;
  return `call ${record.callId} ${dial.verdict}${status}${ring}${detail}`;
}
