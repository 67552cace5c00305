import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * A benchmark child process answering one reply per command over IPC, in order. `file` is resolved
 * against this folder, so a bench elsewhere passes an absolute file URL. A reply `{type: 'error'}`
 * is printed (and still answers the request it came for).
 */
export class BenchChild<Command extends { type: string }> {
  readonly process: ChildProcess;
  readonly #file: string;
  #waiters: ((message: { type: string }) => void)[] = [];

  constructor(file: string) {
    this.#file = file;
    // VB_BENCH_PROFILE_DIR: each child writes a V8 CPU profile there (open in Chrome DevTools).
    const profile = process.env.VB_BENCH_PROFILE_DIR
      ? ['--cpu-prof', `--cpu-prof-dir=${process.env.VB_BENCH_PROFILE_DIR}`]
      : [];
    // VB_BENCH_NODE_ARGS: more node/V8 flags for the children, e.g. "--trace-gc --trace-gc-nvp".
    const extra = process.env.VB_BENCH_NODE_ARGS?.split(' ').filter((arg) => arg !== '') ?? [];
    this.process = fork(fileURLToPath(new URL(file, import.meta.url)), [], {
      execArgv: ['--import', 'tsx', ...profile, ...extra],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    this.process.on('message', (message: { type: string; message?: string }) => {
      if (message.type === 'error') console.error(`  ${file}: ${message.message}`);
      this.#waiters.shift()?.(message);
    });
  }

  request<T>(command: Command | { type: 'exit' }): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.#file} ${command.type}: no answer in 120 s`)), 120_000);
      this.#waiters.push((message) => {
        clearTimeout(timer);
        resolve(message as T);
      });
      this.process.send(command);
    });
  }

  async exit(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.process.once('exit', () => resolve()));
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    // The child may exit before its last IPC message is read: either ends the wait.
    await Promise.race([this.request({ type: 'exit' }).catch(() => undefined), exited]);
    const timer = setTimeout(() => this.process.kill(), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
