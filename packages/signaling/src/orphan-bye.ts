import type { CallRecord } from '@voicebridge/protocol';
import { generateBranch, SipHeaders, type Endpoint, type SipRequest } from '@voicebridge/sip';
import { formatHost } from './contact-uri.ts';

export interface OrphanByeOptions {
  /** Our advertised SIP address and port (the Via). */
  host: string;
  port: number;
  userAgent: string;
}

/**
 * A BYE for a call a previous signaling process answered and left up (RFC 3261 §12.2.1.1, built
 * from the record's dialog snapshot), or undefined when the record has none or the call came over
 * a connection that died with that process (TCP). Loose routing is assumed: the Request-URI is the
 * caller's Contact and the route set goes in Route headers. The CSeq only has to be higher than
 * any we sent in the dialog before: a random high one is used.
 */
export function orphanBye(record: CallRecord, options: OrphanByeOptions): { request: SipRequest; to: Endpoint } | undefined {
  const dialog = record.dialog;
  if (!dialog || !record.remoteSip || dialog.transport !== 'udp') return undefined;
  const host = formatHost(options.host);
  const headers = new SipHeaders();
  headers.append('Via', `SIP/2.0/UDP ${host}:${options.port};rport;branch=${generateBranch()}`);
  headers.append('Max-Forwards', '70');
  for (const route of dialog.routeSet) headers.append('Route', route);
  headers.append('From', dialog.local);
  headers.append('To', dialog.remote);
  headers.append('Call-ID', record.sipCallId);
  headers.append('CSeq', `${1_000_000 + Math.floor(Math.random() * 1_000_000)} BYE`);
  headers.append('User-Agent', options.userAgent);
  headers.append('Reason', 'SIP;cause=500;text="bridge restarted"');
  const request: SipRequest = { type: 'request', method: 'BYE', uri: dialog.remoteTarget, headers, body: Buffer.alloc(0) };
  return { request, to: { ...record.remoteSip, transport: 'udp' } };
}
