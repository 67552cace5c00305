import type { AllocateParams, MediaToAgent } from '@voicebridge/protocol';

/**
 * The `start` an agent gets once the call is confirmed and its owner is ready (again after an
 * ownership change): the negotiated codec and ptime, and whether the caller can send RFC 4733 keys.
 */
export function agentStartEvent(
  callId: string,
  params: AllocateParams,
  answeredAtMs: number,
  sampleRateHz: number,
): Extract<MediaToAgent, { event: 'start' }> {
  return {
    event: 'start',
    callId,
    codec: params.codec.name,
    sampleRateHz,
    ptimeMs: params.ptimeMs,
    answeredAtMs,
    telephoneEvent: params.telephoneEventPayloadType !== undefined,
  };
}
