/**
 * RFC 3261 §17 timer values. T1 is the RTT estimate, T2 the cap for non-INVITE retransmission and
 * for 2xx retransmission, T4 how long a message may stay in the network. All in milliseconds.
 */
export interface SipTimerValues {
  T1: number;
  T2: number;
  T4: number;
}

export const DEFAULT_TIMERS: SipTimerValues = { T1: 500, T2: 4000, T4: 5000 };

/** Timer B/F/H/J/L = 64·T1: how long a transaction waits before giving up (RFC 3261 Table 4, RFC 6026). */
export function timer64(t: SipTimerValues): number {
  return 64 * t.T1;
}

/** Where a message goes or came from. Transport-level: the stack never opens sockets. */
export interface Endpoint {
  address: string;
  port: number;
  /** `tls`: SIP over TLS (RFC 3261 §26.2), a reliable stream like `tcp`. */
  transport: 'udp' | 'tcp' | 'tls';
}
