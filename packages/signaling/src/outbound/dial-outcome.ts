import {
  dialVerdictOfStatus,
  parseSipReason,
  type DialOutcome,
  type DialVerdict,
  type HANGUP_PARTIES,
  type Verdict,
} from '@voicebridge/protocol';
import type { UacOutcome } from '@voicebridge/sip';

type Party = (typeof HANGUP_PARTIES)[number];

/** What a dial that was not answered reports, and what its call's verdict is made from. */
export interface DialFailure {
  verdict: Exclude<DialVerdict, 'answered'>;
  options: { by?: Party; status?: number; reason?: string; attempts?: number; detail?: string } & Pick<
    Verdict,
    'code' | 'detail'
  >;
}

/**
 * The dial outcome as the API reports it. `attempts` defaults to the INVITEs sent; `ringingAtMs` is
 * the first 1xx, from which ring time counts.
 */
export function dialOutcome(
  verdict: DialVerdict,
  options: { status?: number; reason?: string; attempts?: number; detail?: string },
  sent: { attempts: number; ringingAtMs: number | undefined },
): DialOutcome {
  const reason = parseSipReason(options.reason);
  return {
    verdict,
    attempts: options.attempts ?? sent.attempts,
    ...(options.status !== undefined && { finalStatus: options.status }),
    ...(reason !== undefined && { reason }),
    ...(sent.ringingAtMs !== undefined && { ringMs: Date.now() - sent.ringingAtMs }),
    ...(options.detail !== undefined && { detail: options.detail.slice(0, 500) }),
  };
}

/**
 * Why an INVITE that was not answered failed: our CANCEL is `no-answer` when the ring timeout sent it
 * and nobody else asked for it first, a timeout likewise; a final response maps by its status.
 */
export function failureOfUac(
  outcome: Exclude<UacOutcome, { kind: 'answered' }>,
  attempts: number,
  cancel: { ringTimedOut: boolean; cancelledByOther: boolean },
): DialFailure {
  if (outcome.kind === 'cancelled') {
    const verdict = cancel.ringTimedOut && !cancel.cancelledByOther ? 'no-answer' : 'cancelled';
    const status = outcome.crossed ? undefined : outcome.response?.status;
    return { verdict, options: { by: 'bridge', status, attempts } };
  }
  if (outcome.kind === 'timeout') {
    const detail = outcome.provisional ? 'no final response after our CANCEL' : 'no response to the INVITE';
    return { verdict: cancel.ringTimedOut ? 'no-answer' : 'failed', options: { by: 'bridge', detail, attempts } };
  }
  const { status } = outcome.response;
  return {
    verdict: dialVerdictOfStatus(status) as Exclude<DialVerdict, 'answered'>,
    options: { by: 'caller', status, reason: outcome.response.headers.get('Reason'), attempts },
  };
}

/** The call's verdict for a dial that was not answered: the verdict is the reason, the status kept. */
export function verdictOfFailure({ verdict, options }: DialFailure): Verdict {
  return {
    by: options.by ?? 'bridge',
    reason: verdict,
    ...(options.status !== undefined && { sipStatus: options.status }),
    ...(options.detail !== undefined && { detail: options.detail }),
    ...(options.code !== undefined && { code: options.code }),
  };
}
