import type { AgentToMedia, MediaEvent, TransferProgressParams } from '@voicebridge/protocol';
import type { MediaSession } from './media-session.ts';

/** What the agent asks of signaling through media: a hangup (signaling sends BYE) or a transfer (REFER). */
export function agentRequestEvent(
  callId: string,
  control: Extract<AgentToMedia, { event: 'hangup' | 'transfer' }>,
): MediaEvent {
  if (control.event === 'hangup') {
    const { reason, code, detail } = control;
    return {
      event: 'hangup',
      callId,
      by: 'agent',
      reason,
      ...(code !== undefined && { code }),
      ...(detail !== undefined && { detail }),
    };
  }
  return {
    event: 'transfer',
    callId,
    target: control.target,
    ...(control.requestId !== undefined && { requestId: control.requestId }),
  };
}

/** Signaling's word on a transfer the agent asked for, passed on to the agent as `transfer-result`. */
export function relayTransferProgress(
  session: Pick<MediaSession, 'notifyAgent'>,
  params: TransferProgressParams,
): void {
  const { callId: _callId, ...progress } = params;
  session.notifyAgent({ event: 'transfer-result', ...progress });
}
