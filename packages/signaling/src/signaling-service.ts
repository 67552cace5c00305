import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import {
  advertisedSipAddress,
  fixedPorts,
  listenOnFixedPort,
  mediaControlEndpoints,
  nodeIdOf,
  parseCidr,
  parseCidrList,
  SecretEnvAllowList,
  type BridgeConfig,
  type DialOutcome,
  type DialRequest,
  type Cidr,
  type FixedPort,
  type NodeCommand,
} from '@voicebridge/protocol';
import { SipStack, type DigestAlgorithm, type Endpoint } from '@voicebridge/sip';
import {
  CallRecordRepository,
  NodeLease,
  NumberRepository,
  RedisKeys,
  TrunkRepository,
  SipTraceRepository,
  TrunkStatusRepository,
} from '@voicebridge/store';
import { closeSteps } from '@voicebridge/runtime';
import type { Logger } from 'pino';
import { AbuseGuard } from './admission/abuse-guard.ts';
import { AgentDispatcher } from './call/agent-dispatcher.ts';
import { CallEvents } from './call/call-events.ts';
import { AgentTransfers } from './call/agent-transfer.ts';
import { CallLimits } from './admission/call-limits.ts';
import { CallManager } from './call/call-manager.ts';
import { DEMO_NUMBERS } from './admission/demo-numbers.ts';
import { MediaPool } from './call/media-pool.ts';
import { bridgeMediaTargetPolicy } from './call/media-target.ts';
import { NodeCommands } from './call/node-commands.ts';
import { runNodeCommand } from './call/node-command-runner.ts';
import { SipTraceRecorder } from './call/sip-trace-recorder.ts';
import { endOrphanCalls } from './call/orphan-calls.ts';
import { sipParseLimits } from './transport/sip-limits.ts';
import { TcpSipTransport } from './transport/tcp-transport.ts';
import { TrunkDirectory } from './admission/trunk-directory.ts';
import { InboundDigest } from './admission/inbound-digest.ts';
import { RegistrationManager } from './registration/registration-manager.ts';
import { readTlsFiles } from './transport/tls-files.ts';
import { TlsSipTransport } from './transport/tls-transport.ts';
import { UdpSipTransport } from './transport/udp-transport.ts';
import { EarlyMessages } from './transport/early-messages.ts';
import { SignalingMetrics } from './signaling-metrics.ts';
import type { Registry } from '@voicebridge/metrics';
import type { DialHooks, OutboundTarget } from './outbound/dial-request.ts';
import { trunkTarget, type SecretReader } from './outbound/trunk-target.ts';
import { SipResolver } from './registration/sip-resolver.ts';

export interface SignalingServiceOptions {
  config: BridgeConfig;
  log: Logger;
  /** Commands (numbers, records, the queue). Borrowed. */
  redis: Redis;
  /** A second connection for BullMQ's blocking QueueEvents reads. Borrowed. */
  eventsRedis: Redis;
  userAgent?: string;
  /** How often trunks are re-read from Redis; default 1000 ms. */
  trunkRefreshMs?: number;
  /** How long start() waits for a first media worker before listening anyway (calls get 503 until one connects); default 5000 ms. */
  mediaWaitMs?: number;
  /** This host's name in the node lease; default `os.hostname()` (tests pose as another host). */
  host?: string;
  /** The process's metrics registry; a private one when absent (tests). */
  metrics?: Registry;
  /** Reads a secret variable by name (trunks' outbound passwords); main.ts passes process.env's. */
  readSecret?: (name: string) => string | undefined;
}

/** Every address: the transports pass everything to the AbuseGuard, which decides per message. */
const ANY_SOURCE: readonly Cidr[] = [parseCidr('0.0.0.0/0') as Cidr, parseCidr('::/0') as Cidr];

/**
 * The SIP signaling service: a UDP transport, the SIP core, the call manager, and its clients to
 * the media workers and the agent queue. Owns all of them; close() shuts down in the documented order.
 */
