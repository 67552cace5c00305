import type { Logger } from 'pino';
import type { DialOutcome, DialRequest } from '@voicebridge/protocol';
import type { CallRecordRepository } from '@voicebridge/store';

/**
 * Ends a dial that the worker will not place (its INVITE already left once, or a guard refuses it
 * now): the record says so with verdict `failed` by `bridge` and the reason in `detail`. A record
 * that has already ended (the old process's call, swept) keeps its own verdict.
 */
export async function endUnplacedDial(
  records: CallRecordRepository,
  request: DialRequest,
  detail: string,
  log: Logger,
): Promise<DialOutcome> {
  const outcome: DialOutcome = { verdict: 'failed', attempts: 0, detail: detail.slice(0, 500) };
  try {
    const existing = await records.get(request.callId);
    if (existing?.status === 'ended') return outcome;
    const nowMs = Date.now();
    const verdict = { by: 'bridge' as const, reason: 'failed' as const, detail: outcome.detail };
    if (existing === undefined) {
      await records.create({
        version: 1,
        callId: request.callId,
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
        dial: outcome,
        verdict,
        transcript: [],
      });
    } else {
      await records.update(request.callId, { status: 'ended', endedAtMs: nowMs, dial: outcome, verdict });
    }
  } catch (error) {
    log.warn({ err: error, callId: request.callId }, 'could not write the record of an unplaced dial');
  }
  return outcome;
}
