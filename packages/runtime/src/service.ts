import { loadBridgeConfig, nodeIdOf, VoicebridgeError, type BridgeConfig } from '@voicebridge/protocol';
import { answerMetricsRequests, createProcessRegistry, type Registry } from '@voicebridge/metrics';
import type { Logger } from 'pino';
import { createLogger } from './logger.ts';

export interface RunningService {
  /** Ordered shutdown; must be idempotent. */
  close(): Promise<void>;
}

/** Sent to the supervisor over IPC once a service listens. */
export interface ReadyMessage {
  type: 'ready';
  service: string;
  detail?: Record<string, unknown>;
}

/**
 * The frame every service main.ts uses: config read once (bad value → exit 2 naming it), one
 * logger, a ready message to the supervisor, ordered shutdown on SIGTERM/SIGINT, a second signal
 * forces exit, and a crash exits non-zero so the supervisor restarts the process.
 */
export async function runService(
  service: string,
  start: (
    config: BridgeConfig,
    log: Logger,
    /** This process's one metrics registry: the service defines its metrics on it; the supervisor scrapes it. */
    metrics: Registry,
  ) => Promise<{ service: RunningService; detail?: Record<string, unknown> }>,
  /** This process's name in logs and its ready message when it is one of several (`media-2`); default `service`. */
  instanceName?: (config: BridgeConfig) => string,
): Promise<void> {
  let config: BridgeConfig;
  try {
    config = loadBridgeConfig(process.env);
  } catch (error) {
    process.stderr.write(
      `voicebridge ${service}: ${error instanceof VoicebridgeError ? error.message : String(error)}\n`,
    );
    process.exit(2);
  }
  const name = instanceName?.(config) ?? service;
  // Every line of every process of a node names the node (NODE_ID): several nodes may log to one place.
  const log = createLogger(config, name, nodeIdOf(config));
  process.on('uncaughtException', (error) => {
    log.fatal({ err: error }, 'uncaught exception: exiting');
    process.exit(1);
  });
  process.on('unhandledRejection', (error) => {
    log.fatal({ err: error }, 'unhandled rejection: exiting');
    process.exit(1);
  });
  const metrics = createProcessRegistry();
  // Answered from the start: a process still starting shows up in /metrics as soon as it can answer.
  answerMetricsRequests(metrics, process);
  let running: RunningService;
  try {
    const started = await start(config, log, metrics);
    running = started.service;
    const ready: ReadyMessage = { type: 'ready', service: name, detail: started.detail };
    // Logged before the supervisor hears it, so "voicebridge ready" always comes after every "ready" line.
    log.info(started.detail ?? {}, `${name} ready`);
    process.send?.(ready);
  } catch (error) {
    if (error instanceof VoicebridgeError && (error.code === 'VB_PORT_IN_USE' || error.code === 'VB_NODE_ID_HELD')) {
      // The operator's to fix, and restarting cannot: one line naming the setting (or the holder), and
      // exit 2 (no restart).
      process.stderr.write(`voicebridge ${name}: ${error.message}\n`);
      process.exit(2);
    }
    log.fatal({ err: error }, `${name} failed to start`);
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping && signal === 'disconnect') return;
    if (stopping) {
      log.warn({ signal }, 'second signal: forcing exit');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, `${name} shutting down`);
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // The supervisor's IPC channel closing means the supervisor is gone: do not linger.
  process.on('disconnect', () => stop('disconnect'));
}
