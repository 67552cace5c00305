import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import { advertisedSipAddress, parseCidr, type BridgeConfig, type Cidr } from '@voicebridge/protocol';
import { SipStack, type Endpoint } from '@voicebridge/sip';
import { CallRecordRepository, NumberRepository, RedisKeys } from '@voicebridge/store';
import type { Logger } from 'pino';
import { AgentDispatcher } from './agent-dispatcher.ts';
import { CallManager } from './call-manager.ts';
import { DEMO_NUMBERS } from './demo-numbers.ts';
import { MediaControlClient } from './media-control-client.ts';
import { closeOrphanCalls } from './orphan-calls.ts';
import { TcpSipTransport } from './tcp-transport.ts';
import { UdpSipTransport } from './udp-transport.ts';

export interface SignalingServiceOptions {
  config: BridgeConfig;
  log: Logger;
  /** Commands (numbers, records, the queue). Borrowed. */
  redis: Redis;
  /** A second connection for BullMQ's blocking QueueEvents reads. Borrowed. */
  eventsRedis: Redis;
  userAgent?: string;
}

/**
 * The SIP signaling service: a UDP transport, the SIP core, the call manager, and its clients to
 * the media worker and the agent queue. Owns all of them; close() shuts down in the documented order.
 */
export class SignalingService {
  readonly stack: SipStack;
  readonly calls: CallManager;
  readonly media: MediaControlClient;
  readonly #transport: UdpSipTransport | undefined;
  readonly #tcp: TcpSipTransport | undefined;
  readonly #dispatcher: AgentDispatcher;
  readonly #options: SignalingServiceOptions;
  #address: AddressInfo | undefined;
  #closing: Promise<void> | undefined;

  private constructor(options: SignalingServiceOptions) {
    this.#options = options;
    const { config, log } = options;
    const keys = new RedisKeys(config.REDIS_KEY_PREFIX);
    const advertised = advertisedSipAddress(config);
    const allowed = config.SIP_ALLOWED_CIDRS.split(',').map((c) => parseCidr(c.trim()) as Cidr);
    const transports = new Set(config.SIP_TRANSPORTS.split(',').map((t) => t.trim()));
    const listener = {
      bindAddress: config.SIP_BIND_ADDRESS,
      port: config.SIP_PORT,
      allowed,
      log,
      onMessage: (data: Buffer, source: Endpoint) => this.stack.receive(data, source),
    };
    this.#transport = transports.has('udp') ? new UdpSipTransport(listener) : undefined;
    this.#tcp = transports.has('tcp') ? new TcpSipTransport(listener) : undefined;
    this.#dispatcher = new AgentDispatcher({
      connection: options.redis,
      eventsConnection: options.eventsRedis,
      prefix: `${config.REDIS_KEY_PREFIX}:bull`,
    });
    this.media = new MediaControlClient({
      host: config.MEDIA_CONTROL_HOST,
      port: config.MEDIA_CONTROL_PORT,
      log,
      onEvent: (event) => this.calls.onMediaEvent(event),
      onLost: () => this.calls.onMediaLost(),
    });
    this.stack = new SipStack({
      send: (data, to) => (to.transport === 'tcp' ? this.#tcp : this.#transport)?.send(data, to),
      handler: { onInvite: (tx) => this.calls.onInvite(tx), onRequest: (request, tx) => this.calls.onRequest(request, tx) },
      advertised: { host: advertised, port: config.SIP_PORT },
      userAgent: options.userAgent ?? 'voicebridge/0.1',
      log,
    });
    this.calls = new CallManager({
      stack: this.stack,
      media: this.media,
      dispatcher: this.#dispatcher,
      numbers: new NumberRepository(options.redis, keys),
      records: new CallRecordRepository(options.redis, keys, { ttlSeconds: config.CALL_RECORD_TTL_S }),
      advertisedAddress: advertised,
      sipPort: config.SIP_PORT,
      answerTimeoutMs: config.ANSWER_TIMEOUT_MS,
      log,
    });
  }

  static async start(options: SignalingServiceOptions): Promise<SignalingService> {
    const service = new SignalingService(options);
    try {
      if (options.config.SEED_DEMO_NUMBERS) {
        await new NumberRepository(options.redis, new RedisKeys(options.config.REDIS_KEY_PREFIX)).ensureDefaults(DEMO_NUMBERS);
      }
      const keys = new RedisKeys(options.config.REDIS_KEY_PREFIX);
      await closeOrphanCalls(new CallRecordRepository(options.redis, keys, { ttlSeconds: options.config.CALL_RECORD_TTL_S }), options.log);
      await service.#dispatcher.ready();
      const udp = await service.#transport?.listen();
      const tcp = await service.#tcp?.listen();
      service.#address = udp ?? tcp;
    } catch (error) {
      await service.close();
      throw error;
    }
    return service;
  }

  get address(): AddressInfo {
    if (!this.#address) throw new Error('signaling is not listening');
    return this.#address;
  }

  /**
   * Shutdown (docs/operations.md): OPTIONS and new INVITEs get 503, live calls go on up to
   * DRAIN_TIMEOUT_MS, stragglers get BYE with verdict `drain`, then everything closes.
   */
  close(drainTimeoutMs = this.#options.config.DRAIN_TIMEOUT_MS): Promise<void> {
    this.#closing ??= (async () => {
      await this.calls.drain(drainTimeoutMs);
      await this.calls.close();
      this.stack.close();
      await this.#transport?.close();
      await this.#tcp?.close();
      this.media.close();
      await this.#dispatcher.close();
    })();
    return this.#closing;
  }
}
