import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runSipp, type SippResult } from '../src/sipp.ts';

/** The bench's own RTP callers: one socket per call, started once SIPp says the call was answered. */
export interface AnsweringCallers {
  open(count: number): Promise<number[]>;
  answer(port: number, remotePort: number): unknown;
  readonly answered: number;
}

export interface PlaceBenchCallsOptions {
  sipPort: number;
  number: string;
  callers: AnsweringCallers;
  calls: number;
  callsPerSecond: number;
  callMs: number;
  /** A temp dir for SIPp's injection file and the answered-ports file. */
  dir: string;
  /** How long after the ramp to keep waiting for answers. */
  answerWaitMs: number;
}

/**
 * Places SIPp calls whose RTP is the bench's callers' (`uac-bench-rtp-elsewhere.xml`: SIPp signals,
 * the callers send and receive); resolves once all are answered, SIPp ended, or the wait is over.
 * `csv` is SIPp's injection file, unique per run, so its command line finds its pid.
 */
export async function placeBenchCalls(
  options: PlaceBenchCallsOptions,
): Promise<{ sipp: Promise<SippResult>; csv: string; rampMs: number }> {
  const { callers, calls, callMs, dir } = options;
  const ports = await callers.open(calls);
  const csv = join(dir, `callers-${randomBytes(4).toString('hex')}.csv`);
  const portsFile = join(dir, 'answered.txt');
  await writeFile(csv, `SEQUENTIAL\n${ports.map((p) => `${p};`).join('\n')}\n`);
  await writeFile(portsFile, '');
  const rampMs = (1000 * calls) / options.callsPerSecond;
  let sippDone = false;
  const sipp = runSipp({
    scenario: 'uac-bench-rtp-elsewhere.xml',
    target: `127.0.0.1:${options.sipPort}`,
    service: options.number,
    calls,
    concurrency: calls,
    rate: options.callsPerSecond,
    pauseMs: callMs,
    vars: { ports_file: portsFile },
    extraArgs: ['-inf', csv],
    timeoutMs: rampMs + callMs + 60_000,
  }).finally(() => (sippDone = true));
  // Each answered call appends "<caller port> <bridge port>" (the scenario's exec).
  const deadline = performance.now() + rampMs + options.answerWaitMs;
  let readLines = 0;
  while (callers.answered < calls && !sippDone && performance.now() < deadline) {
    const lines = (await readFile(portsFile, 'utf8')).split('\n').filter((l) => l.trim() !== '');
    for (const line of lines.slice(readLines)) {
      const [port, remote] = line.trim().split(/\s+/).map(Number);
      callers.answer(port as number, remote as number);
    }
    readLines = lines.length;
    await sleep(20);
  }
  return { sipp, csv, rampMs };
}
