import type { CallRecord } from '@voicebridge/protocol';
import { fmt, type Summary } from '../../packages/media/bench/bench-stats.ts';
import type { BenchCallers } from './bench-callers.ts';
import type { BotReport } from './echo-bot-process.ts';
import { describeInboundLosses, type InboundLosses } from './bot-connector-losses.ts';

/** The targets of the issue's "Must show": p99 pacing at the caller, clear-to-silence p99; and nothing lost. */
export const PACING_TARGET_MS = 5;
export const CLEAR_TARGET_MS = 60;

/** Stamped frames followed end to end over whole calls, and the tone of the clear probes. */
export interface FrameCounts {
  callerSent: number;
  botReceived: number;
  /** Breaks in `chunk` (gaps or repeats) and in `sequenceNumber`, over every stream. */
  chunkBreaks: number;
  sequenceBreaks: number;
  botEchoed: number;
  /** Not echoed on purpose while a probe's tone played. */
  botWithheld: number;
  callerReceived: number;
  /** Echoed stamped frames that never came back, those a probe's `clear` dropped left out. */
  echoLost: number;
  /** Echoed stamped frames still queued behind the tone when the probe's `clear` came (dropped by it). */
  echoCleared: number;
  toneSent: number;
  toneReceived: number;
  marksSent: number;
  marksEchoed: number;
}

/** What the calls' records say (the bridge's own counts). */
export interface RecordCounts {
  records: number;
  verdicts: Record<string, number>;
  callerFramesDropped: number;
  callerFramesFilled: number;
  botSamplesDropped: number;
  framesDroppedLate: number;
  ignored: number;
  /** Media's own counts from the records: caller packets received, lost, and inbound frames concealed. */
  packetsReceived: number;
  packetsLost: number;
  framesConcealed: number;
  /** Caller frames media held for an agent not ready and dropped over its 5 s bound. */
  callerFramesDroppedHeld: number;
}

export interface LevelRow {
  calls: number;
  answered: number;
  load: string;
  windowS: number;
  pacing: Summary;
  jitter: Summary;
  roundTrip: Summary;
  botInbound: Summary;
  received: number;
  missing: number;
  talkspurts: number;
  frames: FrameCounts;
  /** Where in their calls the caller → bot losses fell. */
  inboundLosses: InboundLosses;
  records: RecordCounts;
  clear: Summary;
  probes: number;
  probesWithoutTone: number;
  /** % of one core over the window, and the main thread's wait for a CPU (ms per s), per process. */
  cpu: Record<string, number>;
  runDelay: Record<string, number>;
  /** The agent process's heapUsed after a forced GC, MiB: before the calls, with them up, after they ended. */
  heap: { idle: number; loaded: number; after: number };
  /** The bridge's warn and error log lines by message, with how many. */
  warnings: Record<string, number>;
}

/**
 * Follows each stream's echoed stamps to the caller. The queue is first in, first out, so a `clear`
 * drops a tail: the echoed frames after the last one played before the probe's tone (and the tone).
 * Any other missing frame is lost. Clear-to-silence per probe: the bot's `clear` → the last packet of
 * audio the bot sent before it (tone, or an echo still queued), 0 when that left before the clear.
 */
export function followFrames(
  callers: BenchCallers,
  bot: BotReport,
): { lost: number; cleared: number; clearMs: number[]; probesUnheard: number } {
  const legs = new Map(callers.legs.map((leg) => [leg.port, leg]));
  let lost = 0;
  let cleared = 0;
  let probesUnheard = 0;
  const clearMs: number[] = [];
  for (const stream of bot.streams) {
    const leg = legs.get(stream.callerPort);
    const arrivals = new Map<number, number>();
    leg?.stamps.forEach((stamp, i) => arrivals.set(stamp, leg.stampArrivalsUs[i] as number));
    const echoed = stream.echoedStamps;
    const probed = stream.clearAtUs > 0;
    const before = probed ? stream.echoedBeforeProbe : echoed.length;
    let lastPlayed = -1;
    for (let i = 0; i < before; i++) if (arrivals.has(echoed[i] as number)) lastPlayed = i;
    echoed.forEach((stamp, i) => {
      if (arrivals.has(stamp)) return;
      if (probed && i < before && i > lastPlayed) cleared++;
      else lost++;
    });
    if (!probed) continue;
    const lastAudioUs = Math.max(
      leg?.lastToneAtUs ?? 0,
      lastPlayed >= 0 ? (arrivals.get(echoed[lastPlayed] as number) ?? 0) : 0,
    );
    if (lastAudioUs === 0) probesUnheard++;
    else clearMs.push(Math.max(0, (lastAudioUs - stream.clearAtUs) / 1000));
  }
  return { lost, cleared, clearMs, probesUnheard };
}

