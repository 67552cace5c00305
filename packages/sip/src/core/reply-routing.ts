import { formatVia, parseVia, type SipRequest } from '../messages/index.ts';
import type { Endpoint } from './timers.ts';

/**
 * RFC 3261 §18.2.1: add `received` to the top Via when its sent-by differs from the packet's source,
 * and fill an empty `rport` with the source port (RFC 3581), so the request records where it came from.
 */
export function stampVia(request: SipRequest, source: Endpoint): void {
  const vias = request.headers.getAll('Via');
  const top = vias[0] ? parseVia(vias[0]) : undefined;
  if (!top) return;
  let changed = false;
  if (top.host.replace(/^\[|\]$/g, '') !== source.address) {
    top.params.set('received', source.address);
    changed = true;
  }
  if (top.params.has('rport') && !top.params.get('rport')) {
    top.params.set('rport', String(source.port));
    changed = true;
  }
  if (!changed) return;
  vias[0] = formatVia(top);
  request.headers.set('Via', vias);
}

/**
 * Where responses to a request go (RFC 3261 §18.2.2, RFC 3581): always the packet's source
 * address — never a Via host that differs from it, and never a DNS lookup — and on UDP its source
 * port, unless `forceRport` is false and the top Via has no rport. A stream reply uses its connection.
 */
export function replyTo(request: SipRequest, source: Endpoint, forceRport: boolean): Endpoint {
  if (source.transport !== 'udp' || forceRport) return source;
  const first = request.headers.getAll('Via')[0];
  const top = first === undefined ? undefined : parseVia(first);
  if (top === undefined || top.rport !== undefined) return source;
  return { ...source, port: top.port ?? 5060 };
}
