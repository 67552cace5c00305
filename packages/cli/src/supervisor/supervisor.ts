import { fileURLToPath } from 'node:url';
import { ServiceProcess } from './service-process.ts';
import { serviceInstances, type ServiceName } from './service-instances.ts';

export { SERVICE_NAMES, type ServiceName } from './service-instances.ts';

export interface SupervisorOptions {
  services: readonly ServiceName[];
  env: NodeJS.ProcessEnv;
  onLine: (service: string, line: string, stream: 'stdout' | 'stderr') => void;
  onEvent: (service: string, message: string) => void;
  /** Agent processes to run (AGENT_PROCESSES): with two or more, a dead one's calls are taken over. Default 1. */
  agentProcesses?: number;
  /** Media worker processes to run (MEDIA_WORKERS, resolved): each owns a slice of the RTP range. Default 1. */
  mediaWorkers?: number;
}

/**
 * Starts the bridge's processes in dependency order (the media workers, then agents, then
 * signaling, so the first INVITE finds them) and stops them in reverse: signaling drains its calls
 * first. Processes of one service start and stop together; each is restarted on its own.
 */
export class Supervisor {
  readonly #processes: ServiceProcess[];
  /** The processes grouped by service, in start order. */
  readonly #groups: ServiceProcess[][];
  #stopping: Promise<void> | undefined;

  constructor(options: SupervisorOptions) {
    const tsx = import.meta.resolve('tsx');
    const instances = serviceInstances(options.services, {
      mediaWorkers: options.mediaWorkers ?? 1,
      agentProcesses: options.agentProcesses ?? 1,
    });
    const groups = new Map<ServiceName, ServiceProcess[]>();
    this.#processes = instances.map(({ service, name, env }) => {
      const process = new ServiceProcess({
        service,
        name,
        // A process boundary, not an import: the supervisor runs each service's own main.ts.
        entry: fileURLToPath(new URL(`../../../${service}/src/main.ts`, import.meta.url)),
        execArgv: ['--import', tsx],
        env: { ...options.env, ...env },
        // A restarted signaling process is what BYEs the callers its crash left up (within 5 s of the
        // kill is the aim; loading the process alone takes 1-4 s on a busy 2-core box), and a restarted
        // single agent process is what takes its calls over before media gives them up
        // (AGENT_LOST_TIMEOUT_MS, 10 s; loading takes 3 s idle, 6-9 s loaded): their first restart
        // waits less.
        ...((service === 'signaling' || service === 'agent') && { restartDelayMs: { initial: 100, max: 30_000 } }),
        onLine: options.onLine,
        onEvent: options.onEvent,
      });
      groups.set(service, [...(groups.get(service) ?? []), process]);
      return process;
    });
    this.#groups = [...groups.values()];
  }

  get processes(): readonly ServiceProcess[] {
    return this.#processes;
  }

  async start(): Promise<void> {
    for (const group of this.#groups) await Promise.all(group.map((process) => process.start()));
  }

  /** Reverse order, a service's processes together; each gets `graceMs` after SIGTERM before SIGKILL. */
  stop(graceMs: number): Promise<void> {
    this.#stopping ??= (async () => {
      for (const process of this.#processes) process.markStopping();
      for (const group of [...this.#groups].reverse()) await Promise.all(group.map((process) => process.stop(graceMs)));
    })();
    return this.#stopping;
  }

  kill(): void {
    for (const process of this.#processes) process.kill();
  }
}
