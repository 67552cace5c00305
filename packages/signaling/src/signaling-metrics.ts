import { Counter, Gauge, Registry } from '@voicebridge/metrics';
import type { Verdict } from '@voicebridge/protocol';

/** Why an INVITE was refused before it became a call (no record, no job). A fixed set: a label. */
export type AdmissionRefusal =
  'draining' | 'challenge' | 'untrusted-source' | 'wrong-transport' | 'over-limit' | 'bad-request' | 'unknown-number';

/**
 * Signaling's metrics (docs/operations.md "Monitoring"). To add one: define it here on the registry
 * and call it where it happens; collection, the `process` label and merging need no change.
 * Labels are bounded sets only (statuses, verdict reasons), never numbers or call ids.
 */
export class SignalingMetrics {
  readonly #inviteResponses: Counter<'status'>;
  readonly #callsEnded: Counter<'reason' | 'by'>;
  readonly #admitted: Counter;
  readonly #refused: Counter<'reason'>;

  constructor(registry: Registry = new Registry(), live: { activeCalls: () => number } = { activeCalls: () => 0 }) {
    const registers = [registry];
    new Gauge({
      name: 'voicebridge_calls_active',
      help: 'Calls in progress on this signaling process (admitted, not yet ended)',
      registers,
      collect() {
        this.set(live.activeCalls());
      },
    });
    this.#callsEnded = new Counter({
      name: 'voicebridge_calls_total',
      help: 'Calls ended, by termination verdict (reason) and the side that ended them (by)',
      labelNames: ['reason', 'by'],
      registers,
    });
    this.#inviteResponses = new Counter({
      name: 'voicebridge_sip_invite_responses_total',
      help: 'Final responses sent to INVITEs (initial and re-INVITEs), by status code',
      labelNames: ['status'],
      registers,
    });
    this.#admitted = new Counter({
      name: 'voicebridge_calls_admitted_total',
      help: 'INVITEs admitted as calls (the number is known: a call record was written)',
      registers,
    });
    this.#refused = new Counter({
      name: 'voicebridge_calls_refused_total',
      help: 'INVITEs refused at admission, before a call existed, by reason',
      labelNames: ['reason'],
      registers,
    });
  }

  callEnded(verdict: Verdict): void {
    this.#callsEnded.inc({ reason: verdict.reason, by: verdict.by });
  }

  responded(method: string, status: number): void {
    // Provisional responses (100, 180) say nothing about the outcome.
    if (method === 'INVITE' && status >= 200) this.#inviteResponses.inc({ status: String(status) });
  }

  admitted(): void {
    this.#admitted.inc();
  }

  refused(reason: AdmissionRefusal): void {
    this.#refused.inc({ reason });
  }
}