export function frameCounts(callers: BenchCallers, bot: BotReport): FrameCounts {
  const followed = followFrames(callers, bot);
  const sum = (pick: (s: BotReport['streams'][number]) => number): number =>
    bot.streams.reduce((n, s) => n + pick(s), 0);
  return {
    callerSent: callers.legs.reduce((n, leg) => n + leg.stampedSent, 0),
    botReceived: sum((s) => s.stampedIn),
    chunkBreaks: sum((s) => s.chunkBreaks),
    sequenceBreaks: sum((s) => s.sequenceBreaks),
    botEchoed: sum((s) => s.stampedEchoed),
    botWithheld: sum((s) => s.stampedWithheld),
    callerReceived: callers.legs.reduce((n, leg) => n + leg.stampedReceived, 0),
    echoLost: followed.lost,
    echoCleared: followed.cleared,
    toneSent: sum((s) => s.toneBytes) / 160,
    toneReceived: callers.legs.reduce((n, leg) => n + leg.toneReceived, 0),
    marksSent: sum((s) => s.marksSent),
    marksEchoed: sum((s) => s.marksEchoed),
  };
}

export function recordCounts(records: CallRecord[]): RecordCounts {
  const verdicts: Record<string, number> = {};
  const out: RecordCounts = {
    records: records.length,
    verdicts,
    callerFramesDropped: 0,
    callerFramesFilled: 0,
    botSamplesDropped: 0,
    framesDroppedLate: 0,
    ignored: 0,
    packetsReceived: 0,
    packetsLost: 0,
    framesConcealed: 0,
    callerFramesDroppedHeld: 0,
  };
  for (const record of records) {
    const reason = record.verdict?.reason ?? record.status;
    verdicts[reason] = (verdicts[reason] ?? 0) + 1;
    out.callerFramesDropped += record.bot?.callerFramesDropped ?? 0;
    out.callerFramesFilled += record.bot?.callerFramesFilled ?? 0;
    out.botSamplesDropped += record.bot?.botSamplesDropped ?? 0;
    out.framesDroppedLate += record.media?.framesDroppedLate ?? 0;
    out.packetsReceived += record.media?.packetsReceived ?? 0;
    out.packetsLost += record.media?.packetsLost ?? 0;
    out.framesConcealed += record.media?.framesConcealed ?? 0;
    out.callerFramesDroppedHeld += record.media?.callerFramesDroppedHeld ?? 0;
    out.ignored += Object.values(record.bot?.ignored ?? {}).reduce((a, b) => a + b, 0);
  }
  return out;
}

/** Stamped frames lost caller → bot and bot → caller (nothing but a probe's clear may drop bot audio). */
export function lost(row: LevelRow): { inbound: number; outbound: number } {
  const f = row.frames;
  return { inbound: f.callerSent - f.botReceived, outbound: f.echoLost };
}

export function healthy(row: LevelRow): boolean {
  const { inbound, outbound } = lost(row);
  return (
    row.answered === row.calls &&
    row.pacing.p99 <= PACING_TARGET_MS &&
    inbound === 0 &&
    outbound === 0 &&
    row.frames.chunkBreaks === 0 &&
    row.missing === 0 &&
    row.clear.p99 <= CLEAR_TARGET_MS
  );
}

