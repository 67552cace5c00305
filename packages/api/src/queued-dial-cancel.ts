import { HttpError } from '@voicebridge/http';
import type { DialOutcome, DialRequest } from '@voicebridge/protocol';
import type { CallRecordRepository } from '@voicebridge/store';

/**
 * Takes a dial off the `dial` queue while it still waits there (waiting or delayed, not yet taken
 * by a signaling node); undefined when there is no such job, throws when a node is placing it now.
 */
export type CancelQueuedDial = (callId: string) => Promise<DialRequest | undefined>;

/**
 * An operator's hang-up of a call that has no record yet: a dial still on the queue is removed and
 * its record written ended, verdict `cancelled` (nothing was sent). Undefined when the queue has no
 * such dial either (the caller answers 404).
 */
export async function cancelQueuedDial(
  cancel: CancelQueuedDial,
  records: CallRecordRepository,
  callId: string,
  nowMs: number,
): Promise<{ callId: string; command: 'cancel' } | undefined> {
  let request: DialRequest | undefined;
  try {
    request = await cancel(callId);
  } catch {
    throw new HttpError('VB_CONFLICT', `id: call ${callId} is being placed now; hang it up again in a moment`, 'id');
  }
  if (request === undefined) return undefined;
  const dial: DialOutcome = {
    verdict: 'cancelled',
    attempts: 0,
    detail: 'cancelled by an operator before it was placed',
  };
  await records.create({
    version: 1,
    callId,
    sipCallId: '',
    from: request.callerId,
    to: request.destination,
    number: request.number,
    status: 'ended',
    invitedAtMs: request.requestedAtMs,
    endedAtMs: nowMs,
    direction: 'outbound',
    trunk: request.trunk,
    metadata: request.metadata,
    dial,
    verdict: { by: 'bridge', reason: 'cancelled', detail: dial.detail },
    transcript: [],
  });
  return { callId, command: 'cancel' };
}
