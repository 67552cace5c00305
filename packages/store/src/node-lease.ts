import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { VoicebridgeError } from '@voicebridge/protocol';
import { LuaScript } from './lua-script.ts';
import type { RedisKeys } from './redis-keys.ts';

/** Who runs a node: the lease key's value. `token` tells two runs of one pid apart. */
export interface NodeLeaseHolder {
  host: string;
  pid: number;
  startedAtMs: number;
  token: string;
}

/** The two log levels the lease uses (a pino logger fits). */
export interface NodeLeaseLog {
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface NodeLeaseOptions {
  /** Borrowed, never closed here. */
  redis: Redis;
  keys: RedisKeys;
  nodeId: string;
  /** How long the lease outlives its last renewal (NODE_LEASE_TTL_MS); renewed every third of it. */
  ttlMs: number;
  log: NodeLeaseLog;
  /** This process; injectable for tests. */
  host: string;
  pid: number;
  /** Whether a pid on this host is a running process; default: signal 0. */
  isAlive?: (pid: number) => boolean;
}

/** 1: renewed; 2: gone (expired in an outage) and taken again; 0: someone else holds it. */
const RENEW = new LuaScript(`
local held = redis.call('GET', KEYS[1])
if held == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if held == false then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 2 end
return 0
`);

/** Replaces the value only if it is still the one we read (a dead holder's), else 0. */
const TAKE_OVER = new LuaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`);

const RELEASE = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

/** The one line an operator reads when the node id is taken (VB_NODE_ID_HELD carries it). */
export function nodeIdHeldError(holder: NodeLeaseHolder, nodeId: string, prefix: string): VoicebridgeError {
  return new VoicebridgeError(
    'VB_NODE_ID_HELD',
    `another voicebridge (pid ${holder.pid} on host ${holder.host}) holds node id ${nodeId} under prefix ${prefix}: stop it, or give this one another NODE_ID or REDIS_KEY_PREFIX`,
  );
}

export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, owned by another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A signaling node's lease (docs/adr/0013): one Redis key naming the process that runs the node,
 * with a TTL its heartbeat renews. At most one live process runs a node id under a prefix, so only
 * one sweeps and BYEs that node's calls. Taking it:
 *
 *   free ─────────────────────────────────────────► held by us
 *   held, this host, holder pid gone (a crash) ───► taken over at once (the supervisor's restart)
 *   held, this host, holder pid alive ────────────► VB_NODE_ID_HELD, nothing touched
 *   held, another host (liveness unknowable) ─────► wait for it to expire (one TTL); still renewed → VB_NODE_ID_HELD
 *
 * A renewal that fails (Redis away) is retried on the next beat; a lease that expired meanwhile is
 * taken again. Losing it never ends a call: the calls are the caller's, the lease only guards sweeps.
 */
export class NodeLease {
  readonly #options: NodeLeaseOptions;
  readonly #key: string;
  readonly #value: string;
  #timer: NodeJS.Timeout | undefined;
  #renewing = false;
  #held = false;
  #closing: Promise<void> | undefined;

  constructor(options: NodeLeaseOptions) {
    this.#options = options;
    this.#key = options.keys.nodeLease(options.nodeId);
    const holder: NodeLeaseHolder = {
      host: options.host,
      pid: options.pid,
      startedAtMs: Date.now(),
      token: randomBytes(8).toString('hex'),
    };
    this.#value = JSON.stringify(holder);
  }

  /** The process holding `nodeId`'s lease now, if any (for `voicebridge start`'s check before it starts anything). */
  static async holder(redis: Redis, keys: RedisKeys, nodeId: string): Promise<NodeLeaseHolder | undefined> {
    return parseHolder(await redis.get(keys.nodeLease(nodeId)));
  }

  /**
   * Whether a start here may take `holder`'s lease at once: it ran on this host and its process is
   * gone. Our own pid on our own host is a previous run too (a container restarted as pid 1).
   */
  static isStale(holder: NodeLeaseHolder, host: string, pid: number, isAlive = processIsAlive): boolean {
    return holder.host === host && (holder.pid === pid || !isAlive(holder.pid));
  }

  get held(): boolean {
    return this.#held;
  }

  /** Takes the lease (see the class comment) and starts the heartbeat. Throws VB_NODE_ID_HELD. */
  async acquire(signal?: AbortSignal): Promise<void> {
    const { redis, ttlMs, host, pid, nodeId, keys, log } = this.#options;
    const deadline = Date.now() + ttlMs + 1000;
    for (let attempt = 0; attempt < 1000; attempt++) {
      signal?.throwIfAborted();
      if ((await redis.set(this.#key, this.#value, 'PX', ttlMs, 'NX')) === 'OK') break;
      const raw = await redis.get(this.#key);
      const holder = parseHolder(raw);
      if (raw === null) continue; // expired between the two commands
      if (holder !== undefined && NodeLease.isStale(holder, host, pid, this.#options.isAlive)) {
        if ((await TAKE_OVER.run(redis, [this.#key], [raw, this.#value, ttlMs])) === 1) {
          log.warn({ nodeId, previous: holder }, 'node lease taken over from a process of this host that is gone');
          break;
        }
        continue;
      }
      if (holder === undefined || holder.host === host || Date.now() >= deadline)
        throw nodeIdHeldError(holder ?? { host: 'unknown', pid: 0, startedAtMs: 0, token: '' }, nodeId, keys.prefix);
      if (attempt === 0)
        log.warn({ nodeId, holder }, 'node id held by a process on another host: waiting for its lease to expire');
      await sleep(Math.min(500, Math.max(50, (await redis.pttl(this.#key)) + 10)), signal);
    }
    if ((await redis.get(this.#key)) !== this.#value)
      throw new VoicebridgeError('VB_NODE_ID_HELD', `node lease for ${nodeId} could not be taken`);
    this.#held = true;
    this.#timer = setInterval(() => void this.#renew(), Math.max(100, Math.floor(ttlMs / 3)));
  }

  async #renew(): Promise<void> {
    if (this.#renewing || this.#closing) return;
    this.#renewing = true;
    const { redis, ttlMs, nodeId, log } = this.#options;
    try {
      const outcome = await RENEW.run(redis, [this.#key], [this.#value, ttlMs]);
      if (this.#closing) return;
      if (outcome === 2) log.warn({ nodeId }, 'node lease had expired (Redis was away?): taken again');
      else if (outcome === 0 && this.#held) {
        const holder = parseHolder(await redis.get(this.#key));
        log.error({ nodeId, holder }, 'node lease held by another process: calls go on; this node no longer sweeps');
      }
      this.#held = outcome !== 0;
    } catch (error) {
      log.warn({ nodeId, err: error }, 'node lease renewal failed: retried on the next beat');
    } finally {
      this.#renewing = false;
    }
  }

  /** Stops the heartbeat and deletes the lease if it is still ours. Idempotent; never throws. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#timer);
      this.#timer = undefined;
      if (!this.#held) return;
      this.#held = false;
      // Bounded: with Redis away the command would wait for it, and the lease expires by itself anyway.
      const gaveUp = new Promise<'timeout'>((resolve) => {
        this.#timer = setTimeout(() => resolve('timeout'), 1000);
      });
      const released = await Promise.race([
        RELEASE.run(this.#options.redis, [this.#key], [this.#value]).then(
          () => 'released' as const,
          () => 'failed' as const,
        ),
        gaveUp,
      ]);
      clearTimeout(this.#timer);
      if (released !== 'released')
        this.#options.log.warn({ released }, 'node lease not released: it expires by itself');
    })();
    return this.#closing;
  }
}

function parseHolder(raw: string | null): NodeLeaseHolder | undefined {
  if (raw === null) return undefined;
  try {
    const value = JSON.parse(raw) as Partial<NodeLeaseHolder>;
    if (typeof value.host === 'string' && typeof value.pid === 'number' && typeof value.token === 'string')
      return { host: value.host, pid: value.pid, startedAtMs: Number(value.startedAtMs ?? 0), token: value.token };
  } catch {
    // Not ours to read: treated as held by an unknown process.
  }
  return undefined;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason as Error);
      },
      { once: true },
    );
  });
}
