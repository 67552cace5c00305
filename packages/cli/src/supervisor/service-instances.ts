export const SERVICE_NAMES = ['media', 'agent', 'signaling'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** One process the supervisor runs: which service, its name in the merged logs, its own environment. */
export interface ServiceInstance {
  service: ServiceName;
  name: string;
  env: Record<string, string>;
}

/**
 * The processes for `services`, in start order (media, then agents, then signaling). Media workers
 * are `media-1`, `media-2`, … (just `media` when there is one), each told its index and the count;
 * agents are `agent`, `agent-2`, ….
 */
export function serviceInstances(
  services: readonly ServiceName[],
  counts: { mediaWorkers: number; agentProcesses: number },
): ServiceInstance[] {
  return SERVICE_NAMES.filter((name) => services.includes(name)).flatMap((service): ServiceInstance[] => {
    if (service === 'media') {
      const n = Math.max(1, counts.mediaWorkers);
      return Array.from({ length: n }, (_, i) => ({
        service,
        name: n === 1 ? 'media' : `media-${i + 1}`,
        // The resolved count, so `auto` means the same number in every process.
        env: { MEDIA_WORKER_INDEX: String(i), MEDIA_WORKERS: String(n) },
      }));
    }
    const n = service === 'agent' ? Math.max(1, counts.agentProcesses) : 1;
    return Array.from({ length: n }, (_, i) => ({ service, name: i === 0 ? service : `${service}-${i + 1}`, env: {} }));
  });
}
