export { createLogger, REDACTED_PATHS } from './logger.ts';
export { connectRedis } from './redis.ts';
export { countRedisErrors } from './redis-errors.ts';
export { runService, type RunningService, type ReadyMessage } from './service.ts';
export * from './close-steps.ts';
export { IpcRequester, type IpcReply, type IpcRequesterOptions } from '@voicebridge/protocol';
export { answerNodeCommands, NodeCommandRequester, type NodeCommandPort } from './node-command-ipc.ts';
