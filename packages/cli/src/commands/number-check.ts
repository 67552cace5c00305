import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Job, Queue } from 'bullmq';
import {
  AgentProbeResultSchema,
  CALLS_QUEUE,
  E164_PATTERN,
  PROBE_ID_PREFIX,
  PROBE_JOB_NAME,
  type AgentProbeResult,
  type CallJob,
  type NumberConfig,
} from '@voicebridge/protocol';
import type { NumberRepository } from '@voicebridge/store';
import { UsageError, expectPositionals, parseArgs } from '../args.ts';
import { json, type CliContext } from '../cli-context.ts';
import { printedHelp } from './command-group.ts';

export const CHECK_HELP = `Usage: voicebridge numbers check <number> [--timeout S] [--json]

Asks a live agent worker what it would do if <number> were called now: the
same agent kind, built the same way, through the same checks it makes when it
claims a call (key variables set and allowed, model and webhook URLs allowed,
voice known). Nothing is dialled and nothing is answered.
Exit status 0 when the agent would answer, 1 when it would refuse the call
(the reason says why), when the number is not configured, or when no agent
answered within the timeout.

Options:
  --timeout S  how long to wait for an agent, 1 to 60 seconds (default 5)
  --json       print the agent's answer as JSON
  -h, --help   show this help
`;

/** How often the probe's job is looked at while an agent works on it. */
const POLL_MS = 100;

export async function numbersCheck(argv: readonly string[], ctx: CliContext, repo: NumberRepository): Promise<number> {
  const command = 'numbers check';
  const args = parseArgs(argv, { timeout: { type: 'string' }, json: { type: 'boolean' } }, command);
  if (printedHelp(args, ctx, CHECK_HELP)) return 0;
  const [number] = expectPositionals(args, ['number'], command) as [string];
  if (!E164_PATTERN.test(number)) {
    throw new UsageError(`invalid <number> ${JSON.stringify(number)}: must be E.164 (+ then 7 to 15 digits)`, command);
  }
  const rawTimeout = args.string('timeout') ?? '5';
  const timeoutS = Number(rawTimeout);
  if (!/^\d+$/.test(rawTimeout) || timeoutS < 1 || timeoutS > 60) {
    throw new UsageError(
      `invalid --timeout ${JSON.stringify(rawTimeout)}: must be a whole number from 1 to 60`,
      command,
    );
  }
  const config = await repo.get(number);
  if (config === undefined) {
    ctx.stderr.write(`voicebridge: number ${number} is not configured\n`);
    return 1;
  }
  const queue = new Queue(CALLS_QUEUE, { connection: ctx.redis, prefix: `${ctx.keys.prefix}:bull` });
  try {
    const result = await probe(queue, config, timeoutS * 1000);
    if (result === undefined) {
      ctx.stderr.write(
        `voicebridge: no agent answered the probe within ${timeoutS} s: is an agent worker running with REDIS_KEY_PREFIX=${ctx.keys.prefix}?\n`,
      );
      return 1;
    }
    ctx.stdout.write(args.flag('json') ? json(result) : describe(number, result));
    return result.decision.decision === 'accept' ? 0 : 1;
  } finally {
    await queue.close();
  }
}

/** Enqueues the probe and waits for an agent's answer; undefined (the probe withdrawn) when none came in time. */
async function probe(queue: Queue, config: NumberConfig, timeoutMs: number): Promise<AgentProbeResult | undefined> {
  const probeId = `${PROBE_ID_PREFIX}${randomUUID()}`;
  const data: CallJob = {
    version: 1,
    callId: probeId,
    number: config.number,
    config,
    codec: 'PCMU',
    sampleRateHz: 8000,
    ptimeMs: 20,
    invitedAtMs: Date.now(),
  };
  // Kept a minute after it ends: long enough to be read here, short enough to leave no litter.
  await queue.add(PROBE_JOB_NAME, data, {
    jobId: probeId,
    attempts: 1,
    removeOnComplete: { age: 60 },
    removeOnFail: { age: 60 },
  });
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < Math.ceil(timeoutMs / POLL_MS) + 1; i++) {
    const answer = await finished(queue, probeId);
    if (answer !== undefined) return answer;
    if (Date.now() >= deadline) break;
    await sleep(POLL_MS);
  }
  const answer = await finished(queue, probeId);
  if (answer !== undefined) return answer;
  await queue.remove(probeId).catch(() => undefined);
  return undefined;
}

/** The probe's answer once an agent finished it; undefined while it waits or runs. */
async function finished(queue: Queue, probeId: string): Promise<AgentProbeResult | undefined> {
  // The state first, then the job: a job read before it completed has no return value yet.
  const state = await queue.getJobState(probeId);
  if (state !== 'completed' && state !== 'failed') return undefined;
  const job = await Job.fromId(queue, probeId);
  if (state === 'failed') throw new Error(`the agent could not probe the number: ${job?.failedReason ?? 'unknown'}`);
  return AgentProbeResultSchema.parse(job?.returnvalue);
}

function describe(number: string, result: AgentProbeResult): string {
  const who = `agent ${result.kind}, worker pid ${result.pid} on ${result.host}`;
  const { decision } = result;
  if (decision.decision === 'accept') return `${number}: an agent would answer it (${who})\n`;
  return `${number}: an agent would refuse it with ${decision.sipStatus} ${decision.code} (${who}): ${decision.reason}\n`;
}
