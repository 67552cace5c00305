/**
 * A call we place, as signaling sees it.
 *
 *   Preparing ──(number, media port, agent claimed and prepared; INVITE sent)──► Calling
 *       │                                                                          │ 1xx
 *       │ no agent, a bad number, cancelled                                        ▼
 *       │                                     Calling/Ringing ──(2xx: ACK sent)──► Answered
 *       │                                          │ 3xx-6xx, CANCEL, Timer B        │ BYE either way,
 *       └──────────────────────────────────────────┴──────────► Ended ◄─────────────┘ media lost, shutdown
 */
export enum OutboundState {
  Preparing = 'preparing',
  Calling = 'calling',
  Ringing = 'ringing',
  Answered = 'answered',
  Ended = 'ended',
}

const ALLOWED: Record<OutboundState, readonly OutboundState[]> = {
  [OutboundState.Preparing]: [OutboundState.Calling, OutboundState.Ended],
  [OutboundState.Calling]: [OutboundState.Ringing, OutboundState.Answered, OutboundState.Ended],
  [OutboundState.Ringing]: [OutboundState.Answered, OutboundState.Ended],
  [OutboundState.Answered]: [OutboundState.Ended],
  [OutboundState.Ended]: [],
};

export function assertOutboundTransition(from: OutboundState, to: OutboundState): void {
  if (!ALLOWED[from].includes(to)) throw new Error(`outbound call: illegal transition ${from} → ${to}`);
}
