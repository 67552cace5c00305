import {
  transferTargetAllowed,
  VoicebridgeError,
  type MediaEvent,
  type NumberConfig,
  type TransferProgressParams,
} from '@voicebridge/protocol';
import type { Logger } from 'pino';
import type { TransferProgress } from './refer-client.ts';

type TransferEvent = Extract<MediaEvent, { event: 'transfer' }>;

export interface AgentTransfersOptions {
  calls: {
    numberConfigOf(callId: string): NumberConfig | undefined;
    transfer(
      callId: string,
      target: string,
      onProgress?: (progress: TransferProgress) => void,
    ): Promise<TransferProgress>;
  };
  media: { transferProgress(params: TransferProgressParams): Promise<void> };
  log: Logger;
}

/**
 * Carries out the transfers agents ask for (a `transfer` event from media): the target must be on
 * the number's `transferTargets`, else it is refused (VB_TRANSFER_NOT_ALLOWED) without any SIP
 * traffic; an allowed one goes to CallManager.transfer (REFER), whose every progress step goes back
 * to media for the agent. Never throws: whatever the agent sent, it gets a `failure` with a reason.
 */
export class AgentTransfers {
  readonly #options: AgentTransfersOptions;

  constructor(options: AgentTransfersOptions) {
    this.#options = options;
  }

  async handle(event: TransferEvent): Promise<void> {
    const { callId, target, requestId } = event;
    const log = this.#options.log.child({ callId });
    const report = (progress: TransferProgress & { code?: string }): void => {
      const params: TransferProgressParams = { callId, ...progress, ...(requestId !== undefined && { requestId }) };
      this.#options.media
        .transferProgress(params)
        .catch((error: unknown) => log.warn({ err: error }, 'transfer progress did not reach media'));
    };
    const config = this.#options.calls.numberConfigOf(callId);
    if (config === undefined) {
      report({ state: 'failure', code: 'VB_CALL_NOT_FOUND', reason: 'the call is not live' });
      return;
    }
    if (!transferTargetAllowed(config.transferTargets, target)) {
      log.warn({ number: config.number }, "agent transfer refused: target not in the number's transferTargets");
      const reason =
        (config.transferTargets ?? []).length === 0
          ? `number ${config.number} allows no transfers`
          : `target not allowed for ${config.number}; allowed: ${config.transferTargets!.join(', ')}`;
      report({ state: 'failure', code: 'VB_TRANSFER_NOT_ALLOWED', reason: reason.slice(0, 500) });
      return;
    }
    try {
      // Every step, the final one included, reaches the agent through onProgress.
      await this.#options.calls.transfer(callId, target, (progress) => report(progress));
    } catch (error) {
      const code = error instanceof VoicebridgeError ? error.code : 'VB_BAD_MESSAGE';
      report({
        state: 'failure',
        code,
        reason: (error instanceof Error ? error.message : String(error)).slice(0, 500),
      });
    }
  }
}
