import type { NodeCommand } from '@voicebridge/protocol';
import type { ServiceProcess } from './supervisor/service-process.ts';

/**
 * How long the supervisor waits for a signaling process to say whether it holds a call. Signaling
 * answers from memory within milliseconds; a process that does not answer in a second is stuck or
 * gone, and the Redis command channel is tried instead.
 */
export const LOCAL_COMMAND_TIMEOUT_MS = 1000;

/**
 * Runs a node command on this node's own signaling processes over IPC, asking all of them at once:
 * true when one held the call live and carried it out. A process that times out, fails or has
 * exited counts as not holding it. Needs no Redis, so it works through an outage.
 */
export function localNodeCommands(
  processes: readonly ServiceProcess[],
  timeoutMs = LOCAL_COMMAND_TIMEOUT_MS,
): (command: NodeCommand) => Promise<boolean> {
  return async (command) => {
    const signaling = processes.filter((p) => p.service === 'signaling');
    const answers = await Promise.all(signaling.map((p) => p.runNodeCommand(command, timeoutMs).catch(() => false)));
    return answers.includes(true);
  };
}
