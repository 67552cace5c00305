import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { WebSocket } from 'ws';

/**
 * A bridge process's `heapUsed` after a full garbage collection, asked through its V8 inspector
 * (the benchmark starts the bridge with NODE_OPTIONS=--inspect=127.0.0.1:0, so each process listens
 * on a port of its own; nothing in the product changes). The `/metrics` heap gauge is sampled at
 * whatever moment the scrape lands, garbage included; only a collection forced just before reading
 * says what the calls really hold. The collection pauses that process: ask only outside a measured window.
 */
export async function heapUsedAfterGc(pid: number, timeoutMs = 10_000): Promise<number> {
  for (const port of listeningPorts(pid)) {
    const targets = await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(2000) })
      .then((response) => response.json() as Promise<{ webSocketDebuggerUrl?: string }[]>)
      .catch(() => []);
    const url = targets.find((t) => t.webSocketDebuggerUrl)?.webSocketDebuggerUrl;
    if (url) return ask(url, timeoutMs);
  }
  throw new Error(`no inspector listening in process ${pid} (started without --inspect?)`);
}

async function ask(url: string, timeoutMs: number): Promise<number> {
  const socket = new WebSocket(url, { perMessageDeflate: false });
  const timer = setTimeout(() => socket.terminate(), timeoutMs);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
      socket.once('close', () => reject(new Error(`inspector ${url} closed before answering`)));
    });
    const pending = new Map<number, (result: Record<string, unknown>) => void>();
    socket.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString('utf8')) as { id?: number; result?: Record<string, unknown> };
      if (message.id !== undefined) pending.get(message.id)?.(message.result ?? {});
    });
    let id = 0;
    const call = (method: string): Promise<Record<string, unknown>> =>
      new Promise((resolve) => {
        pending.set(++id, resolve);
        socket.send(JSON.stringify({ id, method }));
      });
    await call('HeapProfiler.collectGarbage');
    const usage = await call('Runtime.getHeapUsage');
    if (typeof usage['usedSize'] !== 'number') throw new Error(`inspector answered ${JSON.stringify(usage)}`);
    return usage['usedSize'];
  } finally {
    clearTimeout(timer);
    socket.terminate();
  }
}

/** TCP ports a process listens on, from its descriptors' socket inodes and /proc/net/tcp{,6}. */
export function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match?.[1]) inodes.add(match[1]);
    } catch {
      // A descriptor closed while we read the directory.
    }
  }
  const ports: number[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const [local, state, inode] = [cols[1], cols[3], cols[9]];
      if (state === '0A' && local && inode && inodes.has(inode))
        ports.push(parseInt(local.slice(local.lastIndexOf(':') + 1), 16));
    }
  }
  return ports;
}
