import { fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { MetricsRequester, type MetricFamily, type MetricsSource } from '@voicebridge/metrics';
import type { NodeCommand } from '@voicebridge/protocol';
import { NodeCommandRequester } from '@voicebridge/runtime';

export interface ServiceProcessOptions {
  /** The service it runs (`media`), of which it may be one of several (`media-2`). */
  service: string;
  name: string;
  /** Absolute path of the service's main.ts. */
  entry: string;
  /** Node flags, e.g. the tsx loader. */
  execArgv: string[];
  env: NodeJS.ProcessEnv;
  /** Each line the child writes (stdout and stderr), for the merged log. */
  onLine: (service: string, line: string, stream: 'stdout' | 'stderr') => void;
  onEvent: (service: string, message: string) => void;
  readyTimeoutMs?: number;
  restartDelayMs?: { initial: number; max: number };
}

/**
 * One supervised service process: started, watched for its IPC `ready`, restarted with back-off
 * when it exits unexpectedly, stopped with SIGTERM (then SIGKILL) on request.
 *
 *   Stopped ── start ──► Starting ── ready ──► Running ── exit ──► Restarting ── delay ──► Starting
 *                                                  └── stop ──► Stopping ── exit ──► Stopped
 */
export class ServiceProcess implements MetricsSource {
  readonly service: string;
  readonly name: string;
  restarts = 0;
  readonly #options: ServiceProcessOptions;
  #child: ChildProcess | undefined;
  #stopping = false;
  #restartTimer: NodeJS.Timeout | undefined;
  #delayMs: number;
  #startedAtMs = 0;
  #ready = false;
  /** The current child's end of the metrics requests; replaced on each start. */
  #metrics: MetricsRequester | undefined;
  /** The current child's end of the node commands (signaling only answers them); replaced on each start. */
  #commands: NodeCommandRequester | undefined;
  #readyWaiters: { resolve: () => void; reject: (error: Error) => void }[] = [];

  constructor(options: ServiceProcessOptions) {
    this.service = options.service;
    this.name = options.name;
    this.#options = options;
    this.#delayMs = options.restartDelayMs?.initial ?? 1000;
  }

  /** Running and reported ready since its last start (false while it restarts). */
  get ready(): boolean {
    return this.#ready;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** The pid of the running child, undefined while none runs: a new value means it restarted. */
  get incarnation(): number | undefined {
    const child = this.#child;
    return child && child.exitCode === null && child.signalCode === null && child.connected ? child.pid : undefined;
  }

  /** The child's metrics registry as JSON, over IPC; rejects after `timeoutMs` or when it exits. */
  requestMetrics(timeoutMs: number): Promise<MetricFamily[]> {
    return this.#metrics?.request(timeoutMs) ?? Promise.reject(new Error(`${this.name} is not running`));
  }

  /**
   * Asks the child to run `command` on a call it holds, over IPC: true when the call is live there and
   * the command was carried out; rejects after `timeoutMs` or when the child exits.
   */
  runNodeCommand(command: NodeCommand, timeoutMs: number): Promise<boolean> {
    return this.#commands?.run(command, timeoutMs) ?? Promise.reject(new Error(`${this.name} is not running`));
  }

  /** Starts the process and resolves once it reported ready. */
  start(): Promise<void> {
    const ready = new Promise<void>((resolve, reject) => this.#readyWaiters.push({ resolve, reject }));
    this.#spawn();
    return ready;
  }

  /** From now on an exit is expected: no restart. */
  markStopping(): void {
    this.#stopping = true;
    clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
  }

  /** SIGTERM, and SIGKILL after `graceMs`; resolves when the process is gone. */
  async stop(graceMs: number): Promise<void> {
    this.markStopping();
    clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  kill(): void {
    this.#stopping = true;
    clearTimeout(this.#restartTimer);
    this.#child?.kill('SIGKILL');
  }

  #spawn(): void {
    const { entry, execArgv, env, name } = this.#options;
    // Own process group: a terminal's Ctrl-C reaches only the supervisor, which stops the services
    // in order (signaling drains before media goes). If the supervisor dies, the IPC channel closes
    // and each service shuts itself down.
    const child = fork(entry, [], { execArgv, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], detached: true });
    this.#child = child;
    this.#startedAtMs = Date.now();
    this.#metrics?.close();
    this.#commands?.close();
    const send = (message: unknown): boolean => {
      if (!child.connected) return false;
      // With a callback a closed channel fails the send here, not as an 'error' event on the child;
      // the request then times out or is failed by the exit.
      child.send(message as object, () => undefined);
      return true;
    };
    const metrics = new MetricsRequester(send);
    const commands = new NodeCommandRequester(send);
    this.#metrics = metrics;
    this.#commands = commands;
    for (const stream of ['stdout', 'stderr'] as const) {
      const source = child[stream];
      if (source) createInterface({ input: source }).on('line', (line) => this.#options.onLine(name, line, stream));
    }
    const readyTimer = setTimeout(() => {
      this.#options.onEvent(name, 'did not report ready in time: killing it');
      child.kill('SIGKILL');
    }, this.#options.readyTimeoutMs ?? 30_000);
    child.on('message', (message: unknown) => {
      if (metrics.handle(message) || commands.handle(message)) return;
      if ((message as { type?: string } | null)?.type !== 'ready') return;
      clearTimeout(readyTimer);
      this.#ready = true;
      for (const waiter of this.#readyWaiters.splice(0)) waiter.resolve();
    });
    child.on('exit', (code, signal) => {
      clearTimeout(readyTimer);
      metrics.close();
      commands.close();
      this.#ready = false;
      if (this.#stopping) return;
      const waiters = this.#readyWaiters.splice(0);
      if (code === 2) {
        // Exit 2 is a configuration error: restarting cannot fix it.
        for (const waiter of waiters) waiter.reject(new Error(`${name} exited with a configuration error`));
        this.#options.onEvent(name, 'exited with a configuration error: not restarting');
        return;
      }
      this.#readyWaiters.push(...waiters);
      const ranMs = Date.now() - this.#startedAtMs;
      if (ranMs > 60_000) this.#delayMs = this.#options.restartDelayMs?.initial ?? 1000;
      this.restarts++;
      this.#options.onEvent(
        name,
        `exited (code ${code ?? 'none'}, signal ${signal ?? 'none'}): restarting in ${this.#delayMs} ms`,
      );
      this.#restartTimer = setTimeout(() => this.#spawn(), this.#delayMs);
      this.#delayMs = Math.min(this.#delayMs * 2, this.#options.restartDelayMs?.max ?? 30_000);
    });
  }
}
