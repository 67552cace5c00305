import type { Queue } from 'bullmq';
import { Counter, Gauge, type Registry } from '@voicebridge/metrics';
import type { ServiceProcess } from './supervisor/service-process.ts';

/**
 * What the supervisor itself reports (labelled `process="supervisor"` in /metrics): the calls
 * queue as the whole node's agents see it (asked once per scrape, so every agent process does not
 * report the same queue), and restarts of each supervised process.
 */
export function defineSupervisorMetrics(
  registry: Registry,
  options: { queue: Queue; processes: readonly ServiceProcess[] },
): void {
  const { queue, processes } = options;
  new Gauge({
    name: 'voicebridge_agent_queue_jobs',
    help: 'Calls in the BullMQ calls queue by state: waiting for an agent, or claimed (active)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      try {
        const counts = await queue.getJobCounts('waiting', 'active');
        this.set({ state: 'waiting' }, counts.waiting ?? 0);
        this.set({ state: 'active' }, counts.active ?? 0);
      } catch {
        // Redis away: no figure rather than a stale one; /readyz names the failing Redis check.
        this.reset();
      }
    },
  });
  new Counter({
    name: 'voicebridge_process_restarts_total',
    help: 'Times the supervisor restarted a process after it exited unexpectedly',
    labelNames: ['name'],
    registers: [registry],
    collect() {
      this.reset();
      for (const p of processes) this.inc({ name: p.name }, p.restarts);
    },
  });
}
