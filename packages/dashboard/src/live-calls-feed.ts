import { PassThrough } from 'node:stream';
import { HttpError, type HttpServer } from '@voicebridge/http';
import type { CallRecord } from '@voicebridge/protocol';
import type { CallRecordRepository } from '@voicebridge/store';

export interface LiveCallsFeedOptions {
  /** Reads the live-calls set (on a borrowed connection, never closed here). */
  records: CallRecordRepository;
  /** How often the live calls are read while someone watches. Default 1000 ms. */
  intervalMs?: number;
  /** A comment line keeps proxies from closing an idle stream. Default 15 s. */
  heartbeatMs?: number;
  /** Streams open at once; more are refused with 429. Default 50. */
  maxSubscribers?: number;
  /** Calls per snapshot. Default 100. */
  maxCalls?: number;
  onError?: (error: unknown) => void;
}

/** What the live view shows of a call: no transcript, no SIP dialog. */
export type LiveCall = Pick<
  CallRecord,
  'callId' | 'from' | 'fromName' | 'to' | 'number' | 'status' | 'invitedAtMs' | 'answeredAtMs' | 'trunk' | 'agent'
>;

function summary(record: CallRecord): LiveCall {
  const { callId, from, fromName, to, number, status, invitedAtMs, answeredAtMs, trunk, agent } = record;
  return { callId, from, fromName, to, number, status, invitedAtMs, answeredAtMs, trunk, agent };
}

/**
 * Server-sent events (HTML Living Standard §9.2) of the calls not ended yet: a `calls` event with the
 * whole list on connect and whenever it changes. The list comes from the live-calls set read once per
 * interval however many watch, and only while someone does: one read per second costs one ZRANGE
 * and a pipeline of HGETALLs per 100 calls, where pushing every record write would need a channel
 * that every writer publishes to. One owner of every stream: `close()` ends them all, so the HTTP server's
 * close is not held open by a watcher.
 */
export class LiveCallsFeed {
  readonly #options: LiveCallsFeedOptions;
  readonly #streams = new Set<PassThrough>();
  #poll: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #last = '';
  #reading = false;
  #closed = false;

  constructor(options: LiveCallsFeedOptions) {
    this.#options = options;
  }

  get watchers(): number {
    return this.#streams.size;
  }

  /** A new event stream; `onGone` (the client left) ends it. */
  subscribe(): { stream: PassThrough; end: () => void } {
    if (this.#closed) throw new HttpError('VB_CLOSED', 'the node is shutting down');
    if (this.#streams.size >= (this.#options.maxSubscribers ?? 50)) {
      throw new HttpError('VB_RATE_LIMITED', 'too many live views open on this node; close one and retry');
    }
    const stream = new PassThrough();
    this.#streams.add(stream);
    // The retry hint makes EventSource-like clients back off a little after a disconnect.
    stream.write('retry: 2000\n\n');
    if (this.#last !== '') stream.write(this.#last);
    this.#start();
    void this.#read();
    const end = (): void => {
      if (!this.#streams.delete(stream)) return;
      stream.end();
      if (this.#streams.size === 0) this.#stop();
    };
    return { stream, end };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stop();
    for (const stream of this.#streams) stream.end();
    this.#streams.clear();
  }

  #start(): void {
    this.#poll ??= setInterval(() => void this.#read(), this.#options.intervalMs ?? 1000);
    this.#heartbeat ??= setInterval(() => this.#broadcast(': keep-alive\n\n'), this.#options.heartbeatMs ?? 15_000);
  }

  #stop(): void {
    clearInterval(this.#poll);
    clearInterval(this.#heartbeat);
    this.#poll = undefined;
    this.#heartbeat = undefined;
    // A new first watcher gets a fresh snapshot, not one from before nobody watched.
    this.#last = '';
  }

  async #read(): Promise<void> {
    if (this.#reading || this.#closed) return;
    this.#reading = true;
    try {
      const live = await this.#options.records.listLive({ onCorrupt: (error) => this.#options.onError?.(error) });
      const calls = live.slice(0, this.#options.maxCalls ?? 100).map(summary);
      const event = `event: calls\ndata: ${JSON.stringify({ calls, atMs: Date.now() })}\n\n`;
      // Compared without the time, so an unchanged list is not sent again.
      const key = event.replace(/,"atMs":\d+\}/, '}');
      if (this.#streams.size > 0 && key !== this.#last.replace(/,"atMs":\d+\}/, '}')) {
        this.#last = event;
        this.#broadcast(event);
      }
    } catch (error) {
      this.#options.onError?.(error);
    } finally {
      this.#reading = false;
    }
  }

  #broadcast(text: string): void {
    for (const stream of this.#streams) stream.write(text);
  }
}

/** `GET /api/v1/live` (read realm): the feed as `text/event-stream`. */
export function addLiveCallsRoute(server: HttpServer, feed: LiveCallsFeed): void {
  server.add({
    method: 'GET',
    path: '/api/v1/live',
    realm: 'read',
    handler: (context) => {
      const { stream, end } = feed.subscribe();
      context.request.raw.once('close', end);
      return {
        headers: { 'cache-control': 'no-cache', 'x-accel-buffering': 'no' },
        bytes: stream,
        contentType: 'text/event-stream; charset=utf-8',
      };
    },
  });
}
