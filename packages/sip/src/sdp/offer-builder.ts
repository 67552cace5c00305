import { isIP } from 'node:net';
import type { SupportedCodec } from './offer-answer.ts';

export interface OfferMedia {
  /** Advertised RTP address (never the bind address); IPv6 gives `IN IP6`. */
  address: string;
  port: number;
  sessionId: string;
  sessionVersion: number;
  /** In our order of preference; RFC 3551 static payload types (PCMU 0, PCMA 8). */
  codecs: readonly SupportedCodec[];
  /** RFC 4733 telephone-event payload type (dynamic, 96-127). */
  telephoneEventPayloadType: number;
  ptimeMs: number;
}

const STATIC_PT: Readonly<Record<SupportedCodec, number>> = { PCMU: 0, PCMA: 8 };

/**
 * Our SDP offer for an outbound call (RFC 3264 §5), CRLF line ends:
 *
 *   v=0
 *   o=- <sessionId> <sessionVersion> IN IP4 <address>
 *   s=-
 *   c=IN IP4 <address>
 *   t=0 0
 *   m=audio <port> RTP/AVP 0 8 101
 *   a=rtpmap:0 PCMU/8000
 *   a=rtpmap:8 PCMA/8000
 *   a=rtpmap:101 telephone-event/8000
 *   a=fmtp:101 0-16
 *   a=ptime:20
 *   a=sendrecv
 *
 * The answer is read with parseOffer (the answerer picks one of our codecs, §6.1; its direction
 * mirrored gives ours).
 */
export function buildOffer(media: OfferMedia): string {
  const addressType = isIP(media.address) === 6 ? 'IP6' : 'IP4';
  const events = media.telephoneEventPayloadType;
  const formats = [...media.codecs.map((codec) => STATIC_PT[codec]), events].join(' ');
  const lines = [
    'v=0',
    `o=- ${media.sessionId} ${media.sessionVersion} IN ${addressType} ${media.address}`,
    's=-',
    `c=IN ${addressType} ${media.address}`,
    't=0 0',
    `m=audio ${media.port} RTP/AVP ${formats}`,
    ...media.codecs.map((codec) => `a=rtpmap:${STATIC_PT[codec]} ${codec}/8000`),
    `a=rtpmap:${events} telephone-event/8000`,
    `a=fmtp:${events} 0-16`,
    `a=ptime:${media.ptimeMs}`,
    'a=sendrecv',
  ];
  return `${lines.join('\r\n')}\r\n`;
}
