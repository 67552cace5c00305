import type { Logger } from 'pino';
import type { NodeCommand, SendDtmfParams } from '@voicebridge/protocol';
import type { AgentTransfers } from './agent-transfer.ts';

export interface NodeCommandRunnerDeps {
  calls: { hangupByOperator(callId: string): boolean };
  transfers: Pick<AgentTransfers, 'handle'>;
  media: { sendDtmf(params: SendDtmfParams): Promise<void> };
  log: Logger;
}

/**
 * Carries out what the node command channel asks of this node's calls (the API's hang-up, the
 * Twilio-compatible route's `<Dial>` and `<Play digits>`). A transfer takes the same path as an
 * agent's, so the number's transferTargets are checked here again whatever the sender checked.
 * Never throws: the outcome goes to the log (and, for a transfer, to the call's agent).
 */
export function runNodeCommand(command: NodeCommand, deps: NodeCommandRunnerDeps): void {
  const log = deps.log.child({ callId: command.callId });
  switch (command.command) {
    case 'hangup': {
      const found = deps.calls.hangupByOperator(command.callId);
      log.info(found ? 'operator hang-up: sending BYE' : 'operator hang-up: no such live call here');
      return;
    }
    case 'transfer':
      log.info('node command: transfer');
      void deps.transfers.handle({ event: 'transfer', callId: command.callId, target: command.target });
      return;
    case 'dtmf':
      deps.media.sendDtmf({ callId: command.callId, digits: command.digits }).then(
        () => log.info({ digits: command.digits.length }, 'node command: DTMF queued'),
        (error: unknown) =>
          log.warn({ err: error instanceof Error ? error.message : String(error) }, 'node command: DTMF refused'),
      );
      return;
  }
}
