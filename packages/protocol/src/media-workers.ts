import { isIP } from 'node:net';

/** `auto` takes one media worker per core, but no more than this: past it signaling and Redis saturate first. */
export const MAX_AUTO_MEDIA_WORKERS = 8;
export const MAX_MEDIA_WORKERS = 64;

/** What one media worker of a bridge owns: its control port and its share of the RTP range. */
export interface MediaWorkerSlice {
  /** 0-based. */
  index: number;
  controlPort: number;
  /** First (even) and last (odd) port of its contiguous, even-aligned share of RTP_PORT_MIN..RTP_PORT_MAX. */
  rtpPortMin: number;
  rtpPortMax: number;
}

/**
 * The bridge settings that place media workers. `BridgeConfig` has every one of them; they are
 * spelled out here instead of imported because the config schema imports this module for its range
 * checks, and a type import back would make the two a circle.
 */
export interface MediaWorkersConfig {
  RTP_PORT_MIN: number;
  RTP_PORT_MAX: number;
  MEDIA_WORKERS: number;
  MEDIA_CONTROL_HOST: string;
  MEDIA_CONTROL_PORT: number;
  MEDIA_CONTROL_ADDRESSES?: string | undefined;
}

export interface HostPort {
  host: string;
  port: number;
}

/** The even/odd pairs in min..max (RTP on the even port, RTCP on the odd one above it). */
export function rtpPairCount(min: number, max: number): number {
  const first = min + (min % 2);
  return Math.max(0, Math.floor((max - first + 1) / 2));
}

/**
 * Splits min..max into `count` contiguous even-aligned slices, one per worker, the first ones one
 * pair larger when the pairs do not divide evenly. Undefined when a slice would hold no pair.
 */
export function splitRtpRange(
  min: number,
  max: number,
  count: number,
  controlPort: number,
): MediaWorkerSlice[] | undefined {
  const first = min + (min % 2);
  const pairs = rtpPairCount(min, max);
  if (count < 1 || pairs < count) return undefined;
  const base = Math.floor(pairs / count);
  const extra = pairs % count;
  return Array.from({ length: count }, (_, index) => {
    const offset = index * base + Math.min(index, extra);
    const own = base + (index < extra ? 1 : 0);
    const rtpPortMin = first + 2 * offset;
    return { index, controlPort: controlPort + index, rtpPortMin, rtpPortMax: rtpPortMin + 2 * own - 1 };
  });
}

/** Media worker `index` (MEDIA_WORKER_INDEX) of the `MEDIA_WORKERS` this config describes. */
export function mediaWorkerSlice(config: MediaWorkersConfig, index: number): MediaWorkerSlice {
  const slices = splitRtpRange(
    config.RTP_PORT_MIN,
    config.RTP_PORT_MAX,
    config.MEDIA_WORKERS,
    config.MEDIA_CONTROL_PORT,
  );
  const slice = slices?.[index];
  // The config schema refused both cases already; this guards callers that built a config by hand.
  if (!slice)
    throw new RangeError(
      `no media worker ${index} among ${config.MEDIA_WORKERS} for RTP ${config.RTP_PORT_MIN}-${config.RTP_PORT_MAX}`,
    );
  return slice;
}

/** Where signaling finds its media workers: MEDIA_CONTROL_ADDRESSES, else MEDIA_WORKERS ports from MEDIA_CONTROL_PORT up. */
export function mediaControlEndpoints(config: MediaWorkersConfig): HostPort[] {
  if (config.MEDIA_CONTROL_ADDRESSES !== undefined)
    return parseHostPortList(config.MEDIA_CONTROL_ADDRESSES) as HostPort[];
  return Array.from({ length: config.MEDIA_WORKERS }, (_, i) => ({
    host: config.MEDIA_CONTROL_HOST,
    port: config.MEDIA_CONTROL_PORT + i,
  }));
}

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * `host:port,host:port` (IPv6 in brackets: `[::1]:7077`) → endpoints; a string naming the first bad
 * entry when one does not parse or repeats.
 */
export function parseHostPortList(text: string): HostPort[] | string {
  const out: HostPort[] = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(entry);
    const host = match?.[1] ?? match?.[2];
    const port = Number(match?.[3]);
    if (
      host === undefined ||
      !(match?.[1] !== undefined ? isIP(host) === 6 : isIP(host) === 4 || HOSTNAME.test(host))
    ) {
      return `"${entry}" is not host:port (IPv6 as [addr]:port)`;
    }
    if (!Number.isInteger(port) || port < 1 || port > 65535) return `"${entry}": port must be 1-65535`;
    if (out.some((e) => e.host === host && e.port === port)) return `"${entry}" is listed twice`;
    out.push({ host, port });
  }
  if (out.length > MAX_MEDIA_WORKERS) return `at most ${MAX_MEDIA_WORKERS} addresses`;
  return out;
}