export class SignalingService {
  readonly stack: SipStack;
  readonly calls: CallManager;
  readonly media: MediaPool;
  readonly #transport: UdpSipTransport | undefined;
  readonly #tcp: TcpSipTransport | undefined;
  readonly #tls: TlsSipTransport | undefined;
  readonly #dispatcher: AgentDispatcher;
  readonly #events: CallEvents;
  /** Each call's SIP messages kept with its record (SIP_TRACE; undefined when off). */
  readonly #trace: SipTraceRecorder | undefined;
  /** What the API asks of this node's calls (hang-up), on its own subscriber connection. */
  readonly #commands: NodeCommands;
  /** Transfers the agents ask for (through media), checked against their number's transferTargets. */
  readonly #transfers: AgentTransfers;
  /** Runs a node command on a call live here (the supervisor asks over IPC, no Redis); false when none is. */
  readonly runLocalCommand: (command: NodeCommand) => boolean;
  readonly trunks: TrunkDirectory;
  readonly guard: AbuseGuard;
  readonly registrations: RegistrationManager;
  readonly #options: SignalingServiceOptions;
  readonly nodeId: string;
  readonly #lease: NodeLease;
  readonly #early = new EarlyMessages();
  #address: AddressInfo | undefined;
  #tlsAddress: AddressInfo | undefined;
  #closing: Promise<void> | undefined;
  /** RFC 3263 for outbound calls' next hop (a trunk's outbound URI or registrar). */
  readonly #resolver = new SipResolver();
  /** A trunk's outbound password, read by the variable it names (AGENT_SECRET_ENV allow-list). */
  readonly #secrets: SecretReader;

