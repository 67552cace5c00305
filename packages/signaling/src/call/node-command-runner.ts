import type { Logger } from 'pino';
import type { NodeCommand, SendDtmfParams } from '@voicebridge/protocol';
import type { AgentTransfers } from './agent-transfer.ts';

export interface NodeCommandRunnerDeps {
  calls: { hangupByOperator(callId: string): boolean; numberConfigOf(callId: string): unknown };
  transfers: Pick<AgentTransfers, 'handle'>;
  media: { sendDtmf(params: SendDtmfParams): Promise<void> };
  log: Logger;
}

/**
 * Carries out what the node command channel asks of this node's calls (the API's hang-up, the
 * Twilio-compatible route's `<Dial>` and `<Play digits>`). A transfer takes the same path as an
 * agent's, so the number's transferTargets are checked here again whatever the sender checked.
 * Never throws: the outcome goes to the log (and, for a transfer, to the call's agent). Returns
 * whether the call is live here; a command for a call that is not is logged (hang-up) or left to
 * the caller (`onlyLive`: the supervisor asking over IPC then tries the Redis channel).
 */
export function runNodeCommand(command: NodeCommand, deps: NodeCommandRunnerDeps, onlyLive = false): boolean {
  const log = deps.log.child({ callId: command.callId });
  const live = (): boolean => deps.calls.numberConfigOf(command.callId) !== undefined;
  switch (command.command) {
    case 'hangup': {
      const found = deps.calls.hangupByOperator(command.callId);
      if (found || !onlyLive)
        log.info(found ? 'operator hang-up: sending BYE' : 'operator hang-up: no such live call here');
      return found;
    }
    case 'transfer': {
      const here = live();
      if (!here && onlyLive) return false;
      log.info('node command: transfer');
      void deps.transfers.handle({ event: 'transfer', callId: command.callId, target: command.target });
      return here;
    }
    case 'dtmf': {
      const here = live();
      if (!here && onlyLive) return false;
      deps.media.sendDtmf({ callId: command.callId, digits: command.digits }).then(
        () => log.info({ digits: command.digits.length }, 'node command: DTMF queued'),
        (error: unknown) =>
          log.warn({ err: error instanceof Error ? error.message : String(error) }, 'node command: DTMF refused'),
      );
      return here;
    }
  }
}
