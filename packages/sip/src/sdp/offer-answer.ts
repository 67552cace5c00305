import { isIP } from 'node:net';
import { SRTP_SUITES } from '@voicebridge/protocol';
import * as sdpTransform from 'sdp-transform';
import type { MediaAttributes, MediaDescription, SessionDescription } from 'sdp-transform';
import { chooseCrypto, type OfferedCrypto } from './crypto-attribute.ts';

export type SupportedCodec = 'PCMU' | 'PCMA';
export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface OfferOptions {
  /** The codecs we can use; the offerer's order decides among them (RFC 3264 §6.1). */
  codecs: SupportedCodec[];
}

export interface AcceptedOffer {
  /** sdp-transform's parse of the offer, checked for the fields used here. */
  parsed: SessionDescription;
  /** Index of the m= line we accept; every other one is refused in the answer. */
  audioIndex: number;
  codec: { name: SupportedCodec; payloadType: number };
  /** RFC 4733 telephone-event/8000 payload type, when offered with a dynamic PT (96-127). */
  telephoneEventPayloadType?: number;
  /** From a=ptime, snapped to 10/20/30/40; 20 without one. */
  ptimeMs: number;
  /** Where to send RTP: the media-level c= address, else the session-level one, and the m= port. */
  remoteRtp: { address: string; port: number };
  /** OUR direction, the mirror of the offer's (RFC 3264 §6.1). */
  direction: MediaDirection;
  /** RTP/SAVP: the caller's SDES key (RFC 4568); the answer must carry ours for the same tag. */
  crypto?: OfferedCrypto;
}

export type OfferOutcome = { ok: true; offer: AcceptedOffer } | { ok: false; status: 488 | 400; warning: string };

/** Larger offers are not SDP a phone sends; bounded so sdp-transform's regex work stays small. */
const MAX_SDP_CHARS = 65535;
const PTIMES_MS = [10, 20, 30, 40] as const;
const DEFAULT_PTIME_MS = 20;
const RTP_PROFILES = new Set(['RTP/AVP', 'RTP/AVPF']);
/** SDES-SRTP (RFC 4568). RTP/SAVPF and UDP/TLS/RTP/SAVP(F) mean WebRTC/DTLS-SRTP, which we do not do. */
const SRTP_PROFILE = 'RTP/SAVP';
/** RFC 3551 §6: the static payload types of our codecs, usable without an rtpmap. */
const STATIC_PAYLOAD_TYPES: Readonly<Record<number, SupportedCodec>> = { 0: 'PCMU', 8: 'PCMA' };
const WARN_AGENT = 'voicebridge';

/**
 * Reads an SDP offer (RFC 4566) and picks the stream we answer (RFC 3264 §6).
 *
 *   v=0
 *   o=<user> <sess-id> <sess-version> IN IP4|IP6 <address>
 *   s=<name>
 *   c=IN IP4|IP6 <address>                      session level, or per m= line
 *   t=0 0
 *   m=audio <port> RTP/AVP <pt> <pt> ...         first acceptable one wins
 *   a=rtpmap:<pt> <name>/<clock>[/<channels>]    optional for static PTs 0 and 8
 *   a=ptime:<ms>
 *   a=sendrecv|sendonly|recvonly|inactive        media level overrides session level
 *
 * Status choice: an offer that is not SDP (no v=/o=, an unreadable m= line, no c= for the
 * stream) is malformed, 400 (RFC 3261 §21.4.1); well-formed SDP without a stream we can take
 * is 488 Not Acceptable Here with a Warning (RFC 3261 §13.3.1.1, §21.4.26, §20.43 codes 30x).
 * An offer with no m= line at all is valid SDP (RFC 3264 §5 allows it) but gives us no audio: 488.
 */
export function parseOffer(sdp: string, options: OfferOptions): OfferOutcome {
  try {
    return readOffer(sdp, options);
  } catch {
    // Not expected (sdp-transform's output is checked field by field); a bug must not crash a call.
    return malformed('unreadable session description');
  }
}

