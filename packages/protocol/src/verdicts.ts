/** Who ended the call. */
export const HANGUP_PARTIES = ['caller', 'agent', 'bridge'] as const;
export type HangupParty = (typeof HANGUP_PARTIES)[number];

export interface VerdictEntry {
  /** Who may end a call with this verdict. */
  by: readonly HangupParty[];
  /** The status the caller got when it is always the same (a verdict before the answer). */
  sipStatus?: number;
  /** What it means, as docs/errors.md shows it (a test keeps the two equal). */
  description: string;
}

/**
 * Why a call ended: one verdict per call, the one registry of them. Stable codes: dashboards and
 * alerts key on them, so a code is never reused for another meaning. Every process and agent kind
 * ends calls with these codes, and docs/errors.md lists exactly these entries. A new verdict is one
 * entry here and its row there.
 */
export const VERDICTS = {
  'caller-bye': { by: ['caller'], description: 'the caller hung up (BYE)' },
  'caller-cancel': { by: ['caller'], sipStatus: 487, description: 'CANCEL before answer (sipStatus 487)' },
  'agent-hangup': { by: ['agent'], description: 'the agent ended the call; we sent BYE' },
  'max-duration': {
    by: ['agent', 'bridge'],
    description:
      "the call reached the number's `maxCallDurationS` (default 3600): the agent said so and hung up; by `bridge`: the agent could not (gone, Redis away) and signaling's hard cap ended it 30 s later",
  },
  'no-input': {
    by: ['agent'],
    description:
      'the caller said nothing for `noInputTimeoutS` (default 30), was asked "Are you still there?", and stayed silent as long again',
  },
  rejected: {
    by: ['bridge', 'caller'],
    description:
      'a final non-2xx to the INVITE (sipStatus, detail); on an outbound call, by `caller`: the callee declined (603)',
  },
  'no-agent': {
    by: ['bridge'],
    sipStatus: 503,
    description:
      'no agent took the call within ANSWER_TIMEOUT_MS (503): none claimed it (no detail), or the one that claimed it did not accept in time (detail says so)',
  },
  'agent-refused': {
    by: ['agent'],
    description:
      "the agent that claimed the call refused it before the answer (a bot that is down, a model that declines): the caller got the agent's status (sipStatus), `detail` is the agent's reason",
  },
  'agent-misconfigured': {
    by: ['agent'],
    description:
      "the number's agent cannot run on the worker that claimed it, e.g. an `llm` number whose `apiKeyEnv` variable is not set in the agent worker's environment: 503 before the answer, `detail` names what is missing (a variable's name, never its value); on a takeover of a live call, the agent hangs up with it instead",
  },
  'operator-hangup': {
    by: ['bridge'],
    description: 'an operator hung the call up through the API (`POST /api/v1/calls/{id}/hangup`); we sent BYE',
  },
  'bot-unreachable': {
    by: ['agent'],
    sipStatus: 503,
    description:
      "a `websocket` number's bot could not be reached before the answer (refused, timed out, TLS failed, the outbound URL policy refused its URL): 503, `detail` says which",
  },
  'bot-closed': {
    by: ['agent'],
    description:
      "a `websocket` number's bot closed its socket (code 1000, or an abnormal close with no reconnect left); we sent BYE, `detail` has the close code and reason",
  },
  'model-unreachable': {
    by: ['agent'],
    sipStatus: 503,
    description:
      "a `realtime` number's model could not be reached or configured before the answer (refused, timed out, TLS failed, rate-limited at the handshake, the outbound URL policy refused its URL): 503, `detail` says which",
  },
  'model-lost': {
    by: ['agent'],
    description:
      "a `realtime` number's model session was lost mid-call (the socket dropped and one reconnect failed, or a rate limit persisted after one retry): the caller heard a short apology and the agent hung up; `detail` says which",
  },
  'engine-outage': {
    by: ['agent'],
    description:
      "a cloud speech engine failed and the worker's offline fallbacks were all taken (STT_POOL_SIZE, ENGINE_FALLBACK_MAX): the caller heard a fixed apology and the agent hung up (or transferred, where the number has a transfer target); `detail` names the engine",
  },
  'no-ack': { by: ['bridge'], description: 'our 200 OK was never ACKed within 64·T1; we sent BYE' },
  'media-lost': { by: ['bridge'], description: 'the media worker failed or went away' },
  'media-timeout': {
    by: ['bridge'],
    description: 'no RTP for too long (MEDIA_TIMEOUT_MS; ten times that while the caller holds the call)',
  },
  transferred: {
    by: ['bridge'],
    description:
      "the call was transferred: our REFER was accepted and the transferee's NOTIFY reported 2xx; we sent BYE",
  },
  'session-expired': {
    by: ['bridge'],
    description:
      'RFC 4028: the session interval ran out without a refresh (re-INVITE/UPDATE); we sent BYE at expiry minus min(32 s, SE/3)',
  },
  'agent-lost': { by: ['bridge'], description: 'the agent went away and no other took over' },
  drain: { by: ['bridge'], description: 'shutdown deadline reached; we sent BYE' },
  'bridge-restart': { by: ['bridge'], description: 'found live after a restart and closed' },
  answered: {
    by: ['caller'],
    description:
      "an outbound call's dial outcome only (`dial.verdict`): the callee answered (2xx); the call's own verdict says how it later ended",
  },
  busy: { by: ['caller'], description: 'an outbound call the callee answered busy (486 or 600)' },
  'no-answer': {
    by: ['caller', 'bridge'],
    description:
      'an outbound call nobody answered: 408 or 480 from the callee, or by `bridge`: the ring timeout passed and we sent CANCEL',
  },
  'invalid-number': {
    by: ['caller'],
    description: 'an outbound call to a number the far end does not know (404, 484 or 604)',
  },
  failed: {
    by: ['caller', 'bridge'],
    description:
      'an outbound call that failed: another final 4xx/5xx/6xx (by `caller`), or by `bridge`: no response (Timer B), the trunk unreachable, a guard refused it, or a retried job that had already sent its INVITE (`detail` bridge-restart: never dialled twice)',
  },
  cancelled: {
    by: ['bridge'],
    description: 'an outbound call an operator cancelled before it was answered (CANCEL, or dropped from the queue)',
  },
  error: {
    by: ['bridge', 'agent'],
    description:
      'an internal failure: `code` is its stable error code (the table above) and `detail` one line saying why; `calls show` prints both',
  },
} as const satisfies Record<string, VerdictEntry>;

export type TerminationReason = keyof typeof VERDICTS;
export const TERMINATION_REASONS = Object.keys(VERDICTS) as [TerminationReason, ...TerminationReason[]];

/**
 * How a dial can end at the answer (DialOutcome.verdict). Each but `answered` is also the verdict of
 * a call that never got an answer; on an outbound call, party `caller` means the far end.
 */
export const DIAL_VERDICTS = [
  'answered',
  'busy',
  'no-answer',
  'rejected',
  'invalid-number',
  'failed',
  'cancelled',
] as const satisfies readonly TerminationReason[];
export type DialVerdict = (typeof DIAL_VERDICTS)[number];

/** The registry's entry of a verdict code. */
export function verdictEntry(reason: TerminationReason): VerdictEntry {
  return VERDICTS[reason];
}
