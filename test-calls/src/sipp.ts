import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CallRecord } from '@voicebridge/protocol';
import { CallRecordRepository, RedisKeys } from '@voicebridge/store';
import type { RunningBridge } from './bridge-harness.ts';
import { freePort, freeRtpPortRange, portIsFree } from '../../test/support/free-port.ts';
import { schedule, waitFor } from '../../test/support/wait-for.ts';

/** Our SIPp scenarios (test-calls/scenarios/). */
export const SCENARIOS_DIR = fileURLToPath(new URL('../scenarios/', import.meta.url));

export interface SippOptions {
  /** A file name in test-calls/scenarios/, or an absolute path. */
  scenario: string;
  /** `host:port` of the bridge's SIP socket. */
  target: string;
  /** Request-URI user part (`-s`), e.g. `+15550199`. */
  service?: string;
  /** `-m`: calls to place before sipp exits. Default 1. */
  calls?: number;
  /** `-r`: new calls per second. Default 10. */
  rate?: number;
  /** `-l`: calls at once. Default `calls`. */
  concurrency?: number;
  /** `-d`: the length of every `<pause/>` without `milliseconds`. Default 0. */
  pauseMs?: number;
  /** `-set name value` for each entry; the scenario must declare them in `<Global variables="..."/>`. */
  vars?: Record<string, string>;
  extraArgs?: string[];
  /** `-i`: the loopback address sipp sends from, e.g. 127.0.0.2 for a source outside a trunk. Default 127.0.0.1. */
  localIp?: string;
  /** `-p`: sipp's own SIP port; a free one when absent (a callee scenario needs it known). */
  sipPort?: number;
  /** SIPp's own `-timeout`, and a kill timer 5 s later. Default 30 s. */
  timeoutMs?: number;
}

export interface SippStats {
  created: number;
  successful: number;
  failed: number;
  /** SIPp's own retransmissions of requests it sent. */
  retransmissions: number;
  failedTimeoutOnRecv: number;
  failedUnexpectedMessage: number;
  failedRegexpDoesntMatch: number;
  failedMaxUdpRetrans: number;
}

/** One SIP message from sipp's `-trace_msg` log. */
export interface SippMessage {
  direction: 'sent' | 'received';
  /** When sipp logged it (its local clock, ms): good for intervals between messages. */
  atMs: number;
  /** The start line: `INVITE sip:… SIP/2.0` or `SIP/2.0 200 OK`. */
  startLine: string;
  /** Header lines as written (name: value), in order. */
  headers: string[];
  body: string;
  raw: string;
}

export interface SippResult {
  /** sipp's exit status: 0 when every call succeeded; null when it was killed. */
  code: number | null;
  stats: SippStats;
  /** SIPp's `-trace_err` log: unexpected messages, failed regexps, timeouts. */
  errors: string;
  /** The parsed `-trace_msg` log. */
  messages: SippMessage[];
  /** `-trace_logs`: what `<log message="..."/>` actions wrote. */
  logs: string;
  stdout: string;
  stderr: string;
  /** The SIP Call-IDs of the calls, in call-number order (sipp's `-cid_str`). */
  sipCallIds: string[];
  /** Kept when the run failed (or VB_KEEP_SIPP_TRACES is set), removed otherwise. */
  traceDir: string;
  durationMs: number;
  timedOut: boolean;
}

/** Attempts when SIPp could not bind a port it was given: another process took it between our probe and its bind. */
const BIND_ATTEMPTS = 3;

/**
 * Runs one SIPp client (foreground, bounded by -m, -l, -r and a timeout) and collects what it saw. A free port is
 * only free when probed: if SIPp exits because a port was taken meanwhile (EADDRINUSE, before any call), the run is
 * repeated with fresh ports.
 */
export async function runSipp(options: SippOptions): Promise<SippResult> {
  for (let attempt = 1; ; attempt++) {
    const result = await runSippOnce(options);
    if (attempt >= BIND_ATTEMPTS || !lostPortRace(result)) return result;
    await rm(result.traceDir, { recursive: true, force: true });
  }
}

/** SIPp's exit when a socket it was told to use is taken; no call was started, so nothing was sent. */
function lostPortRace(result: SippResult): boolean {
  return (
    result.code !== 0 &&
    result.stats.created === 0 &&
    /errno = 98\b/.test(`${result.errors}\n${result.stderr}\n${result.stdout}`)
  );
}

