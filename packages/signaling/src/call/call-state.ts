/**
 * A call as signaling sees it.
 *
 *   Admitting ──(number, SDP, media port)──► Ringing ──(agent claimed: 200 OK)──► Answered
 *       │                                      │                                   │ ACK
 *       │ 4xx/5xx, CANCEL                      │ CANCEL (487), no agent (503)      ▼
 *       └──────────────────────────────────────┴────────────► Ended ◄──────── Confirmed
 *                                                              ▲  BYE either way, no ACK,
 *                                                              └─ media lost, shutdown
 */
export enum CallState {
  Admitting = 'admitting',
  Ringing = 'ringing',
  Answered = 'answered',
  Confirmed = 'confirmed',
  Ended = 'ended',
}

const ALLOWED: Record<CallState, readonly CallState[]> = {
  [CallState.Admitting]: [CallState.Ringing, CallState.Ended],
  [CallState.Ringing]: [CallState.Answered, CallState.Ended],
  [CallState.Answered]: [CallState.Confirmed, CallState.Ended],
  [CallState.Confirmed]: [CallState.Ended],
  [CallState.Ended]: [],
};

export function assertTransition(from: CallState, to: CallState): void {
  if (!ALLOWED[from].includes(to)) throw new Error(`call: illegal transition ${from} → ${to}`);
}
