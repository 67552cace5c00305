import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NgClient } from './ng-client.ts';

/** The rtpengine binary on PATH (Debian's rtpengine-daemon installs /usr/bin/rtpengine), or undefined. */
export function findRtpengine(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'rtpengine');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

export interface RtpengineOptions {
  binary: string;
  ngPort: number;
  portMin: number;
  portMax: number;
}

/**
 * Our own rtpengine for the side-by-side benchmark: userspace forwarding only (`table = -1`, no
 * kernel module), loopback only, its config, pid file and logs in a temp dir, started in the
 * foreground so it is our child and ends with us. Never the system's service (/etc/rtpengine is
 * not read: the config file is passed). `close()` is idempotent and removes the temp dir.
 */
export class RtpengineDaemon {
  readonly process: ChildProcess;
  readonly ng: NgClient;
  readonly #dir: string;
  #stderr = '';
  #closed = false;

  private constructor(child: ChildProcess, ng: NgClient, dir: string) {
    this.process = child;
    this.ng = ng;
    this.#dir = dir;
    child.stderr?.on('data', (chunk: Buffer) => {
      // The last few KiB only: enough to say why it stopped.
      this.#stderr = (this.#stderr + chunk.toString('utf8')).slice(-4096);
    });
  }

  static async start(options: RtpengineOptions): Promise<RtpengineDaemon> {
    const dir = mkdtempSync(join(tmpdir(), 'vb-rtpengine-'));
    const config = join(dir, 'rtpengine.conf');
    writeFileSync(
      config,
      [
        '[rtpengine]',
        'table = -1',
        'interface = 127.0.0.1',
        `listen-ng = 127.0.0.1:${options.ngPort}`,
        `port-min = ${options.portMin}`,
        `port-max = ${options.portMax}`,
        'foreground = true',
        'log-stderr = true',
        // Warnings and worse: a log line per packet or per call would be measured as its cost.
        'log-level = 4',
        'delete-delay = 0',
        'timeout = 120',
        `pidfile = ${join(dir, 'rtpengine.pid')}`,
        '',
      ].join('\n'),
    );
    const child = spawn(options.binary, [`--config-file=${config}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    const ng = await NgClient.open(options.ngPort);
    const daemon = new RtpengineDaemon(child, ng, dir);
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) =>
        reject(new Error(`rtpengine exited (${signal ?? code}) before answering ping: ${daemon.#stderr.trim()}`)),
      ),
    );
    exited.catch(() => undefined);
    try {
      // Bounded: 20 pings, each resent by the client until it is answered or gives up.
      for (let attempt = 1; ; attempt++) {
        try {
          const reply = await Promise.race([ng.request('ping'), exited]);
          if (reply.result === 'pong') break;
        } catch (error) {
          if (attempt >= 20 || child.exitCode !== null || child.signalCode !== null) throw error;
          await sleep(100);
        }
      }
    } catch (error) {
      await daemon.close();
      throw error;
    }
    return daemon;
  }

  /** What rtpengine wrote to stderr lately (warnings and errors). */
  get stderr(): string {
    return this.#stderr;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.ng.close();
    if (this.process.exitCode === null && this.process.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.process.once('exit', () => resolve()));
      this.process.kill('SIGTERM');
      const timer = setTimeout(() => this.process.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
