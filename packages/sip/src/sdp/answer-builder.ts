import { isIP } from 'node:net';
import { formatCrypto, type AnswerCrypto } from './crypto-attribute.ts';
import type { AcceptedOffer } from './offer-answer.ts';

export interface LocalMedia {
  /** Advertised RTP address (never the bind address); IPv6 gives `IN IP6`. */
  address: string;
  port: number;
  sessionId: string;
  /** Incremented by the caller for every new answer/offer in the session (RFC 3264 §8). */
  sessionVersion: number;
  /** o= username; `-` when absent. */
  username?: string;
  /** Our SDES key for an RTP/SAVP offer (RFC 4568 §5.1.2): same tag and suite as the offer's. */
  crypto?: AnswerCrypto;
}

/**
 * The SDP answer (RFC 3264 §6), CRLF line ends:
 *
 *   v=0
 *   o=- <sessionId> <sessionVersion> IN IP4 <address>
 *   s=-
 *   c=IN IP4 <address>
 *   t=0 0
 *   m=audio <port> RTP/AVP <codec-pt> [<te-pt>]     the accepted stream, at the offer's position
 *   a=rtpmap:<codec-pt> PCMU/8000
 *   a=rtpmap:<te-pt> telephone-event/8000
 *   a=fmtp:<te-pt> 0-16
 *   a=ptime:<ms>                                      only when the offer had one
 *   a=<our direction>
 *   a=crypto:<tag> <suite> inline:<our key>            RTP/SAVP only (RFC 4568)
 *   m=video 0 RTP/AVP 31                              every other stream: port 0, formats echoed
 *
 * RFC 3264 §6: "The answer MUST contain exactly the same number of "m=" lines as the offer" in the
 * same order; a refused stream has port 0 and still at least one media format. The accepted stream
 * echoes the offerer's payload type numbers (§6.1) and its transport profile.
 */
export function buildAnswer(offer: AcceptedOffer, local: LocalMedia): string {
  // An RTP/SAVP answer without our key would be one the caller cannot decrypt with.
  if (offer.crypto !== undefined && local.crypto === undefined)
    throw new TypeError('an RTP/SAVP answer needs our a=crypto key');
  const addressType = isIP(local.address) === 6 ? 'IP6' : 'IP4';
  const lines = [
    'v=0',
    `o=${local.username ?? '-'} ${local.sessionId} ${local.sessionVersion} IN ${addressType} ${local.address}`,
    's=-',
    `c=IN ${addressType} ${local.address}`,
    't=0 0',
  ];
  const media = offer.parsed.media;
  for (let index = 0; index < media.length; index++) {
    const offered = media[index];
    const type = offered?.type ?? 'audio';
    const protocol = offered?.protocol ?? 'RTP/AVP';
    if (index !== offer.audioIndex) {
      const formats = String(offered?.payloads ?? '').trim();
      lines.push(`m=${type} 0 ${protocol} ${formats === '' ? '0' : formats}`);
      continue;
    }
    const { codec } = offer;
    const events = offer.telephoneEventPayloadType;
    const formats = events === undefined ? `${codec.payloadType}` : `${codec.payloadType} ${events}`;
    lines.push(`m=${type} ${local.port} ${protocol} ${formats}`, `a=rtpmap:${codec.payloadType} ${codec.name}/8000`);
    if (events !== undefined) lines.push(`a=rtpmap:${events} telephone-event/8000`, `a=fmtp:${events} 0-16`);
    const offeredPtime = offered?.ptime ?? (offer.parsed as { ptime?: number }).ptime;
    if (offeredPtime !== undefined) lines.push(`a=ptime:${offer.ptimeMs}`);
    lines.push(`a=${offer.direction}`);
    if (local.crypto !== undefined) lines.push(formatCrypto(local.crypto));
  }
  return `${lines.join('\r\n')}\r\n`;
}
