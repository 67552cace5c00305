import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import {
  MediaRequestSchema,
  VoicebridgeError,
  type MediaEvent,
  type MediaRequest,
  type MediaResponse,
} from '@voicebridge/protocol';
import type { Logger } from 'pino';
import type { MediaWorker } from './media-worker.ts';

const MAX_LINE_BYTES = 64 * 1024;

export interface MediaControlServerOptions {
  worker: MediaWorker;
  host: string;
  port: number;
  log: Logger;
  /** This worker's node (NODE_ID), said in the `hello` that opens every control connection. */
  nodeId?: string;
  /**
   * With no signaling connected for this long, every call is ended (signaling, which would BYE
   * them, is gone; a restarted one closes their records). Default 5 s.
   */
  orphanGraceMs?: number;
}

/**
 * The media side of the signaling ↔ media control interface: newline-delimited JSON over TCP.
 * Every request gets exactly one response; events go to every connected controller.
 */
export class MediaControlServer {
  readonly #options: MediaControlServerOptions;
  readonly #server: Server;
  readonly #connections = new Set<Socket>();
  #orphanTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: MediaControlServerOptions) {
    this.#options = options;
    this.#server = createServer((socket) => this.#accept(socket));
  }

  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#options.port, this.#options.host, () => {
        this.#server.off('error', reject);
        resolve(this.#server.address() as AddressInfo);
      });
    });
  }

  broadcast(event: MediaEvent): void {
    const line = `${JSON.stringify(event)}\n`;
    for (const socket of this.#connections) socket.write(line);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#orphanTimer);
    this.#orphanTimer = undefined;
    for (const socket of this.#connections) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(socket: Socket): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    this.#connections.add(socket);
    clearTimeout(this.#orphanTimer);
    this.#orphanTimer = undefined;
    socket.setNoDelay(true);
    let pending = '';
    socket.setEncoding('utf8');
    if (this.#options.nodeId !== undefined) {
      const hello: MediaEvent = { event: 'hello', nodeId: this.#options.nodeId };
      socket.write(`${JSON.stringify(hello)}\n`);
    }
    socket.on('data', (chunk: string) => {
      pending += chunk;
      for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line.trim() !== '') this.#handleLine(socket, line);
      }
      if (pending.length > MAX_LINE_BYTES) {
        this.#options.log.warn('media control line too long: connection closed');
        socket.destroy();
      }
    });
    socket.on('error', (error) => this.#options.log.warn({ err: error }, 'media control connection error'));
    socket.on('close', () => {
      this.#connections.delete(socket);
      if (this.#connections.size > 0 || this.#closed || this.#options.worker.callCount === 0) return;
      const graceMs = this.#options.orphanGraceMs ?? 5000;
      this.#orphanTimer = setTimeout(() => {
        this.#orphanTimer = undefined;
        if (this.#connections.size > 0) return;
        this.#options.log.warn({ calls: this.#options.worker.callCount }, 'no signaling connected: ending its calls');
        this.#options.worker.closeAll('bridge-restart');
      }, graceMs);
    });
  }

  #handleLine(socket: Socket, line: string): void {
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      this.#reply(socket, { id: -1, ok: false, error: { code: 'VB_BAD_MESSAGE', message: 'not JSON' } });
      return;
    }
    const parsed = MediaRequestSchema.safeParse(json);
    if (!parsed.success) {
      const id = typeof (json as { id?: unknown })?.id === 'number' ? (json as { id: number }).id : -1;
      this.#reply(socket, {
        id,
        ok: false,
        error: { code: 'VB_BAD_MESSAGE', message: parsed.error.message.slice(0, 500) },
      });
      return;
    }
    this.#dispatch(parsed.data).then(
      (result) => this.#reply(socket, { id: parsed.data.id, ok: true, result }),
      (error: unknown) => {
        const code = error instanceof VoicebridgeError ? error.code : 'VB_BAD_MESSAGE';
        const message = error instanceof Error ? error.message : String(error);
        this.#reply(socket, { id: parsed.data.id, ok: false, error: { code, message } });
      },
    );
  }

  async #dispatch(request: MediaRequest): Promise<unknown> {
    const worker = this.#options.worker;
    switch (request.method) {
      case 'allocate':
        return worker.allocate(request.params);
      case 'start':
        worker.start(request.params.callId, request.params.answeredAtMs);
        return {};
      case 'update':
        worker.update(request.params);
        return {};
      case 'dtmf':
        worker.dtmf(request.params);
        return {};
      case 'send-dtmf':
        worker.sendDtmf(request.params);
        return {};
      case 'close':
        return worker.closeCall(request.params.callId, request.params.reason);
      case 'heartbeat':
        return { calls: worker.callCount };
      case 'transfer-progress':
        worker.transferProgress(request.params);
        return {};
    }
  }

  #reply(socket: Socket, response: MediaResponse): void {
    if (!socket.destroyed) socket.write(`${JSON.stringify(response)}\n`);
  }
}
