import type { InboundCall } from '../admission/inbound-call.ts';

/** call.ringing's data: who called which number, through which trunk (the record's own fields). */
export function ringingData(inbound: InboundCall, invitedAtMs: number): Record<string, unknown> {
  return {
    number: inbound.number ?? inbound.dialled,
    from: inbound.from,
    ...(inbound.fromName !== undefined && { fromName: inbound.fromName }),
    ...(inbound.trunk !== undefined && { trunk: inbound.trunk.name }),
    invitedAtMs,
  };
}
