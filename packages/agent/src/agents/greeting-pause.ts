import { delay } from '../stt/abortable.ts';
import { waitForCallee } from '../turns/greeting-wait.ts';
import type { CallContext } from './agent-kind.ts';

/**
 * The pause before a kind's greeting. On a call we answered: GREETING_DELAY_MS (the caller's phone
 * may still be connecting its audio). On a call we placed the callee speaks first — a person picks
 * up and says "Hello?" — so the greeting waits for those first words to end, or for a short silence
 * (turns/greeting-wait.ts), instead of talking over them. Rejects, as `delay` does, once the call ends.
 */
export async function greetingPause(
  call: Pick<CallContext, 'job' | 'signal' | 'greetingDelayMs' | 'observeCallerFrames'>,
): Promise<void> {
  if (call.job.direction !== 'outbound') return delay(call.greetingDelayMs, call.signal);
  await waitForCallee((observer) => call.observeCallerFrames(observer), call.signal);
  call.signal.throwIfAborted();
}
