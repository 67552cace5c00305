import { createRequire } from 'node:module';
import { WebSocket } from 'ws';
import { listeningPorts } from './inspector-heap.ts';
import { STAMP_MAGIC } from './realtime-stamp.ts';

/**
 * Timestamps taken inside the bridge's own processes, for the realtime latency bench, with nothing
 * in the product changed: the bench starts the bridge with NODE_OPTIONS=--inspect=127.0.0.1:0, and
 * through each process's V8 inspector installs a probe (Runtime.evaluate, whose command-line API
 * has `require`) that wraps a prototype method and notes (stamp id, monotonic µs) of each stamped
 * frame (realtime-stamp.ts) passing there:
 *
 *   media  `dgram.Socket#emit('message')` → `in`:  a caller's RTP packet handed to media's handler;
 *          `dgram.Socket#send`             → `out`: an RTP packet to a caller, at the send call;
 *   agent  `ws.WebSocket#send`             → `out`: an `input_audio_buffer.append` to the model;
 *          `ws.WebSocket#emit('message')`  → `in`:  a `response.output_audio.delta` from the model,
 *                                                   before the agent's own listener parses it.
 *
 * Each wrapper costs a few byte comparisons per packet (and a 16-character base64 decode per
 * stamped message); the samples go to preallocated Float64Arrays, bounded by `cap`.
 */
export type ProbeRole = 'media' | 'agent';

export interface ProbeSeries {
  /** Stamp ids and monotonic µs, index for index. */
  ids: Float64Array;
  atUs: Float64Array;
  /** Stamped frames that came after the arrays were full. */
  overflow: number;
}

export interface ProbeReport {
  in: ProbeSeries;
  out: ProbeSeries;
}

interface ProbeOptions {
  cap: number;
  magic: readonly number[];
  wsPath: string;
}

/** The probe, run inside the bridge process: plain JavaScript once tsx compiled it, no imports. */
function install(req: (id: string) => unknown, role: ProbeRole, o: ProbeOptions): string {
  type Series = { ids: Float64Array; at: Float64Array; n: number; overflow: number };
  const series = (): Series => ({ ids: new Float64Array(o.cap), at: new Float64Array(o.cap), n: 0, overflow: 0 });
  const state = { on: false, in: series(), out: series(), role };
  (globalThis as Record<string, unknown>)['__vbRealtimeProbe'] = state;
  const now = (): number => {
    const [s, ns] = process.hrtime();
    return s * 1e6 + ns / 1e3;
  };
  const note = (s: Series, id: number): void => {
    if (id < 0) return;
    if (s.n === o.cap) {
      s.overflow++;
      return;
    }
    s.ids[s.n] = id;
    s.at[s.n++] = now();
  };
  const stampAt = (b: Uint8Array, at: number): number => {
    if (b.length < at + 12) return -1;
    for (let i = 0; i < 4; i++) if (b[at + i] !== o.magic[i]) return -1;
    let id = 0;
    for (let i = 0; i < 8; i++) {
      const code = b[at + 4 + i] as number;
      if ((code & 0xf0) !== 0xf0) return -1;
      id = id * 16 + (code & 0xf);
    }
    return id;
  };
  const fromBase64 = (text: string, at: number): number => {
    return stampAt(Buffer.from(text.slice(at, at + 16), 'base64'), 0);
  };
  const rtpPayload = (b: Uint8Array, from: number): number => from + 12 + 4 * ((b[from] as number) & 0x0f);
  type Method = (this: unknown, ...args: unknown[]) => unknown;
  if (role === 'media') {
    const proto = (req('node:dgram') as { Socket: { prototype: Record<string, Method> } }).Socket.prototype;
    const emit = proto['emit'] as Method;
    const send = proto['send'] as Method;
    proto['emit'] = function (this: unknown, ...args: unknown[]) {
      const packet = args[1];
      if (state.on && args[0] === 'message' && packet instanceof Uint8Array)
        note(state.in, stampAt(packet, rtpPayload(packet, 0)));
      return emit.apply(this, args);
    };
    proto['send'] = function (this: unknown, ...args: unknown[]) {
      const packet = args[0];
      // send(buffer, port, address, callback) for a whole packet, send(buffer, offset, length, port, …) for a part.
      if (state.on && packet instanceof Uint8Array) {
        const from = typeof args[1] === 'number' && typeof args[2] === 'number' ? args[1] : 0;
        note(state.out, stampAt(packet, rtpPayload(packet, from)));
      }
      return send.apply(this, args);
    };
  } else {
    const proto = (req(o.wsPath) as { prototype: Record<string, Method> }).prototype;
    const emit = proto['emit'] as Method;
    const send = proto['send'] as Method;
    const append = '{"type":"input_audio_buffer.append","audio":"';
    const delta = '"delta":"';
    proto['send'] = function (this: unknown, ...args: unknown[]) {
      const data = args[0];
      if (state.on && typeof data === 'string' && data.startsWith(append))
        note(state.out, fromBase64(data, append.length));
      return send.apply(this, args);
    };
    proto['emit'] = function (this: unknown, ...args: unknown[]) {
      const data = args[1];
      if (state.on && args[0] === 'message' && data instanceof Uint8Array) {
        const text = (data as Buffer).toString('latin1');
        const at = text.includes('"response.output_audio.delta"') ? text.indexOf(delta) : -1;
        if (at >= 0) note(state.in, fromBase64(text, at + delta.length));
      }
      return emit.apply(this, args);
    };
  }
  return `probe installed (${role}, ${o.cap} samples per series)`;
}

