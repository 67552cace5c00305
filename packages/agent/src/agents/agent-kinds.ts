import type { CallJob } from '@voicebridge/protocol';
import type { Logger } from 'pino';
import { AgentRefusal, type AgentKind, type AgentKindFactory } from './agent-kind.ts';

/**
 * The agent kinds a worker runs, by the name a number's config gives (`agent`). Adding a kind is a
 * `register` call where the worker is built (docs/agents.md); `AgentCall` never names a kind.
 */
export class AgentKinds {
  readonly #factories = new Map<string, AgentKindFactory>();

  constructor(factories: Readonly<Record<string, AgentKindFactory>> = {}) {
    for (const [name, factory] of Object.entries(factories)) this.register(name, factory);
  }

  register(name: string, factory: AgentKindFactory): this {
    if (this.#factories.has(name)) throw new Error(`agent kind ${name} is registered twice`);
    this.#factories.set(name, factory);
    return this;
  }

  get names(): string[] {
    return [...this.#factories.keys()];
  }

  /** The call's agent; for a kind this worker does not run, one that refuses the call in `prepare`. */
  create(job: CallJob, log: Logger): AgentKind {
    const factory = this.#factories.get(job.config.agent.kind);
    return factory ? factory(job, log) : new UnknownKind(job.config.agent.kind);
  }
}

/** Stands for a kind this worker cannot run: it refuses every call, naming the kind. */
class UnknownKind implements AgentKind {
  readonly #name: string;

  constructor(name: string) {
    this.#name = name;
  }

  prepare(): Promise<void> {
    return Promise.reject(
      new AgentRefusal('VB_CONFIG_INVALID', `this agent worker runs no agent kind named ${this.#name}`),
    );
  }

  run(): Promise<void> {
    return Promise.resolve();
  }

  resume(): Promise<void> {
    return Promise.resolve();
  }

  close(): void {}
}
