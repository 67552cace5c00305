import { Redis } from 'ioredis';
import type { Registry } from '@voicebridge/metrics';
import { countRedisErrors } from './redis-errors.ts';

/**
 * Connections for a long-running service. `maxRetriesPerRequest: null` keeps commands queued
 * across a Redis restart instead of failing them (BullMQ requires it for workers), and
 * auto-pipelining stays off: it multiplies pub/sub latency on the frame path (DESIGN.md). With the
 * process's metrics registry, failed commands are counted by connection name.
 */
export function connectRedis(url: string, name: string, metrics?: Registry): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: null, enableAutoPipelining: false, connectionName: name });
  if (metrics) countRedisErrors(redis, name, metrics);
  return redis;
}
