import { fileURLToPath } from 'node:url';
import { ServiceProcess } from './service-process.ts';

export const SERVICE_NAMES = ['media', 'agent', 'signaling'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export interface SupervisorOptions {
  services: readonly ServiceName[];
  env: NodeJS.ProcessEnv;
  onLine: (service: string, line: string, stream: 'stdout' | 'stderr') => void;
  onEvent: (service: string, message: string) => void;
  /** Agent processes to run (AGENT_PROCESSES): with two or more, a dead one's calls are taken over. Default 1. */
  agentProcesses?: number;
}

/**
 * Starts the bridge's processes in dependency order (media, then agents, then signaling, so the
 * first INVITE finds both) and stops them in reverse: signaling drains its calls first.
 */
export class Supervisor {
  readonly #processes: ServiceProcess[];
  #stopping: Promise<void> | undefined;

  constructor(options: SupervisorOptions) {
    const tsx = import.meta.resolve('tsx');
    const instances = SERVICE_NAMES.filter((name) => options.services.includes(name)).flatMap((service) =>
      Array.from({ length: service === 'agent' ? Math.max(1, options.agentProcesses ?? 1) : 1 }, (_, i) => ({
        service,
        name: i === 0 ? service : `${service}-${i + 1}`,
      })),
    );
    this.#processes = instances.map(
      ({ service, name }) =>
        new ServiceProcess({
          name,
          // A process boundary, not an import: the supervisor runs each service's own main.ts.
          entry: fileURLToPath(new URL(`../../../${service}/src/main.ts`, import.meta.url)),
          execArgv: ['--import', tsx],
          env: options.env,
          onLine: options.onLine,
          onEvent: options.onEvent,
        }),
    );
  }

  get processes(): readonly ServiceProcess[] {
    return this.#processes;
  }

  async start(): Promise<void> {
    for (const process of this.#processes) await process.start();
  }

  /** Reverse order; each gets `graceMs` after SIGTERM before SIGKILL. */
  stop(graceMs: number): Promise<void> {
    this.#stopping ??= (async () => {
      for (const process of this.#processes) process.markStopping();
      for (const process of [...this.#processes].reverse()) await process.stop(graceMs);
    })();
    return this.#stopping;
  }

  kill(): void {
    for (const process of this.#processes) process.kill();
  }
}