async function runSippOnce(options: SippOptions): Promise<SippResult> {
  const calls = options.calls ?? 1;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const traceDir = await mkdtemp(join(tmpdir(), 'vb-sipp-'));
  const token = randomBytes(4).toString('hex');
  // -mp takes the audio port and the one two above it (video): a block of four keeps both free. SIPp's own SIP port
  // must be free for TCP as well as UDP when a test runs it over TCP.
  const [sipPort, mediaPort] = await Promise.all([
    options.sipPort ?? freePort('udp', 'tcp'),
    freeRtpPortRange(4).then((range) => range.minPort),
  ]);
  const scenario = isAbsolute(options.scenario) ? options.scenario : join(SCENARIOS_DIR, options.scenario);
  const files = {
    errors: join(traceDir, 'errors.log'),
    messages: join(traceDir, 'messages.log'),
    stats: join(traceDir, 'stats.csv'),
    logs: join(traceDir, 'logs.log'),
  };
  const args = [
    '-sf',
    scenario,
    options.target,
    '-s',
    options.service ?? 'service',
    '-m',
    String(calls),
    '-l',
    String(options.concurrency ?? calls),
    '-r',
    String(options.rate ?? 10),
    '-d',
    String(options.pauseMs ?? 0),
    '-i',
    options.localIp ?? '127.0.0.1',
    '-p',
    String(sipPort),
    '-mi',
    '127.0.0.1',
    '-mp',
    String(mediaPort),
    '-cid_str',
    `vbt-${token}-%u@%s`,
    '-nostdin',
    '-timeout',
    `${Math.ceil(timeoutMs / 1000)}s`,
    '-timeout_error',
    '-trace_err',
    '-error_file',
    files.errors,
    '-trace_msg',
    '-message_file',
    files.messages,
    '-trace_stat',
    '-stf',
    files.stats,
    '-fd',
    '1',
    '-trace_logs',
    '-log_file',
    files.logs,
    ...Object.entries(options.vars ?? {}).flatMap(([name, value]) => ['-set', name, value]),
    ...(options.extraArgs ?? []),
  ];
  const startedAtMs = Date.now();
  const child = spawn('sipp', args, { cwd: traceDir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout = tail(stdout + d.toString('latin1'))));
  child.stderr.on('data', (d: Buffer) => (stderr = tail(stderr + d.toString('latin1'))));
  let timedOut = false;
  const cancelKill = schedule(timeoutMs + 5000, () => {
    timedOut = true;
    child.kill('SIGKILL');
  });
  const code = await new Promise<number | null>((resolve) => {
    child.once('error', (error) => {
      stderr += `\nspawn failed: ${error.message}`;
      resolve(null);
    });
    child.once('close', (status) => resolve(status));
  });
  cancelKill();
  const [errors, messageLog, statsCsv, logs] = await Promise.all(Object.values(files).map((f) => readOptional(f)));
  const result: SippResult = {
    code,
    stats: parseStats(statsCsv ?? '', stdout),
    errors: errors ?? '',
    messages: parseMessageLog(messageLog ?? ''),
    logs: logs ?? '',
    stdout,
    stderr,
    sipCallIds: Array.from({ length: calls }, (_, i) => `vbt-${token}-${i + 1}@${options.localIp ?? '127.0.0.1'}`),
    traceDir,
    durationMs: Date.now() - startedAtMs,
    timedOut,
  };
  if (code === 0 && process.env.VB_KEEP_SIPP_TRACES === undefined) await rm(traceDir, { recursive: true, force: true });
  return result;
}

/** A few lines for an assertion message: the exit status, counts, the error log and where the traces are. */
export function describeRun(result: SippResult): string {
  const s = result.stats;
  return [
    `sipp exit ${result.code}${result.timedOut ? ' (killed: timeout)' : ''} after ${result.durationMs} ms;`,
    `calls created ${s.created}, successful ${s.successful}, failed ${s.failed} (recv timeout ${s.failedTimeoutOnRecv}, unexpected ${s.failedUnexpectedMessage}, regexp ${s.failedRegexpDoesntMatch}, max retrans ${s.failedMaxUdpRetrans});`,
    `traces in ${existsSync(result.traceDir) ? result.traceDir : '(removed)'}`,
    result.errors.trim() === '' ? '' : `errors:\n${result.errors.slice(-3000)}`,
    result.stderr.trim() === '' ? '' : `stderr:\n${result.stderr.slice(-1500)}`,
  ]
    .filter((line) => line !== '')
    .join('\n');
}

/** A header's values in a traced message, in order (name case-insensitive; comma lists not split). */
export function headerValues(message: SippMessage, name: string): string[] {
  const lower = `${name.toLowerCase()}:`;
  return message.headers.filter((h) => h.toLowerCase().startsWith(lower)).map((h) => h.slice(lower.length).trim());
}

