import type { AllocateParams, NumberConfig, UpdateParams } from '@voicebridge/protocol';
import { buildOffer, parseOffer, type AcceptedOffer, type LocalMedia, type SipMessage } from '@voicebridge/sip';
import type { Logger } from 'pino';

/** RFC 4733 payload type we offer for DTMF. */
export const TELEPHONE_EVENT_PT = 101;
export const PTIME_MS = 20;

/** What media allocates for a call we place, before the callee's address is known. */
export function outboundAllocation(callId: string, config: NumberConfig): AllocateParams {
  return {
    callId,
    // Unknown until the answer: port 0 sends nothing (RFC 3264 §5.1), and media sends only to a
    // source that latched anyway. The answer's SDP updates it.
    remoteRtp: { address: '0.0.0.0', port: 0 },
    codec: { name: 'PCMU', payloadType: 0 },
    telephoneEventPayloadType: TELEPHONE_EVENT_PT,
    ptimeMs: PTIME_MS,
    direction: 'sendrecv',
    ...(config.recording?.enabled ? { recording: { retentionDays: config.recording.retentionDays } } : {}),
  };
}

/** Our SDP offer in the INVITE: G.711 both laws and telephone-event. */
export function outboundOffer(local: Omit<LocalMedia, 'sessionVersion'>): string {
  return buildOffer({
    ...local,
    sessionVersion: 1,
    codecs: ['PCMU', 'PCMA'],
    telephoneEventPayloadType: TELEPHONE_EVENT_PT,
    ptimeMs: PTIME_MS,
  });
}

/**
 * The callee's SDP answer in a 18x or 2xx, when there is a usable one: `refusal` names why a media
 * address is refused (the media-target policy), undefined when it is allowed.
 */
export function readAnswerSdp(
  message: SipMessage,
  refusal: (address: string) => string | undefined,
  log: Logger,
): AcceptedOffer | undefined {
  if (message.body.length === 0) return undefined;
  const type = (message.headers.get('Content-Type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/sdp') return undefined;
  const read = parseOffer(message.body.toString('utf8'), { codecs: ['PCMU', 'PCMA'] });
  if (!read.ok) {
    log.info({ warning: read.warning }, 'SDP answer unusable');
    return undefined;
  }
  const refused = refusal(read.offer.remoteRtp.address);
  if (refused !== undefined) {
    log.warn({ warning: refused }, 'SDP answer names a media address we refuse');
    return undefined;
  }
  return read.offer;
}

/** The media update that points the call's RTP at the callee's answer. */
export function mediaUpdateOf(callId: string, remote: AcceptedOffer): UpdateParams {
  return {
    callId,
    remoteRtp: remote.remoteRtp,
    codec: remote.codec,
    ptimeMs: PTIME_MS,
    direction: remote.direction,
    ...(remote.telephoneEventPayloadType !== undefined && {
      telephoneEventPayloadType: remote.telephoneEventPayloadType,
    }),
  };
}
