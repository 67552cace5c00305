import { parseOffer, type AcceptedOffer, type SipRequest } from '@voicebridge/sip';
import type { MediaTargetPolicy } from './media-target.ts';

/** The INVITE's SDP offer, or the status and headers that refuse it (and the Warning, if any). */
export type OfferOutcome =
  { ok: true; offer: AcceptedOffer } | { ok: false; status: number; headers: [string, string][]; warning?: string };

/**
 * Reads the offer we answer in our 2xx, refusing:
 * - an INVITE without an offer, which wants ours in the 2xx (RFC 3264 §4): not supported yet → 488;
 * - a body that is not SDP → 415 + Accept (RFC 3261 §21.4.13);
 * - an offer we cannot answer (no PCMU/PCMA, no usable SRTP key, bad SDP) → parseOffer's status and Warning;
 * - an offer whose media address we must not send to (media-target.ts) → 488 and Warning.
 */
export function readOffer(
  request: SipRequest,
  targets?: { policy: Pick<MediaTargetPolicy, 'refusal'>; sipSource: string },
): OfferOutcome {
  const type = (request.headers.get('Content-Type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (request.body.length === 0) {
    const warning = '399 voicebridge "INVITE without SDP offer is not supported"';
    return { ok: false, status: 488, headers: [['Warning', warning]] };
  }
  if (type !== 'application/sdp') return { ok: false, status: 415, headers: [['Accept', 'application/sdp']] };
  const outcome = parseOffer(request.body.toString('utf8'), { codecs: ['PCMU', 'PCMA'] });
  if (!outcome.ok) {
    return { ok: false, status: outcome.status, headers: [['Warning', outcome.warning]], warning: outcome.warning };
  }
  const refused = targets?.policy.refusal(outcome.offer.remoteRtp.address, targets.sipSource);
  if (refused !== undefined) return { ok: false, status: 488, headers: [['Warning', refused]], warning: refused };
  return { ok: true, offer: outcome.offer };
}
