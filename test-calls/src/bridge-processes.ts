import type { CallRecord } from '@voicebridge/protocol';
import type { RunningBridge } from './bridge-harness.ts';
import { callRecords, describeRun, endedRecord, runSipp, type SippResult } from './sipp.ts';
import { waitFor } from '../../test/support/wait-for.ts';

interface LogLine {
  service?: string;
  msg?: string;
  pid?: number;
  callId?: string;
}

function parsed(line: string): LogLine {
  try {
    return JSON.parse(line) as LogLine;
  } catch {
    return {};
  }
}

/** Pids of a service's processes, oldest first, from their "<service> ready" log lines. */
export function readyPids(bridge: RunningBridge, service: string): number[] {
  return bridge.logs
    .filter((line) => line.includes(`"${service} ready"`))
    .map(parsed)
    .filter((l) => l.service === service && typeof l.pid === 'number')
    .map((l) => l.pid as number);
}

/** The pid of the process that logged `msg` for a call last (e.g. the agent on the call). */
export function pidThatLogged(bridge: RunningBridge, callId: string, msg: string): number | undefined {
  const line = bridge.logs.filter((l) => l.includes(callId) && l.includes(`"${msg}"`)).at(-1);
  return line === undefined ? undefined : parsed(line).pid;
}

/** The call id of the first live call that is answered (waits for one). */
export async function answeredCallId(bridge: RunningBridge, timeoutMs = 20_000): Promise<string> {
  let callId: string | undefined;
  await waitFor('a call answered', timeoutMs, async () => {
    callId = (await callRecords(bridge).listLive()).find((r) => r.status === 'answered')?.callId;
    return callId !== undefined;
  });
  return callId as string;
}

export interface KilledMidCall {
  /** Our call id of the call that was up when the process died. */
  callId: string;
  killedAtMs: number;
  /** The caller's SIPp run: exit 0 means it received a BYE and answered it. */
  run: SippResult;
  /** The call's record once it ended. */
  record: CallRecord;
}

/**
 * Puts one call up (SIPp uac-wait-bye.xml), SIGKILLs the oldest ready process of `service` while it
 * is answered, and resolves when the caller's SIPp has exited and the call's record has ended.
 */
export async function killMidCall(
  bridge: RunningBridge,
  service: 'media' | 'signaling',
  recordTimeoutMs?: number,
): Promise<KilledMidCall> {
  await waitFor(`${service} ready`, 10_000, () => readyPids(bridge, service).length > 0);
  const running = runSipp({
    scenario: 'uac-wait-bye.xml',
    target: `127.0.0.1:${bridge.sipPort}`,
    service: '+15550199',
    timeoutMs: 50_000,
  });
  // runSipp returns its Call-IDs only at the end: the one live call is ours.
  const callId = await answeredCallId(bridge);
  const [pid] = readyPids(bridge, service);
  const killedAtMs = Date.now();
  process.kill(pid as number, 'SIGKILL');
  const run = await running;
  const sipCallId = run.sipCallIds[0];
  // Exit 0 means the caller received a BYE and answered it; without that its record may never end.
  if (run.code !== 0 || sipCallId === undefined)
    throw new Error(`the caller got no BYE after the ${service} SIGKILL: ${describeRun(run)}`);
  return { callId, killedAtMs, run, record: await endedRecord(bridge, sipCallId, recordTimeoutMs) };
}
