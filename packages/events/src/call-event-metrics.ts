import { Counter, Registry } from '@voicebridge/metrics';

/** The event worker's counters on the agent process's /metrics (docs/operations.md "Monitoring"). */
export class CallEventMetrics {
  readonly #delivered: Counter;
  readonly #failed: Counter<'final'>;

  constructor(registry: Registry = new Registry()) {
    const registers = [registry];
    this.#delivered = new Counter({
      name: 'voicebridge_call_events_delivered_total',
      help: "Call events the user's backend accepted with a 2xx",
      registers,
    });
    this.#failed = new Counter({
      name: 'voicebridge_call_events_failed_total',
      help: 'Failed call-event attempts: final="false" will be retried, final="true" went to the dead-letter list',
      labelNames: ['final'],
      registers,
    });
  }

  delivered(): void {
    this.#delivered.inc();
  }

  failed(final: boolean): void {
    this.#failed.inc({ final: String(final) });
  }
}
