export { createLogger, REDACTED_PATHS } from './logger.ts';
export { connectRedis } from './redis.ts';
export { runService, type RunningService, type ReadyMessage } from './service.ts';
export * from './close-steps.ts';
