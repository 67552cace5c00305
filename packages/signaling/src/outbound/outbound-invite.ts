import { formatHost, type SipResponse, type UacInviteOptions } from '@voicebridge/sip';
import { IN_DIALOG_ALLOW, SUPPORTED } from '../call/sip-capabilities.ts';
import type { OutboundTarget } from './dial-request.ts';

/** Where our INVITE is addressed from: the advertised address and the port of the target's transport. */
export interface InviteSender {
  advertisedAddress: string;
  sipPort: number;
  tlsPort?: number;
}

/** Our Contact for the call: the advertised address on the port and transport the INVITE leaves by. */
export function outboundContact(sender: InviteSender, transport: OutboundTarget['destination']['transport']): string {
  const host = formatHost(sender.advertisedAddress);
  return transport === 'tls'
    ? `sip:${host}:${sender.tlsPort ?? sender.sipPort};transport=tls`
    : `sip:${host}:${sender.sipPort}${transport === 'tcp' ? ';transport=tcp' : ''}`;
}

/**
 * The INVITE of a call we place, for the stack's UAC: From is the caller id (or the trunk's account
 * user) at our address with a fresh tag, To the target's Request-URI, our offer as the body.
 */
export function outboundInvite(
  target: OutboundTarget,
  call: { sender: InviteSender; callerId: string; tag: string; sipCallId: string; contact: string; offer: string },
  onProvisional: (response: SipResponse) => void,
  timer: { sessionExpiresS?: number; minSeS: number },
): UacInviteOptions {
  // RFC 4028 §7.1: Session-Expires without a refresher leaves the choice to the callee; never below our Min-SE.
  const intervalS = target.sessionExpiresS ?? timer.sessionExpiresS ?? 0;
  const host = formatHost(call.sender.advertisedAddress);
  return {
    requestUri: target.requestUri,
    from: `<sip:${target.fromUser ?? call.callerId}@${host}>;tag=${call.tag}`,
    to: `<${target.requestUri}>`,
    callId: call.sipCallId,
    contact: call.contact,
    destination: target.destination,
    ...(target.routes && { routes: target.routes }),
    headers: [
      ['Allow', IN_DIALOG_ALLOW],
      ['Supported', SUPPORTED],
    ],
    body: Buffer.from(call.offer),
    contentType: 'application/sdp',
    ...(target.credentials && { credentials: target.credentials }),
    ...(intervalS > 0 && { sessionTimer: { intervalS: Math.max(intervalS, timer.minSeS), minSeS: timer.minSeS } }),
    listener: { onProvisional },
  };
}
