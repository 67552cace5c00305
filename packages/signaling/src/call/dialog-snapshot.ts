import type { DialogSnapshot } from '@voicebridge/protocol';
import type { Dialog, InviteServerTransaction } from '@voicebridge/sip';

/**
 * What a restarted signaling process needs to BYE this call (see `orphanBye`): our To header with
 * our tag, the caller's From, its Contact and the route set (RFC 3261 §12.1.1), kept in the record.
 */
export function dialogSnapshot(tx: InviteServerTransaction, toTag: string, dialog: Dialog): DialogSnapshot {
  return {
    local: `${tx.request.headers.get('To') ?? ''};tag=${toTag}`,
    remote: tx.request.headers.get('From') ?? '',
    remoteTarget: dialog.remoteTarget,
    routeSet: [...dialog.routeSet],
    transport: tx.source.transport,
  };
}