function readOffer(sdp: string, options: OfferOptions): OfferOutcome {
  if (sdp.trim() === '') return malformed('empty session description');
  if (sdp.length > MAX_SDP_CHARS) return malformed('session description too large');
  let parsed: SessionDescription;
  try {
    parsed = sdpTransform.parse(sdp);
  } catch {
    return malformed('unparseable session description');
  }
  // sdp-transform accepts anything (garbage parses to { media: [] }): check what RFC 4566 §5 requires.
  if (parsed.version !== 0) return malformed('missing or unsupported v= line');
  if (parsed.origin?.address === undefined) return malformed('missing o= line');
  if (!Array.isArray(parsed.media)) return malformed('no media descriptions');
  for (const media of parsed.media) {
    const validPort = Number.isInteger(media.port) && media.port >= 0 && media.port <= 65535;
    if (typeof media.type !== 'string' || !validPort || typeof media.protocol !== 'string') {
      return malformed('unreadable m= line');
    }
  }

  let best: 'none' | 'transport' | 'crypto' | 'codec' = 'none';
  for (let index = 0; index < parsed.media.length; index++) {
    const media = parsed.media[index];
    // A port of 0 marks a stream the offerer already disabled (RFC 3264 §5.1).
    if (media === undefined || media.type.toLowerCase() !== 'audio' || media.port <= 0) continue;
    const profile = media.protocol.toUpperCase();
    let crypto: OfferedCrypto | undefined;
    if (profile === SRTP_PROFILE) {
      crypto = chooseCrypto(media);
      if (crypto === undefined) {
        if (best !== 'codec') best = 'crypto';
        continue;
      }
    } else if (!RTP_PROFILES.has(profile)) {
      if (best === 'none') best = 'transport';
      continue;
    }
    const payloadTypes = payloadTypesOf(media);
    const codec = chooseCodec(media, payloadTypes, options.codecs);
    if (codec === undefined) {
      best = 'codec';
      continue;
    }
    return acceptStream(parsed, index, media, codec, payloadTypes, crypto);
  }
  if (best === 'codec') {
    return notAcceptable(305, `Incompatible media format: offered ${options.codecs.join('/')} not found`);
  }
  if (best === 'crypto') {
    return notAcceptable(
      302,
      `Incompatible transport protocol: RTP/SAVP needs a=crypto inline ${SRTP_SUITES.join(' or ')} without MKI`,
    );
  }
  if (best === 'transport')
    return notAcceptable(302, 'Incompatible transport protocol: RTP/AVP or RTP/SAVP (SDES) required');
  return notAcceptable(304, 'Media type not available: no active audio stream');
}

function acceptStream(
  parsed: SessionDescription,
  audioIndex: number,
  media: MediaDescription,
  codec: AcceptedOffer['codec'],
  payloadTypes: number[],
  crypto: OfferedCrypto | undefined,
): OfferOutcome {
  // RFC 4566 §5.7: a c= in every media description or one at session level.
  const connection = media.connection ?? parsed.connection;
  if (connection === undefined) return malformed('no c= line for the audio stream');
  // RFC 4566 §5.7: a multicast address may carry "/ttl[/count]"; a unicast one never does.
  const [address = ''] = String(connection.ip ?? '').split('/');
  if (isIP(address) === 0) return notAcceptable(301, 'Incompatible network address formats: an IP address is required');
  if (isMulticast(address)) return notAcceptable(300, 'Incompatible network protocol: multicast is not supported');

  const offered = directionOf(media.direction ?? (parsed as { direction?: string }).direction);
  let direction = mirror(offered);
  // RFC 3264 §8.4: c=0.0.0.0 is the RFC 2543 way to put a stream on hold. It is accepted, but we
  // cannot send to it, so our direction loses "send".
  if (address === '0.0.0.0' || address === '::') direction = withoutSend(direction);

  const offer: AcceptedOffer = {
    parsed,
    audioIndex,
    codec,
    ptimeMs: snapPtime(Number(media.ptime ?? (parsed as { ptime?: number }).ptime)),
    remoteRtp: { address, port: media.port },
    direction,
  };
  const telephoneEvent = telephoneEventOf(media, payloadTypes);
  if (telephoneEvent !== undefined) offer.telephoneEventPayloadType = telephoneEvent;
  if (crypto !== undefined) offer.crypto = crypto;
  return { ok: true, offer };
}