/** `INVITE`, `BYE`, … of a traced message: the method of a request, or the CSeq method of a response. */
export function cseqMethod(message: SippMessage): string | undefined {
  return /^\s*\d+\s+(\S+)/.exec(headerValues(message, 'CSeq')[0] ?? '')?.[1];
}

/** Status code of a traced response, undefined for a request. */
export function statusOf(message: SippMessage): number | undefined {
  const match = /^SIP\/2\.0 (\d{3})/.exec(message.startLine);
  return match ? Number(match[1]) : undefined;
}

/**
 * `-trace_msg` format (SIPp 3.6):
 *
 *   ----------------------------------------------- 2026-11-24 00:26:13.856522
 *   UDP message sent (304 bytes):            |  UDP message received [400] bytes :
 *   <empty line>
 *   <the SIP message, CRLF line ends>
 */
export function parseMessageLog(text: string): SippMessage[] {
  const out: SippMessage[] = [];
  const blocks = text.split(/^-{20,} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)[^\n]*\n/m);
  // split() with a capture group: [before, time1, block1, time2, block2, ...]
  for (let i = 1; i + 1 < blocks.length; i += 2) {
    const [date = '', fraction = '0'] = (blocks[i] ?? '').split('.');
    const atMs = new Date(date.replace(' ', 'T')).getTime() + Number(`0.${fraction}`) * 1000;
    const match = /^\S+ message (sent|received)[^\n]*\n\n([\s\S]*)$/.exec(blocks[i + 1] ?? '');
    if (!match) continue;
    const raw = (match[2] ?? '').replace(/\n$/, '');
    const split = raw.indexOf('\r\n\r\n');
    const head = split >= 0 ? raw.slice(0, split) : raw;
    const lines = head.split('\r\n');
    out.push({
      direction: match[1] === 'sent' ? 'sent' : 'received',
      atMs,
      startLine: lines[0] ?? '',
      headers: lines.slice(1),
      body: split >= 0 ? raw.slice(split + 4) : '',
      raw,
    });
  }
  return out;
}

const STAT_COLUMNS: Record<keyof SippStats, string> = {
  created: 'TotalCallCreated',
  successful: 'SuccessfulCall(C)',
  failed: 'FailedCall(C)',
  retransmissions: 'Retransmissions(C)',
  failedTimeoutOnRecv: 'FailedTimeoutOnRecv(C)',
  failedUnexpectedMessage: 'FailedUnexpectedMessage(C)',
  failedRegexpDoesntMatch: 'FailedRegexpDoesntMatch(C)',
  failedMaxUdpRetrans: 'FailedMaxUDPRetrans(C)',
};

/** The last complete row of `-trace_stat`; the final screen on stdout when the CSV is missing. */
export function parseStats(csv: string, screen: string): SippStats {
  const stats: SippStats = {
    created: 0,
    successful: 0,
    failed: 0,
    retransmissions: 0,
    failedTimeoutOnRecv: 0,
    failedUnexpectedMessage: 0,
    failedRegexpDoesntMatch: 0,
    failedMaxUdpRetrans: 0,
  };
  const lines = csv.split('\n').filter((line) => line.trim() !== '');
  const header = lines[0]?.split(';');
  const row = header
    ? lines
        .slice(1)
        .reverse()
        .map((line) => line.split(';'))
        .find((cells) => cells.length >= header.length - 1)
    : undefined;
  if (header && row) {
    for (const [key, column] of Object.entries(STAT_COLUMNS) as [keyof SippStats, string][]) {
      const value = Number(row[header.indexOf(column)]);
      if (Number.isFinite(value)) stats[key] = value;
    }
    return stats;
  }
  // "  Successful call        |        0                  |        1"
  const cumulative = (label: string): number =>
    Number(new RegExp(`${label}\\s*\\|[^|]*\\|\\s*(\\d+)`).exec(screen)?.[1] ?? 0);
  stats.successful = cumulative('Successful call');
  stats.failed = cumulative('Failed call');
  stats.created = cumulative('Total Calls created');
  return stats;
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'latin1');
  } catch {
    return undefined;
  }
}

function tail(text: string): string {
  return text.length > 200_000 ? text.slice(-100_000) : text;
}

// ---- What every SIPp test checks about the bridge once its calls are over -------------------------

export function callRecords(bridge: RunningBridge): CallRecordRepository {
  return new CallRecordRepository(bridge.redis, new RedisKeys(bridge.prefix));
}

