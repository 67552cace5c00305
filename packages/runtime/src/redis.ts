import { Redis } from 'ioredis';

/**
 * Connections for a long-running service. `maxRetriesPerRequest: null` keeps commands queued
 * across a Redis restart instead of failing them (BullMQ requires it for workers), and
 * auto-pipelining stays off: it multiplies pub/sub latency on the frame path (DESIGN.md).
 */
export function connectRedis(url: string, name: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableAutoPipelining: false, connectionName: name });
}
