import type { BridgeConfig } from './bridge-config.ts';
import { mediaWorkerSlice } from './media-workers.ts';
import { VoicebridgeError } from './errors.ts';

/** A port a service must own to run, and the setting that moves it. */
export interface FixedPort {
  id: 'sip-udp' | 'sip-tcp' | 'sip-tls' | 'media-control' | 'http';
  /** The environment variable to change when the port is taken. */
  variable: string;
  what: string;
  protocol: 'udp' | 'tcp';
  address: string;
  port: number;
}

/**
 * Every fixed port the given services bind: SIP per transport, each media worker's control port, and the
 * node's HTTP server (`http`, run by the supervisor itself).
 * (RTP ports are not fixed: a busy pair is skipped by the port pool.)
 */
export function fixedPorts(config: BridgeConfig, services: readonly string[]): FixedPort[] {
  const out: FixedPort[] = [];
  if (services.includes('signaling')) {
    const transports = config.SIP_TRANSPORTS.split(',').map((t) => t.trim());
    const sip = { address: config.SIP_BIND_ADDRESS, port: config.SIP_PORT, variable: 'SIP_PORT' };
    if (transports.includes('udp')) out.push({ ...sip, id: 'sip-udp', what: 'SIP (UDP)', protocol: 'udp' });
    if (transports.includes('tcp')) out.push({ ...sip, id: 'sip-tcp', what: 'SIP (TCP)', protocol: 'tcp' });
    if (transports.includes('tls')) {
      out.push({
        id: 'sip-tls',
        address: config.SIP_BIND_ADDRESS,
        port: config.SIP_TLS_PORT,
        variable: 'SIP_TLS_PORT',
        what: 'SIP (TLS)',
        protocol: 'tcp',
      });
    }
  }
  if (services.includes('http')) {
    out.push({
      id: 'http',
      variable: 'HTTP_PORT',
      what: 'HTTP',
      protocol: 'tcp',
      address: config.HTTP_BIND_ADDRESS,
      port: config.HTTP_PORT,
    });
  }
  if (services.includes('media')) {
    for (let index = 0; index < config.MEDIA_WORKERS; index++) {
      out.push({
        id: 'media-control',
        variable: 'MEDIA_CONTROL_PORT',
        what: config.MEDIA_WORKERS === 1 ? 'media control' : `media control (worker ${index + 1})`,
        protocol: 'tcp',
        address: config.MEDIA_CONTROL_HOST,
        port: mediaWorkerSlice(config, index).controlPort,
      });
    }
  }
  return out;
}

/** The one line an operator reads when a fixed port is taken; `VB_PORT_IN_USE` carries it. */
export function portInUseError(port: FixedPort, cause?: unknown): VoicebridgeError {
  const where = `${port.protocol.toUpperCase()} ${port.address}:${port.port}`;
  return new VoicebridgeError(
    'VB_PORT_IN_USE',
    `${port.what} port ${where} is in use (another voicebridge, or another program): set ${port.variable} to a free port`,
    { cause },
  );
}

/** Awaits a listen or bind: EADDRINUSE on `port` becomes VB_PORT_IN_USE naming the variable to change. */
export function listenOnFixedPort<T>(listening: Promise<T>, port: FixedPort | undefined): Promise<T>;
export function listenOnFixedPort<T>(
  listening: Promise<T> | undefined,
  port: FixedPort | undefined,
): Promise<T | undefined>;
export async function listenOnFixedPort<T>(listening: Promise<T> | undefined, port: FixedPort | undefined) {
  try {
    return await listening;
  } catch (error) {
    throw port && (error as NodeJS.ErrnoException | null)?.code === 'EADDRINUSE' ? portInUseError(port, error) : error;
  }
}
