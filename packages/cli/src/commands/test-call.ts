import { isIP } from 'node:net';
import type { CallRecord, TurnLatency } from '@voicebridge/protocol';
import { CallRecordRepository } from '@voicebridge/store';
import { placeTestCall, questionAudio, TestCallError, type TestCallProgress } from '@voicebridge/test-caller';
import { UsageError, expectPositionals, parseArgs } from '../args.ts';
import { json, type CliContext } from '../cli-context.ts';
import { printedHelp } from './command-group.ts';

export const TEST_CALL_HELP = `Usage: voicebridge test-call NUMBER [options]

Calls NUMBER on a running bridge the way a phone would (SIP and G.711 RTP over
UDP), listens to the greeting, says the question, listens to the answer, hangs
up, and prints what the agent said (the call record's transcript) and the turn
latency. The question is synthesised offline with flite.

Options:
  --say TEXT              the question (default "what are your opening hours")
  --wav FILE              say this 16-bit PCM WAV file instead of --say
  --seconds N             hang up at most N seconds after the answer, 5 to
                          600 (default 40)
  --target HOST:PORT      the bridge's SIP address (default SIP_ADVERTISED_ADDRESS
                          or SIP_BIND_ADDRESS, and SIP_PORT, as voicebridge start)
  --json                  print one JSON object
  -h, --help              show this help

Exit status 0 when the call was answered and the agent spoke, 1 otherwise.
`;

const DEFAULT_QUESTION = 'what are your opening hours';
/** The record is complete once the agent's last words and turns are written after the BYE. */
const RECORD_WAIT_MS = 10_000;

export async function testCallCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const command = 'test-call';
  const args = parseArgs(
    argv,
    {
      say: { type: 'string' },
      wav: { type: 'string' },
      seconds: { type: 'string' },
      target: { type: 'string' },
      json: { type: 'boolean' },
    },
    command,
  );
  if (printedHelp(args, ctx, TEST_CALL_HELP)) return 0;
  const [number] = expectPositionals(args, ['number'], command) as [string];
  if (!/^\+?[0-9]{1,20}$/.test(number))
    throw new UsageError(
      `invalid <number> ${JSON.stringify(number.slice(0, 40))}: must be digits, optionally +`,
      command,
    );
  const say = args.string('say');
  const wav = args.string('wav');
  if (say !== undefined && wav !== undefined) throw new UsageError('--say and --wav exclude each other', command);
  if (say !== undefined && say.trim() === '') throw new UsageError('invalid --say: must not be empty', command);
  const secondsText = args.string('seconds') ?? '40';
  const seconds = /^\d+$/.test(secondsText) ? Number(secondsText) : Number.NaN;
  if (!(seconds >= 5 && seconds <= 600))
    throw new UsageError(`invalid --seconds ${JSON.stringify(secondsText.slice(0, 40))}: must be 5 to 600`, command);
  const targetText = args.string('target');
  const target = targetText === undefined ? ctx.sipTarget?.() : parseTarget(targetText, command);
  if (target === undefined) throw new UsageError('--target is required (no bridge settings to read)', command);
  const asJson = args.flag('json');

  const question = await questionAudio(wav !== undefined ? { wavPath: wav } : { text: say ?? DEFAULT_QUESTION });
  const started = Date.now();
  const onProgress = (p: TestCallProgress): void => {
    if (!asJson) ctx.stderr.write(`${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s ${progressLine(p)}\n`);
  };
  let result;
  try {
    result = await placeTestCall({ number, target, question, maxSeconds: seconds, onProgress });
  } catch (error) {
    if (!(error instanceof TestCallError)) throw error;
    const message = (error as TestCallError).message;
    if (asJson) ctx.stdout.write(json({ ok: false, error: message }));
    else ctx.stderr.write(`voicebridge: ${message}\n`);
    return 1;
  }
  const record = await settledRecord(new CallRecordRepository(ctx.redis, ctx.keys), result.sipCallId);
  const agentSaid = (record?.transcript ?? []).filter((e) => e.speaker === 'agent').map((e) => e.text);
  const callerSaid = (record?.transcript ?? []).filter((e) => e.speaker === 'caller').map((e) => e.text);
  const turns = (record?.turns ?? []).map(turnLatency);
  const ok = agentSaid.length > 0;
  if (asJson) {
    ctx.stdout.write(
      json({
        ok,
        callId: record?.callId,
        sipCallId: result.sipCallId,
        hungUpBy: result.hungUpBy,
        agentSaid,
        callerHeardAs: callerSaid,
        turns,
        ...(result.greetingAfterMs !== undefined && { greetingAfterMs: result.greetingAfterMs }),
        ...(result.heardLatencyMs !== undefined && { heardLatencyMs: result.heardLatencyMs }),
      }),
    );
    return ok ? 0 : 1;
  }
  if (record === undefined) {
    ctx.stdout.write("no call record found: is this REDIS_KEY_PREFIX the bridge's?\n");
    return 1;
  }
  ctx.stdout.write(`call ${record.callId}\n`);
  for (const entry of record.transcript)
    ctx.stdout.write(`${entry.speaker === 'agent' ? 'agent' : 'you  '}: ${entry.text}\n`);
  for (const t of turns)
    ctx.stdout.write(`turn ${t.turn}: ${t.latencyMs === undefined ? 'no answer' : `answered in ${t.latencyMs} ms`}\n`);
  if (result.heardLatencyMs !== undefined)
    ctx.stdout.write(`heard the answer ${result.heardLatencyMs} ms after the question ended\n`);
  return ok ? 0 : 1;
}

function parseTarget(text: string, command: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (host === undefined || isIP(host) === 0 || !(port >= 1 && port <= 65535))
    throw new UsageError(
      `invalid --target ${JSON.stringify(text.slice(0, 80))}: must be IP:PORT or [IPv6]:PORT`,
      command,
    );
  return { host, port };
}

function progressLine(p: TestCallProgress): string {
  switch (p.event) {
    case 'calling':
      return `calling ${p.target}`;
    case 'ringing':
      return `ringing (${p.status})`;
    case 'answered':
      return 'answered';
    case 'greeting-heard':
      return 'heard the greeting';
    case 'speaking':
      return 'speaking the question';
    case 'answer-heard':
      return 'heard the answer';
    case 'hung-up':
      return p.by === 'us' ? 'hung up' : 'the bridge hung up';
  }
}

/** The agent's latency for a turn: from the caller's voice ending (else the final) to its first RTP. */
function turnLatency(t: TurnLatency): { turn: number; latencyMs?: number } {
  const from = t.voiceEndAtMs ?? t.sttFinalAtMs;
  return t.firstRtpAtMs === undefined ? { turn: t.turn } : { turn: t.turn, latencyMs: t.firstRtpAtMs - from };
}

/** The record of our call once it has ended (the agent writes its last entries then), bounded. */
async function settledRecord(records: CallRecordRepository, sipCallId: string): Promise<CallRecord | undefined> {
  const until = Date.now() + RECORD_WAIT_MS;
  let record: CallRecord | undefined;
  while (Date.now() < until) {
    const callId = await records.findBySipCallId(sipCallId);
    record = callId === undefined ? undefined : await records.get(callId);
    if (record?.status === 'ended') return record;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return record;
}