export function printRow(row: LevelRow): void {
  const f = row.frames;
  const r = row.records;
  const { inbound, outbound } = lost(row);
  const per = (name: string): string =>
    `${name} ${(row.cpu[name] ?? NaN).toFixed(1)}% (${((row.cpu[name] ?? NaN) / row.calls).toFixed(3)}%/call)`;
  console.log(
    `  ${String(row.calls).padStart(4)} calls (${row.answered} answered; load ${row.load}; ${row.windowS.toFixed(1)} s measured with all up)`,
  );
  console.log(
    `        pacing at the caller ${fmt(row.pacing)} over ${row.pacing.count} intervals; RFC 3550 jitter per call ${fmt(row.jitter)}`,
  );
  console.log(
    `        round trip caller → bot → caller ${fmt(row.roundTrip, 1)}; caller → bot ${fmt(row.botInbound, 1)}; talkspurt starts ${row.talkspurts} of ${row.received} packets; missing at the caller ${row.missing}`,
  );
  console.log(
    `        frames: caller sent ${f.callerSent}, bot got ${f.botReceived} (lost ${inbound}; chunk breaks ${f.chunkBreaks}, sequenceNumber breaks ${f.sequenceBreaks}), echoed ${f.botEchoed} (+${f.botWithheld} held back during probes), caller got ${f.callerReceived} back (${f.echoCleared} still queued at a probe's clear and dropped by it; lost ${outbound})`,
  );
  if (inbound !== 0) console.log(`        ${describeInboundLosses(row.inboundLosses)}`);
  console.log(
    `        probes: tone ${f.toneSent} frames sent, ${f.toneReceived} played, ${f.toneSent - f.toneReceived} dropped by clear; marks ${f.marksSent} sent, ${f.marksEchoed} echoed`,
  );
  console.log(
    `        clear-to-silence ${fmt(row.clear, 1)} over ${row.probes} probes (${row.probesWithoutTone} heard no audio from before their clear)`,
  );
  console.log(
    `        records: ${r.records} (${Object.entries(r.verdicts)
      .map(([k, v]) => `${k} ${v}`)
      .join(
        ', ',
      )}); caller frames dropped ${r.callerFramesDropped} and filled in ${r.callerFramesFilled}, bot samples dropped at the bound ${r.botSamplesDropped}, agent frames dropped late ${r.framesDroppedLate}, bot messages ignored ${r.ignored}`,
  );
  console.log(
    `        media: ${r.packetsReceived} caller packets received, ${r.packetsLost} lost, ${r.framesConcealed} frames concealed, ${r.callerFramesDroppedHeld} dropped while held for the agent; bridge warnings: ${
      Object.entries(row.warnings)
        .map(([msg, n]) => `${msg} ×${n}`)
        .join('; ') || 'none'
    }`,
  );
  console.log(`        CPU % of one core: ${Object.keys(row.cpu).map(per).join(', ')}`);
  console.log(
    `        waiting for a CPU (ms/s): ${Object.entries(row.runDelay)
      .map(([n, v]) => `${n} ${v.toFixed(0)}`)
      .join(', ')}`,
  );
  const mib = (n: number): string => n.toFixed(1);
  console.log(
    `        agent heapUsed after GC: ${mib(row.heap.idle)} MiB before, ${mib(row.heap.loaded)} MiB with the calls up (${(((row.heap.loaded - row.heap.idle) * 1024) / row.calls).toFixed(0)} KiB/call), ${mib(row.heap.after)} MiB after they ended`,
  );
}

export function printKnee(rows: LevelRow[]): void {
  const bad = rows.find((row) => !healthy(row));
  const good = [...rows].reverse().find(healthy);
  const targets = `p99 pacing ≤ ${PACING_TARGET_MS} ms, clear-to-silence p99 ≤ ${CLEAR_TARGET_MS} ms, every call answered, no frame lost`;
  if (!bad) console.log(`  no knee up to ${rows.at(-1)?.calls ?? 0} calls (every level met ${targets})`);
  else
    console.log(
      `  knee between ${good?.calls ?? 0} and ${bad.calls} calls (first level missing ${targets}: ${bad.calls})`,
    );
  for (let i = 1; i < rows.length; i++) {
    const [a, b] = [rows[i - 1] as LevelRow, rows[i] as LevelRow];
    const ratio = (name: string): string => ((b.cpu[name] ?? NaN) / (a.cpu[name] ?? NaN)).toFixed(2);
    console.log(
      `  ${a.calls} → ${b.calls} calls (×${(b.calls / a.calls).toFixed(1)}): CPU ×${ratio('media')} media, ×${ratio('agent')} agent, ×${ratio('signaling')} signaling, ×${ratio('bot')} bot; p99 pacing ×${(b.pacing.p99 / a.pacing.p99).toFixed(2)}`,
    );
  }
}
