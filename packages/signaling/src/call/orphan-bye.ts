import type { CallRecord } from '@voicebridge/protocol';
import type { Logger } from 'pino';
import { SipHeaders, type Endpoint, type SipRequest, type SipStack } from '@voicebridge/sip';

export interface OrphanByeOptions {
  /** Our top Via for a new UDP request (`SipStack.via('udp')`: advertised sent-by, rport, fresh branch). */
  via: string;
  userAgent: string;
}

/**
 * A BYE for a call a previous signaling process answered and left up (RFC 3261 §12.2.1.1, built
 * from the record's dialog snapshot), or undefined when the record has none or the call came over
 * a connection that died with that process (TCP). Loose routing is assumed: the Request-URI is the
 * caller's Contact and the route set goes in Route headers. The CSeq only has to be higher than
 * any we sent in the dialog before: a random high one is used.
 */
export function orphanBye(
  record: CallRecord,
  options: OrphanByeOptions,
): { request: SipRequest; to: Endpoint } | undefined {
  const dialog = record.dialog;
  if (!dialog || !record.remoteSip || dialog.transport !== 'udp') return undefined;
  const headers = new SipHeaders();
  headers.append('Via', options.via);
  headers.append('Max-Forwards', '70');
  for (const route of dialog.routeSet) headers.append('Route', route);
  headers.append('From', dialog.local);
  headers.append('To', dialog.remote);
  headers.append('Call-ID', record.sipCallId);
  headers.append('CSeq', `${1_000_000 + Math.floor(Math.random() * 1_000_000)} BYE`);
  headers.append('User-Agent', options.userAgent);
  headers.append('Reason', 'SIP;cause=500;text="bridge restarted"');
  const request: SipRequest = {
    type: 'request',
    method: 'BYE',
    uri: dialog.remoteTarget,
    headers,
    body: Buffer.alloc(0),
  };
  return { request, to: { ...record.remoteSip, transport: 'udp' } };
}

/**
 * The callers of calls the previous process left up are still on the line: each gets a BYE built
 * from the record's dialog snapshot (UDP only: a TCP or TLS connection died with that process),
 * on a client transaction of its own, so a lost BYE is sent again (Timer E) until answered or
 * timed out (64·T1). The outcome is logged; nothing else waits for it.
 */
export function sendOrphanByes(
  stack: SipStack,
  orphans: readonly CallRecord[],
  options: { userAgent: string; log: Logger },
): void {
  const { log } = options;
  for (const record of orphans) {
    const bye = orphanBye(record, { via: stack.via('udp'), userAgent: options.userAgent });
    if (!bye) continue;
    const ids = { callId: record.callId, sipCallId: record.sipCallId };
    log.info(ids, 'BYE sent for a call left up by an earlier run');
    void stack.sendRequest(bye.request, bye.to).then(
      (outcome) => {
        if (outcome.kind === 'response')
          log.info({ ...ids, status: outcome.response.status }, 'BYE for a call left up by an earlier run answered');
        else log.warn(ids, 'BYE for a call left up by an earlier run not answered (timeout)');
      },
      (error: unknown) =>
        log.warn({ ...ids, err: error }, 'BYE for a call left up by an earlier run could not be sent'),
    );
  }
}