/** Starts (emptying the series) or stops the recording of an installed probe. */
function arm(on: boolean): boolean {
  const state = (globalThis as Record<string, unknown>)['__vbRealtimeProbe'] as
    { on: boolean; in: { n: number; overflow: number }; out: { n: number; overflow: number } } | undefined;
  if (!state) return false;
  if (on) state.in.n = state.out.n = state.in.overflow = state.out.overflow = 0;
  state.on = on;
  return true;
}

/** The recorded series as base64 Float64Array bytes (one string: the inspector returns it by value). */
function collect(): string {
  type Series = { ids: Float64Array; at: Float64Array; n: number; overflow: number };
  const state = (globalThis as Record<string, unknown>)['__vbRealtimeProbe'] as { in: Series; out: Series } | undefined;
  if (!state) return '';
  const pack = (s: Series) => ({
    ids: Buffer.from(s.ids.buffer, 0, s.n * 8).toString('base64'),
    at: Buffer.from(s.at.buffer, 0, s.n * 8).toString('base64'),
    overflow: s.overflow,
  });
  return JSON.stringify({ in: pack(state.in), out: pack(state.out) });
}

/** One bridge process's inspector, driven by expressions. */
export class ProcessProbe {
  readonly pid: number;
  readonly role: ProbeRole;

  constructor(pid: number, role: ProbeRole) {
    this.pid = pid;
    this.role = role;
  }

  async install(cap: number): Promise<string> {
    // The `ws` the agent imports (pnpm resolves it per package): its prototype is the one to wrap.
    const wsPath = createRequire(new URL('../../packages/agent/package.json', import.meta.url)).resolve('ws');
    const options: ProbeOptions = { cap, magic: [...STAMP_MAGIC], wsPath };
    return String(await this.#call(install, `require, ${JSON.stringify(this.role)}, ${JSON.stringify(options)}`));
  }

  async arm(on: boolean): Promise<void> {
    if ((await this.#call(arm, String(on))) !== true) throw new Error(`no probe in ${this.role} (${this.pid})`);
  }

  async collect(): Promise<ProbeReport> {
    const raw = (await this.#call(collect, '')) as string;
    if (raw === '') throw new Error(`no probe in ${this.role} (${this.pid})`);
    const parsed = JSON.parse(raw) as Record<'in' | 'out', { ids: string; at: string; overflow: number }>;
    const unpack = (s: { ids: string; at: string; overflow: number }): ProbeSeries => ({
      ids: floats(s.ids),
      atUs: floats(s.at),
      overflow: s.overflow,
    });
    return { in: unpack(parsed.in), out: unpack(parsed.out) };
  }

  /** Runs `fn(args)` in the process; esbuild's `__name` helper (kept names) is given a stand-in there. */
  async #call(fn: (...args: never[]) => unknown, args: string): Promise<unknown> {
    const expression = `(() => { const __name = (f) => f; return (${fn.toString()})(${args}); })()`;
    return evaluate(await inspectorUrl(this.pid), expression);
  }
}

function floats(base64: string): Float64Array {
  const bytes = Buffer.from(base64, 'base64');
  const out = new Float64Array(bytes.length / 8);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

async function evaluate(url: string, expression: string, timeoutMs = 20_000): Promise<unknown> {
  const socket = new WebSocket(url, { perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 });
  const timer = setTimeout(() => socket.terminate(), timeoutMs);
  try {
    return await new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.once('close', () => reject(new Error(`inspector ${url} closed before answering`)));
      socket.on('message', (data: Buffer) => {
        const message = JSON.parse(data.toString('utf8')) as {
          id?: number;
          result?: { result?: { value?: unknown }; exceptionDetails?: { exception?: { description?: string } } };
        };
        if (message.id !== 1) return;
        const failed = message.result?.exceptionDetails;
        if (failed) reject(new Error(`probe failed: ${failed.exception?.description ?? JSON.stringify(failed)}`));
        else resolve(message.result?.result?.value);
      });
      socket.once('open', () =>
        socket.send(
          JSON.stringify({
            id: 1,
            method: 'Runtime.evaluate',
            params: { expression, includeCommandLineAPI: true, returnByValue: true },
          }),
        ),
      );
    });
  } finally {
    clearTimeout(timer);
    socket.terminate();
  }
}

/** The process's inspector WebSocket URL (it listens on a port of its own: --inspect=127.0.0.1:0). */
async function inspectorUrl(pid: number): Promise<string> {
  for (const port of listeningPorts(pid)) {
    const targets = await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(2000) })
      .then((response) => response.json() as Promise<{ webSocketDebuggerUrl?: string }[]>)
      .catch(() => []);
    const url = targets.find((t) => t.webSocketDebuggerUrl)?.webSocketDebuggerUrl;
    if (url) return url;
  }
  throw new Error(`no inspector listening in process ${pid} (started without --inspect?)`);
}