/** The record of the call sipp placed with this SIP Call-ID, once its status is `ended`. */
export async function endedRecord(bridge: RunningBridge, sipCallId: string, timeoutMs = 5000): Promise<CallRecord> {
  const records = callRecords(bridge);
  let last: CallRecord | undefined;
  await waitFor(`call ${sipCallId} ended`, timeoutMs, async () => {
    const callId = await records.findBySipCallId(sipCallId);
    last = callId === undefined ? undefined : await records.get(callId);
    return last?.status === 'ended';
  }).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}; record: ${JSON.stringify(last)}`);
  });
  return last as CallRecord;
}

/** Every call the bridge recorded (via `voicebridge calls list --json`), newest first. */
export async function listedCalls(bridge: RunningBridge): Promise<CallRecord[]> {
  const out = await bridge.cli(['calls', 'list', '--json', '--limit', '1000']);
  if (out.code !== 0) throw new Error(`calls list exited ${out.code}: ${out.stderr}`);
  return JSON.parse(out.stdout) as CallRecord[];
}

/** BullMQ `calls` queue: jobs not finished (wait, active, paused lists; delayed, prioritized sets). */
export async function unfinishedJobs(bridge: RunningBridge): Promise<Record<string, number>> {
  const base = `${bridge.prefix}:bull:calls`;
  const [wait, active, paused, delayed, prioritized] = await Promise.all([
    bridge.redis.llen(`${base}:wait`),
    bridge.redis.llen(`${base}:active`),
    bridge.redis.llen(`${base}:paused`),
    bridge.redis.zcard(`${base}:delayed`),
    bridge.redis.zcard(`${base}:prioritized`),
  ]);
  return { wait, active, paused, delayed, prioritized };
}

/** Keys under `<prefix>:call*` (records, transcripts, indexes) and `<prefix>:sipcall:*` with no TTL. */
export async function keysWithoutTtl(bridge: RunningBridge): Promise<string[]> {
  const out: string[] = [];
  for (const pattern of [`${bridge.prefix}:call*`, `${bridge.prefix}:sipcall:*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await bridge.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      // -1: no TTL. (-2: the key went away between SCAN and PTTL, which is fine.)
      for (const key of keys) if ((await bridge.redis.pttl(key)) === -1) out.push(key);
    } while (cursor !== '0');
  }
  return out;
}

/** Ports of the bridge's RTP range that cannot be bound right now (held by someone). */
export async function heldRtpPorts(bridge: RunningBridge): Promise<number[]> {
  const ports = Array.from(
    { length: bridge.rtpRange.max - bridge.rtpRange.min + 1 },
    (_, i) => bridge.rtpRange.min + i,
  );
  const free = await Promise.all(ports.map((port) => portIsFree(port, 'udp')));
  return ports.filter((_, i) => !free[i]);
}

/**
 * The end state every SIPp test file asserts after its calls: every record ended, no live index
 * entry, no unfinished job, every per-call key expiring, every RTP port free again (the pool's
 * quarantine only delays reuse; a released port is closed at once).
 */
export async function assertBridgeIdle(bridge: RunningBridge, timeoutMs = 5000): Promise<void> {
  let problems: string[] = [];
  await waitFor('the bridge to be idle', timeoutMs, async () => {
    problems = [];
    const notEnded = (await callRecords(bridge).listRecent({ limit: 1000 })).filter((r) => r.status !== 'ended');
    if (notEnded.length > 0)
      problems.push(`records not ended: ${notEnded.map((r) => `${r.sipCallId} (${r.status})`).join(', ')}`);
    const live = await callRecords(bridge).listLive();
    if (live.length > 0) problems.push(`live calls: ${live.map((r) => r.sipCallId).join(', ')}`);
    const jobs = await unfinishedJobs(bridge);
    if (Object.values(jobs).some((n) => n > 0)) problems.push(`unfinished jobs: ${JSON.stringify(jobs)}`);
    const held = await heldRtpPorts(bridge);
    if (held.length > 0) problems.push(`RTP ports still bound: ${held.join(', ')}`);
    return problems.length === 0;
  }).catch(() => {
    throw new Error(`bridge not idle after ${timeoutMs} ms:\n${problems.join('\n')}`);
  });
  const listed = await listedCalls(bridge);
  const notEnded = listed.filter((r) => r.status !== 'ended');
  if (notEnded.length > 0) throw new Error(`calls list shows calls not ended: ${JSON.stringify(notEnded)}`);
  const noTtl = await keysWithoutTtl(bridge);
  if (noTtl.length > 0) throw new Error(`per-call keys without a TTL: ${noTtl.join(', ')}`);
}
