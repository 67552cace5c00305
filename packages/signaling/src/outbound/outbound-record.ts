import type { CallJob, CallRecord, DialOutcome, DialRequest, NumberConfig } from '@voicebridge/protocol';
import type { AcceptedOffer, Dialog, Endpoint } from '@voicebridge/sip';
import type { CallRecordPatch } from '@voicebridge/store';
import { PTIME_MS } from './outbound-media.ts';

/** The agent's job for a call we place: claimed and prepared before the INVITE leaves. */
export function outboundCallJob(callId: string, config: NumberConfig, invitedAtMs: number): CallJob {
  return {
    version: 1,
    callId,
    number: config.number,
    config,
    codec: 'PCMU',
    sampleRateHz: 8000,
    ptimeMs: PTIME_MS,
    invitedAtMs,
    direction: 'outbound',
  };
}

/** The record a dial starts with, before anything left the bridge: every dial leaves one. */
export function initialOutboundRecord(
  request: DialRequest,
  ids: { callId: string; sipCallId: string; nodeId: string | undefined },
  invitedAtMs: number,
): CallRecord {
  return {
    version: 1,
    callId: ids.callId,
    sipCallId: ids.sipCallId,
    from: request.callerId,
    to: request.destination,
    number: request.number,
    status: 'setup',
    invitedAtMs,
    direction: 'outbound',
    ...(ids.nodeId !== undefined && { nodeId: ids.nodeId }),
    trunk: request.trunk,
    ...(Object.keys(request.metadata).length > 0 && { metadata: request.metadata }),
    transcript: [],
  };
}

/** What the record learns at the answer: the dial's outcome, the media the callee answered, the dialog. */
export function answeredRecordOf(
  dial: DialOutcome,
  remote: AcceptedOffer,
  dialog: Dialog,
  transport: Endpoint['transport'],
): CallRecordPatch {
  return {
    status: 'answered',
    dial,
    answeredAtMs: Date.now(),
    codec: remote.codec.name,
    ptimeMs: remote.ptimeMs,
    sdpRtp: remote.remoteRtp,
    dialog: {
      local: dialog.localHeader,
      remote: dialog.remoteHeader,
      remoteTarget: dialog.remoteTarget,
      routeSet: [...dialog.routeSet],
      transport,
    },
  };
}
