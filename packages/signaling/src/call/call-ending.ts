import type { AcceptedOffer } from '@voicebridge/sip';
import type { CallJob, NumberConfig } from '@voicebridge/protocol';

/** The agent's own limit when the number sets none (number-config.ts: `maxCallDurationS`). */
export const DEFAULT_MAX_CALL_DURATION_S = 3600;

/**
 * How long after the answer signaling ends a call itself (verdict `max-duration`, by the bridge):
 * the number's `maxCallDurationS` plus 30 s. The agent ends the call at `maxCallDurationS` with a
 * goodbye; this cap is for a call it cannot end (the agent gone, Redis away), so a caller is never
 * left on a line nothing can hang up.
 */
export function hardCapMs(config: Pick<NumberConfig, 'maxCallDurationS'> | undefined): number {
  return ((config?.maxCallDurationS ?? DEFAULT_MAX_CALL_DURATION_S) + 30) * 1000;
}

/** The BullMQ job that offers the call to the agents. */
export function callJob(callId: string, invitedAtMs: number, config: NumberConfig, offer: AcceptedOffer): CallJob {
  return {
    version: 1,
    callId,
    number: config.number,
    config,
    codec: offer.codec.name,
    sampleRateHz: 8000,
    ptimeMs: offer.ptimeMs,
    invitedAtMs,
  };
}
