import type { Logger } from 'pino';
import { AgentRefusal, type AgentKind } from '../agents/agent-kind.ts';

/**
 * The kind's decision, taken before the answer: undefined to accept, the refusal otherwise. With
 * `deferConnect` (a call we place) the kind checks what needs no socket and opens none yet.
 * Rethrows only when the call itself was aborted meanwhile.
 */
export async function prepareKind(
  kind: AgentKind,
  signal: AbortSignal,
  log: Logger,
  deferConnect: boolean,
): Promise<AgentRefusal | undefined> {
  return decided(() => kind.prepare(signal, deferConnect ? { deferConnect } : undefined), signal, log, 'refused');
}

/**
 * At the answer of a call we placed: the sockets `prepareKind` deferred (engines, model, bot). A
 * failure is the kind's refusal, which now ends the answered call with its verdict.
 */
export function connectKind(kind: AgentKind, signal: AbortSignal, log: Logger): Promise<AgentRefusal | undefined> {
  return decided(() => kind.connect?.(signal) ?? Promise.resolve(), signal, log, 'could not connect for');
}

async function decided(
  step: () => Promise<void>,
  signal: AbortSignal,
  log: Logger,
  what: string,
): Promise<AgentRefusal | undefined> {
  try {
    await step();
    return undefined;
  } catch (error) {
    if (signal.aborted) throw error;
    const refusal = AgentRefusal.from(error);
    log.error({ err: error, code: refusal.code }, `agent ${what} the call: ${refusal.message}`);
    return refusal;
  }
}
