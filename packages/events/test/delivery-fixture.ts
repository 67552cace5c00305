import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { Redis } from 'ioredis';
import { OutboundHttp, OutboundPolicy } from '@voicebridge/outbound';
import { SecretEnvAllowList } from '@voicebridge/protocol';
import { Registry } from '@voicebridge/metrics';
import { CallEventDeadLetters, RedisKeys } from '@voicebridge/store';
import { CallEventMetrics, CallEventPublisher, CallEventWorker } from '../src/index.ts';

export const TEST_REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  atMs: number;
}

/** A receiver on a free loopback port; `reply` decides each answer (status, headers, or silence). */
export class Receiver {
  readonly received: Received[] = [];
  reply: (request: Received) => { status: number; headers?: Record<string, string> } | 'hang' = () => ({
    status: 204,
  });
  readonly #server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const got = {
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
        atMs: Date.now(),
      };
      this.received.push(got);
      const answer = this.reply(got);
      if (answer === 'hang') return;
      res.writeHead(answer.status, answer.headers).end();
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}

export const secretOf = (): string => `whsec_${randomBytes(32).toString('base64')}`;

/** A publisher and a worker on a fresh prefix of the shared Redis, torn down by `close`. */
export class DeliveryRig {
  readonly keys = new RedisKeys(`vbtest:${randomBytes(6).toString('hex')}`);
  readonly redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  readonly blocking = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  readonly registry = new Registry();
  readonly deadLetters = new CallEventDeadLetters(this.redis, this.keys, { ttlSeconds: 600 });
  readonly outbound = new OutboundHttp({ policy: new OutboundPolicy({ denyCidrs: [] }) });
  readonly publisher: CallEventPublisher;
  readonly worker: CallEventWorker;

  constructor(env: Record<string, string>, options: { attempts: number; backoffMs: number }) {
    const log = pino({ level: 'silent' });
    const bullPrefix = `${this.keys.prefix}:bull`;
    this.publisher = new CallEventPublisher({
      redis: this.redis,
      keys: this.keys,
      bullPrefix,
      ttlSeconds: 600,
      ...options,
      log,
    });
    this.worker = new CallEventWorker({
      connection: this.blocking,
      bullPrefix,
      concurrency: 4,
      outbound: this.outbound,
      secrets: { env, secretEnv: SecretEnvAllowList.default() },
      deadLetters: this.deadLetters,
      metrics: new CallEventMetrics(this.registry),
      log,
    });
  }

  async counter(name: string, labels: Record<string, string> = {}): Promise<number> {
    const metric = await this.registry.getSingleMetric(name)?.get();
    return (metric?.values ?? [])
      .filter((v) => Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l))
      .reduce((sum, v) => sum + v.value, 0);
  }

  async close(): Promise<void> {
    await this.worker.close();
    await this.publisher.close();
    this.outbound.close();
    let cursor = '0';
    do {
      const [next, batch] = await this.redis.scan(cursor, 'MATCH', this.keys.pattern(), 'COUNT', 500);
      if (batch.length > 0) await this.redis.del(...batch);
      cursor = next;
    } while (cursor !== '0');
    await Promise.allSettled([this.redis.quit(), this.blocking.quit()]);
  }
}
