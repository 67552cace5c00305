import { pino, type Logger } from 'pino';
import type { BridgeConfig } from '@voicebridge/protocol';

/**
 * Fields that may carry personal data (caller numbers, transcripts, prompts). They are censored
 * unless the operator sets LOG_REDACT=false.
 */
export const REDACTED_PATHS = [
  'from',
  'to',
  'caller',
  'text',
  'transcript',
  'prompt',
  'heard',
  'said',
  '*.from',
  '*.to',
  '*.text',
];

export function createLogger(
  config: Pick<BridgeConfig, 'LOG_LEVEL' | 'LOG_REDACT'>,
  service: string,
  node?: string,
): Logger {
  return pino({
    level: config.LOG_LEVEL,
    base: { service, pid: process.pid, ...(node !== undefined && { node }) },
    redact: config.LOG_REDACT ? { paths: REDACTED_PATHS, censor: '[redacted]' } : undefined,
  });
}