/** The fmt list of an m= line as numbers (sdp-transform gives a number for a single format). */
function payloadTypesOf(media: MediaDescription): number[] {
  const out: number[] = [];
  for (const word of String(media.payloads ?? '').split(/\s+/)) {
    if (/^[0-9]{1,3}$/.test(word) && Number(word) <= 127) out.push(Number(word));
  }
  return out;
}

/**
 * The first payload type, in the offerer's order, that names one of our codecs: by rtpmap (name
 * case-insensitive, clock 8000, one channel) or, without an rtpmap, by static PT 0/8.
 */
function chooseCodec(
  media: MediaDescription,
  payloadTypes: number[],
  codecs: SupportedCodec[],
): AcceptedOffer['codec'] | undefined {
  for (const payloadType of payloadTypes) {
    const rtpmap = rtpmapOf(media, payloadType);
    let name: string | undefined;
    if (rtpmap === undefined) name = STATIC_PAYLOAD_TYPES[payloadType];
    else if (Number(rtpmap.rate) === 8000 && (rtpmap.encoding === undefined || Number(rtpmap.encoding) === 1)) {
      name = String(rtpmap.codec).toUpperCase();
    }
    const match = codecs.find((codec) => codec === name);
    if (match !== undefined) return { name: match, payloadType };
  }
  return undefined;
}

function telephoneEventOf(media: MediaDescription, payloadTypes: number[]): number | undefined {
  for (const payloadType of payloadTypes) {
    const rtpmap = rtpmapOf(media, payloadType);
    // RFC 4733 §7.1.1 telephone-event uses a dynamic PT; the media worker accepts 96-127.
    if (
      String(rtpmap?.codec).toLowerCase() === 'telephone-event' &&
      Number(rtpmap?.rate) === 8000 &&
      payloadType >= 96
    ) {
      return payloadType;
    }
  }
  return undefined;
}

function rtpmapOf(media: MediaAttributes, payloadType: number): MediaAttributes['rtp'][number] | undefined {
  return (media.rtp ?? []).find((entry) => entry.payload === payloadType);
}

function directionOf(value: string | undefined): MediaDirection {
  return value === 'sendonly' || value === 'recvonly' || value === 'inactive' ? value : 'sendrecv';
}

/** RFC 3264 §6.1: sendonly → recvonly, recvonly → sendonly, inactive → inactive, sendrecv → sendrecv. */
function mirror(offered: MediaDirection): MediaDirection {
  if (offered === 'sendonly') return 'recvonly';
  if (offered === 'recvonly') return 'sendonly';
  return offered;
}

function withoutSend(direction: MediaDirection): MediaDirection {
  if (direction === 'sendrecv') return 'recvonly';
  if (direction === 'sendonly') return 'inactive';
  return direction;
}

/** Nearest of 10/20/30/40 ms (ties go to the shorter); 20 when absent or nonsense. */
export function snapPtime(ptime: number | undefined): number {
  if (ptime === undefined || !Number.isFinite(ptime) || ptime <= 0) return DEFAULT_PTIME_MS;
  let best: number = DEFAULT_PTIME_MS;
  let bestDistance = Infinity;
  for (const candidate of PTIMES_MS) {
    const distance = Math.abs(candidate - ptime);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function isMulticast(address: string): boolean {
  if (isIP(address) === 4) {
    const first = Number(address.split('.')[0]);
    return first >= 224 && first <= 239;
  }
  return address.toLowerCase().startsWith('ff');
}

function malformed(text: string): OfferOutcome {
  return { ok: false, status: 400, warning: `399 ${WARN_AGENT} "Malformed SDP: ${text}"` };
}

function notAcceptable(code: number, text: string): OfferOutcome {
  return { ok: false, status: 488, warning: `${code} ${WARN_AGENT} "${text}"` };
}
