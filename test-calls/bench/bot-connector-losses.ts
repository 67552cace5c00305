import type { BenchCallers } from './bench-callers.ts';
import type { BotReport } from './echo-bot-process.ts';

/**
 * Where the caller → bot losses of the connector benchmark fall in their calls: a start race (the
 * first frames after the answer), the end, or mid-call (a stall), found by setting each caller's
 * sent stamps beside the stamps its bot stream got.
 */
export interface InboundLosses {
  /** Frames before the first one the bot got, in how many calls, and the latest of them (ms after the answer). */
  atStart: { frames: number; calls: number; lastSentAfterAnswerMs: number };
  /** Frames after the last one the bot got, in how many calls. */
  atEnd: { frames: number; calls: number };
  /** Frames between two the bot got, in how many runs of consecutive frames. */
  midCall: { frames: number; gaps: number };
  /** Calls whose stream the bot never saw at all (none of their frames arrived). */
  streamsMissing: number;
}

export function inboundLosses(callers: BenchCallers, bot: BotReport): InboundLosses {
  const streams = new Map(bot.streams.map((s) => [s.callerPort, s]));
  const out: InboundLosses = {
    atStart: { frames: 0, calls: 0, lastSentAfterAnswerMs: 0 },
    atEnd: { frames: 0, calls: 0 },
    midCall: { frames: 0, gaps: 0 },
    streamsMissing: 0,
  };
  for (const leg of callers.legs) {
    if (leg.sentStamps.length === 0) continue;
    const got = new Set(streams.get(leg.port)?.stampsIn ?? []);
    const present = leg.sentStamps.map((stamp) => got.has(stamp));
    const first = present.indexOf(true);
    if (first < 0) {
      out.streamsMissing++;
      continue;
    }
    const last = present.lastIndexOf(true);
    if (first > 0) {
      out.atStart.frames += first;
      out.atStart.calls++;
      const sentAfterMs = (((leg.sentStamps[first - 1] as number) - (leg.answeredAtUs >>> 0)) >>> 0) / 1000;
      out.atStart.lastSentAfterAnswerMs = Math.max(out.atStart.lastSentAfterAnswerMs, sentAfterMs);
    }
    if (last < present.length - 1) {
      out.atEnd.frames += present.length - 1 - last;
      out.atEnd.calls++;
    }
    for (let i = first + 1; i < last; i++) {
      if (present[i]) continue;
      out.midCall.frames++;
      if (present[i - 1]) out.midCall.gaps++;
    }
  }
  return out;
}

export function describeInboundLosses(losses: InboundLosses): string {
  const { atStart, atEnd, midCall } = losses;
  return `caller → bot losses: ${atStart.frames} frames at a call's start in ${atStart.calls} calls (sent up to ${atStart.lastSentAfterAnswerMs.toFixed(0)} ms after the answer), ${atEnd.frames} at the end in ${atEnd.calls} calls, ${midCall.frames} mid-call in ${midCall.gaps} gaps; ${losses.streamsMissing} calls the bot never heard`;
}
