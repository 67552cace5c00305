import { MAX_CALL_EVENT_BYTES, type CallEventType, type CallRecord } from '@voicebridge/protocol';

export interface CallEventEnvelope {
  type: CallEventType;
  eventId: string;
  callId: string;
  sequence: number;
  occurredAtMs: number;
}

/**
 * The JSON body in the spec's recommended shape (`type`, `timestamp` of the event, `data`); the
 * event id and sequence ride in `data` as well as the headers so a stored body is self-describing.
 */
export function callEventBody(envelope: CallEventEnvelope, data: Record<string, unknown>): string {
  return JSON.stringify({
    type: envelope.type,
    timestamp: new Date(envelope.occurredAtMs).toISOString(),
    data: { eventId: envelope.eventId, callId: envelope.callId, sequence: envelope.sequence, ...data },
  });
}

/**
 * call.ended's body: the record without what the backend has no use for (the dialog snapshot kept
 * for a BYE after a restart) and, unless the number opted in, without the transcript. Over
 * MAX_CALL_EVENT_BYTES the transcript, then the turns are halved from the end until it fits, then
 * only the call's identity, times and verdict are left; `truncated` says so.
 */
export function callEndedBody(envelope: CallEventEnvelope, record: CallRecord, includeTranscript: boolean): string {
  const { dialog: _dialog, transcript, ...rest } = record;
  const shaped: Record<string, unknown> = includeTranscript ? { ...rest, transcript } : { ...rest };
  let body = callEventBody(envelope, { record: shaped });
  let truncated = false;
  for (const field of ['transcript', 'turns'] as const) {
    while (
      byteLength(body) > MAX_CALL_EVENT_BYTES &&
      Array.isArray(shaped[field]) &&
      (shaped[field] as []).length > 0
    ) {
      const list = shaped[field] as unknown[];
      shaped[field] = list.slice(0, Math.floor(list.length / 2));
      truncated = true;
      body = callEventBody(envelope, { record: shaped, truncated });
    }
  }
  if (byteLength(body) > MAX_CALL_EVENT_BYTES) {
    const { callId, number, status, invitedAtMs, answeredAtMs, endedAtMs, verdict } = record;
    const minimal = { callId, number, status, invitedAtMs, answeredAtMs, endedAtMs, verdict };
    body = callEventBody(envelope, { record: minimal, truncated: true });
  }
  return body;
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
