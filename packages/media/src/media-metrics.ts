import { Counter, Gauge, Histogram, Registry } from '@voicebridge/metrics';
import { RTCP_INTERVAL_MS } from './rtcp-session.ts';
import { MediaSessionState, type MediaSession } from './media-session.ts';

export interface MediaMetricsOptions {
  /** The process's registry; a private one when absent (benchmarks, tests). */
  registry?: Registry;
  /** The worker's live sessions. */
  sessions: () => Iterable<MediaSession>;
  /** The worker's clock, whose worst wake-up lateness is sampled each interval. */
  clock?: { takeMaxLatenessMs(): number };
  /** How often call quality is sampled; default the RTCP interval (5 s, RFC 3550 §6.2); 0: never by itself. */
  intervalMs?: number;
}

/** Where the previous sample of a call left its counters, to observe each interval's share. */
interface Mark {
  received: number;
  lost: number;
}

const SECONDS = (ms: number): number => ms / 1000;

/**
 * The media worker's metrics (docs/operations.md "Monitoring"). Nothing runs per packet: packet
 * counters are summed from the sessions' own counts when scraped, and call quality (loss, jitter,
 * jitter buffer depth, pacing lateness) is sampled once per interval per call, and at its close. To
 * add a metric: define it here and observe it in `sample` or `sessionClosed`; nothing else changes.
 */
export class MediaMetrics {
  readonly #options: MediaMetricsOptions;
  readonly #marks = new Map<MediaSession, Mark>();
  /** Totals of sessions already closed (the live ones are added at scrape time). */
  readonly #closed = { received: 0, sent: 0, lost: 0 };
  readonly #loss: Histogram;
  readonly #jitter: Histogram;
  readonly #depth: Histogram;
  readonly #lateness: Histogram;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: MediaMetricsOptions) {
    this.#options = options;
    const registers = [options.registry ?? new Registry()];
    const live = (pick: (session: MediaSession) => number): number => {
      let sum = 0;
      for (const session of options.sessions()) sum += pick(session);
      return sum;
    };
    new Gauge({
      name: 'voicebridge_media_sessions',
      help: 'Calls with media on this worker (allocated or started)',
      registers,
      collect() {
        this.set(live(() => 1));
      },
    });
    const closed = this.#closed;
    const total = (name: string, help: string, pick: (session: MediaSession) => number, base: () => number): void =>
      void new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(base() + live(pick));
        },
      });
    total(
      'voicebridge_rtp_packets_received_total',
      "RTP packets accepted from callers (the call's codec or telephone-event, from the latched source)",
      (s) => s.stats.packetsReceived,
      () => closed.received,
    );
    total(
      'voicebridge_rtp_packets_sent_total',
      'RTP packets sent to callers (agent audio, silence and DTMF events)',
      (s) => s.stats.packetsSent,
      () => closed.sent,
    );
    total(
      'voicebridge_rtp_packets_lost_total',
      "Callers' RTP packets never received (RFC 3550 A.3 cumulative loss, per call, never negative)",
      (s) => Math.max(0, s.mediaStats.packetsLost),
      () => closed.lost,
    );
    this.#loss = new Histogram({
      name: 'voicebridge_rtp_loss_ratio',
      help: "Share of the caller's packets lost per call and sampling interval (0 to 1)",
      buckets: [0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5],
      registers,
    });
    this.#jitter = new Histogram({
      name: 'voicebridge_rtp_jitter_seconds',
      help: "Interarrival jitter of the caller's RTP (RFC 3550 §6.4.1 estimate), per call and sampling interval",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16],
      registers,
    });
    this.#depth = new Histogram({
      name: 'voicebridge_jitter_buffer_depth_seconds',
      help: 'Inbound jitter buffer depth (audio held back from the agent), per call and sampling interval',
      buckets: [0, 0.02, 0.04, 0.06, 0.08, 0.12, 0.2],
      registers,
    });
    this.#lateness = new Histogram({
      name: 'voicebridge_media_pacing_lateness_seconds',
      help: "Worst lateness of the media clock's wake-ups (20 ms sends and playout) per sampling interval",
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1],
      registers,
    });
    const intervalMs = options.intervalMs ?? RTCP_INTERVAL_MS;
    if (intervalMs > 0) {
      this.#timer = setInterval(() => this.sample(), intervalMs);
      this.#timer.unref();
    }
  }

  /** A session closed: its counts join the totals, and its last interval is observed. */
  sessionClosed(session: MediaSession): void {
    const stats = session.mediaStats;
    this.#closed.received += session.stats.packetsReceived;
    this.#closed.sent += session.stats.packetsSent;
    this.#closed.lost += Math.max(0, stats.packetsLost);
    this.#observeLoss(session, stats.packetsReceived, stats.packetsLost);
    this.#marks.delete(session);
  }

  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One interval's sample of every started call (its own timer calls it; a benchmark may instead). */
  sample(): void {
    const lateMs = this.#options.clock?.takeMaxLatenessMs();
    if (lateMs !== undefined) this.#lateness.observe(SECONDS(lateMs));
    for (const session of this.#options.sessions()) {
      if (session.state !== MediaSessionState.Started) continue;
      const stats = session.mediaStats;
      this.#observeLoss(session, stats.packetsReceived, stats.packetsLost);
      if (stats.packetsReceived > 0) this.#jitter.observe(SECONDS(stats.jitterMs));
      this.#depth.observe(SECONDS(session.jitterDepthMs));
    }
  }

  #observeLoss(session: MediaSession, received: number, lost: number): void {
    const mark = this.#marks.get(session) ?? { received: 0, lost: 0 };
    const gotNow = received - mark.received;
    const lostNow = Math.max(0, lost - mark.lost);
    if (gotNow + lostNow > 0) this.#loss.observe(lostNow / (gotNow + lostNow));
    this.#marks.set(session, { received, lost: Math.max(lost, mark.lost) });
  }
}