  private constructor(options: SignalingServiceOptions) {
    this.#options = options;
    const { config, log } = options;
    this.#secrets = {
      allowList: SecretEnvAllowList.parse(config.AGENT_SECRET_ENV),
      read: options.readSecret ?? (() => undefined),
    };
    const metrics = new SignalingMetrics(options.metrics, { activeCalls: () => this.calls.size });
    const keys = new RedisKeys(config.REDIS_KEY_PREFIX);
    const advertised = advertisedSipAddress(config);
    this.nodeId = nodeIdOf(config);
    this.#lease = new NodeLease({
      redis: options.redis,
      keys,
      nodeId: this.nodeId,
      ttlMs: config.NODE_LEASE_TTL_MS,
      host: options.host ?? hostname(),
      pid: process.pid,
      log,
    });
    this.trunks = new TrunkDirectory({
      trunks: new TrunkRepository(options.redis, keys),
      allowed: parseCidrList(config.SIP_ALLOWED_CIDRS),
      refreshMs: options.trunkRefreshMs ?? 1000,
      log,
    });
    this.guard = new AbuseGuard({
      directory: this.trunks,
      untrustedResponse: config.SIP_UNTRUSTED_RESPONSE,
      ratePerSecond: config.SIP_UNTRUSTED_RATE,
      burst: config.SIP_UNTRUSTED_BURST,
      banMs: config.SIP_BAN_TIME_S * 1000,
      log,
    });
    const transports = new Set(config.SIP_TRANSPORTS.split(',').map((t) => t.trim()));
    const listener = {
      bindAddress: config.SIP_BIND_ADDRESS,
      port: config.SIP_PORT,
      allowed: ANY_SOURCE,
      acceptsConnection: (address: string) => this.guard.acceptsConnection(address),
      log,
      onMessage: (data: Buffer, source: Endpoint) => {
        if (!this.#early.hold(data, source)) this.#deliver(data, source);
      },
    };
    const limits = sipParseLimits(config);
    // TLS streams are bounded exactly like TCP ones (the SIP_TCP_* limits cover both).
    const stream = {
      ...listener,
      limits,
      maxConnections: config.SIP_TCP_MAX_CONNECTIONS,
      maxBufferBytes: config.SIP_TCP_MAX_BUFFER_BYTES,
      idleTimeoutMs: config.SIP_TCP_IDLE_TIMEOUT_MS,
      messageTimeoutMs: config.SIP_TCP_MESSAGE_TIMEOUT_MS,
    };
    this.#transport = transports.has('udp') ? new UdpSipTransport(listener) : undefined;
    this.#tcp = transports.has('tcp') ? new TcpSipTransport(stream) : undefined;
    this.#tls = transports.has('tls')
      ? new TlsSipTransport({
          ...stream,
          port: config.SIP_TLS_PORT,
          ...readTlsFiles(config),
          verifyClient: config.SIP_TLS_VERIFY_CLIENT,
        })
      : undefined;
    this.#dispatcher = new AgentDispatcher({
      connection: options.redis,
      eventsConnection: options.eventsRedis,
      prefix: `${config.REDIS_KEY_PREFIX}:bull`,
      log,
    });
    this.media = new MediaPool({
      endpoints: mediaControlEndpoints(config),
      log,
      onEvent: (event) =>
        event.event === 'transfer' ? void this.#transfers.handle(event) : this.calls.onMediaEvent(event),
      onLost: (callIds) => this.calls.onMediaLost(callIds),
      // A hung (not dead) media worker: three unanswered heartbeats count as lost, so its calls end
      // (media-lost) instead of staying up without audio.
      client: { heartbeatIntervalMs: 1000, nodeId: this.nodeId },
    });
    this.stack = new SipStack({
      send: (data, to) => {
        this.#trace?.sent(data, to);
        (to.transport === 'tls' ? this.#tls : to.transport === 'tcp' ? this.#tcp : this.#transport)?.send(data, to);
      },
      handler: {
        onInvite: (tx) => this.calls.onInvite(tx),
        onRequest: (request, tx) => this.calls.onRequest(request, tx),
      },
      advertised: { host: advertised, port: config.SIP_PORT, tlsPort: config.SIP_TLS_PORT },
      limits,
      timers: { T1: config.SIP_T1_MS },
      forceRport: config.SIP_FORCE_RPORT,
      userAgent: options.userAgent ?? 'voicebridge/0.1',
      log,
      onResponse: (method, status) => metrics.responded(method, status),
    });
    this.registrations = new RegistrationManager({
      directory: this.trunks,
      status: new TrunkStatusRepository(options.redis, keys),
      stack: this.stack,
      contactHost: advertised,
      contactPort: (transport) => (transport === 'tls' ? config.SIP_TLS_PORT : config.SIP_PORT),
      sendKeepAlive: (to) => (to.transport === 'tls' ? this.#tls : this.#tcp)?.send(Buffer.from('\r\n\r\n'), to),
      log,
      keepAliveIntervalMs: config.SIP_REGISTER_KEEPALIVE_S * 1000,
    });
    this.#events = new CallEvents(config, options.redis, log);
    this.calls = new CallManager(
      {
        stack: this.stack,
        media: this.media,
        dispatcher: this.#dispatcher,
        numbers: new NumberRepository(options.redis, keys),
        records: new CallRecordRepository(options.redis, keys, { ttlSeconds: config.CALL_RECORD_TTL_S }),
        events: this.#events,
        nodeId: this.nodeId,
        advertisedAddress: advertised,
        sipPort: config.SIP_PORT,
        tlsPort: config.SIP_TLS_PORT,
        answerTimeoutMs: config.ANSWER_TIMEOUT_MS,
        mediaTargets: bridgeMediaTargetPolicy(config, advertised),
        sessionMinSeS: config.SESSION_MIN_SE_S,
        sessionExpiresS: config.SESSION_EXPIRES_S,
        log,
        metrics,
      },
      {
        directory: this.trunks,
        registrations: this.registrations,
        digest: new InboundDigest({
          directory: this.trunks,
          log,
          algorithms: config.SIP_DIGEST_ALGORITHMS.split(',').map((a) => a.trim() as DigestAlgorithm),
        }),
        limits: new CallLimits({ maxCalls: config.MAX_CONCURRENT_CALLS, callsPerSecond: config.MAX_CALLS_PER_SECOND }),
        untrustedResponse: config.SIP_UNTRUSTED_RESPONSE,
      },
    );
    this.#transfers = new AgentTransfers({ calls: this.calls, media: this.media, log });
    this.#trace = config.SIP_TRACE
      ? new SipTraceRecorder({
          traces: new SipTraceRepository(options.redis, keys, { ttlSeconds: config.CALL_RECORD_TTL_S }),
          liveCallId: (sipCallId) => this.calls.callIdOfSip(sipCallId),
          log,
        })
      : undefined;
    const run = (command: NodeCommand, onlyLive: boolean): boolean =>
      runNodeCommand(command, { calls: this.calls, transfers: this.#transfers, media: this.media, log }, onlyLive);
    this.runLocalCommand = (command) => run(command, true);
    this.#commands = new NodeCommands({
      redis: options.redis,
      channel: keys.nodeCommands(nodeIdOf(config)),
      log,
      onCommand: (command) => void run(command, false),
    });
  }

  /**
   * Start order (docs/operations.md, "Node identity"): the node lease first (a second start of this
   * node stops here, having touched nothing), then every fixed port (a busy one stops it before any
   * write), and only then the writes: the sweep of this node's calls an earlier run left live (their
   * callers get their BYE at once), the demo numbers. Requests that arrive once bound wait for the
   * end of start().
   */
  static async start(options: SignalingServiceOptions): Promise<SignalingService> {
    const service = new SignalingService(options);
    const { config, log } = options;
    try {
      await service.#lease.acquire();
      const ports = fixedPorts(config, ['signaling']);
      const fixed = (id: FixedPort['id']): FixedPort | undefined => ports.find((p) => p.id === id);
      const udp = await listenOnFixedPort(service.#transport?.listen(), fixed('sip-udp'));
      const tcp = await listenOnFixedPort(service.#tcp?.listen(), fixed('sip-tcp'));
      service.#tlsAddress = await listenOnFixedPort(service.#tls?.listen(), fixed('sip-tls'));
      service.#address = udp ?? tcp ?? service.#tlsAddress;
      const keys = new RedisKeys(config.REDIS_KEY_PREFIX);
      const media = service.media;
      await endOrphanCalls({
        records: new CallRecordRepository(options.redis, keys, { ttlSeconds: config.CALL_RECORD_TTL_S }),
        nodeId: service.nodeId,
        media,
        stack: service.stack,
        userAgent: options.userAgent ?? 'voicebridge/0.1',
        log,
      });
      if (config.SEED_DEMO_NUMBERS) await new NumberRepository(options.redis, keys).ensureDefaults(DEMO_NUMBERS);
      await service.trunks.start();
      await service.#commands.start();
      await service.#dispatcher.ready();
      // The first INVITE should find a media worker: wait (bounded) for any one of them.
      await media.whenConnected(AbortSignal.timeout(options.mediaWaitMs ?? 5000)).catch(() => {
        log.warn({ workers: media.size }, 'no media worker connected yet: new calls get 503 until one is');
      });
      service.#early.release((data, source) => service.#deliver(data, source));
      service.registrations.start();
    } catch (error) {
      await service.close();
      throw error;
    }
    return service;
  }

  /** A message from a transport: the abuse guard decides, then the SIP core (the trace keeps it if it is a call's). */
  #deliver(data: Buffer, source: Endpoint): void {
    if (!this.guard.admit(data, source)) return;
    if (this.#trace === undefined) this.stack.receive(data, source);
    else this.#trace.received(data, source, () => this.stack.receive(data, source));
  }

  /**
   * Places an outbound call through the SIP core's UAC (docs/architecture.md "Outbound calls"): the
   * agent is claimed and prepared first, `hooks.onInviteSending` runs right before the INVITE
   * leaves, `hooks.signal` cancels before the answer. Resolves at the answer or the end.
   */
  dial(request: DialRequest, hooks: DialHooks = {}): Promise<DialOutcome> {
    const given = hooks.target;
    const target = async (): Promise<OutboundTarget> => {
      if (given) return given;
      const trunk = this.trunks.trunks.find((t) => t.name === request.trunk);
      return trunkTarget(trunk, request.trunk, request.destination, this.#resolver, this.#secrets);
    };
    return this.calls.dial(request, target, hooks);
  }

  /** Open SIP TCP connections, both directions (bounded by SIP_TCP_MAX_CONNECTIONS). */
  get tcpConnectionCount(): number {
    return this.#tcp?.connectionCount ?? 0;
  }

  get address(): AddressInfo {
    if (!this.#address) throw new Error('signaling is not listening');
    return this.#address;
  }

  /** The SIP-over-TLS listener's address, when `tls` is among SIP_TRANSPORTS. */
  get tlsAddress(): AddressInfo | undefined {
    return this.#tlsAddress;
  }

  /**
   * Shutdown (docs/operations.md): OPTIONS and new INVITEs get 503, live calls go on up to
   * DRAIN_TIMEOUT_MS, stragglers get BYE with verdict `drain`, then everything closes.
   */
  close(drainTimeoutMs = this.#options.config.DRAIN_TIMEOUT_MS): Promise<void> {
    this.#closing ??= (async () => {
      this.#early.discard();
      // Each step on its own (closeSteps): an open socket or a held lease left behind by one failing
      // step would outlive the process's purpose.
      await closeSteps(this.#options.log, [
        // Unregister first (Expires: 0): carriers stop delivering new calls while the live ones drain.
        ['registrations', () => this.registrations.close()],
        // No operator hang-up is taken once the drain has begun (the drain decides the verdicts).
        ['node commands', () => this.#commands.close()],
        ['drain', () => this.calls.drain(drainTimeoutMs)],
        ['calls', () => this.calls.close()],
        ['sip stack', () => this.stack.close()],
        ['udp transport', () => this.#transport?.close()],
        ['tcp transport', () => this.#tcp?.close()],
        ['tls transport', () => this.#tls?.close()],
        ['media pool', () => this.media.close()],
        ['trunks', () => this.trunks.close()],
        ['agent dispatcher', () => this.#dispatcher.close()],
        ['call events', () => this.#events.close()],
        // Last: while calls drain, this node is still the one running them.
        ['node lease', () => this.#lease.close()],
      ]);
    })();
    return this.#closing;
  }
}
