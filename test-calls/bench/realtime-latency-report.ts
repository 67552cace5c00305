import { fmt, summarize, type Summary } from '../../packages/media/bench/bench-stats.ts';

/** Stamped frames seen at one point of the path: id and monotonic µs, index for index. */
export interface Notes {
  ids: ArrayLike<number>;
  atUs: ArrayLike<number>;
}

/** A hop between two points: the time of each id from the first point to the second. */
export interface Hop {
  name: string;
  span: Summary;
  /** Ids noted at the start point (before the cut-off) and how many of them reached the end point. */
  started: number;
  followed: number;
}

function byId(notes: Notes): Map<number, number> {
  const map = new Map<number, number>();
  for (let i = 0; i < notes.ids.length; i++) {
    const id = notes.ids[i] as number;
    if (!map.has(id)) map.set(id, notes.atUs[i] as number);
  }
  return map;
}

/** The part of the window whose ids are followed: every point was noting by `fromUs`, and until `untilUs` plus a drain. */
export interface Followed {
  fromUs: number;
  untilUs: number;
}

/**
 * Follows each id from `from` to `to`. Only ids noted at `from` within `window` count: one noted
 * earlier may have passed `to` before that point was noting, one noted later may still have been
 * on its way when the notes stopped.
 */
export function hop(name: string, from: Notes, to: Notes, window: Followed): Hop {
  const arrivals = byId(to);
  const ms: number[] = [];
  let started = 0;
  for (const [id, atUs] of byId(from)) {
    if (atUs < window.fromUs || atUs >= window.untilUs) continue;
    started++;
    const end = arrivals.get(id);
    if (end !== undefined) ms.push((end - atUs) / 1000);
  }
  return { name, span: summarize(ms), started, followed: ms.length };
}

export interface LevelRow {
  calls: number;
  answered: number;
  loadStart: string;
  loadEnd: string;
  windowS: number;
  responses: number;
  /** (a) and (b) as the bench's header defines them, then every hop of each direction. */
  spanA: Hop;
  spanB: Hop;
  inbound: Hop[];
  outbound: Hop[];
  endToEnd: Hop[];
  cpu: Record<string, number>;
  /** ms per second each process's main thread was runnable but waiting for a CPU (a loaded machine). */
  runDelay: Record<string, number>;
  overflow: number;
  modelMalformed: number;
  records: { records: number; verdicts: Record<string, number> };
  warnings: Record<string, number>;
}

function hopLine(h: Hop, width = 48): string {
  const lost = h.started - h.followed;
  return `${h.name.padEnd(width)} ${fmt(h.span, 2)}  (n=${h.followed}${lost > 0 ? `, ${lost} of ${h.started} not followed` : ''})`;
}

export function printRow(row: LevelRow): void {
  console.log(
    `  ${String(row.calls).padStart(3)} calls (${row.answered} answered; load ${row.loadStart} at start, ${row.loadEnd} at end; ${row.windowS.toFixed(1)} s measured with all up; ${row.responses} model responses)`,
  );
  console.log(`        ${hopLine(row.spanA)}`);
  console.log(`        ${hopLine(row.spanB)}`);
  console.log('        caller → model, hop by hop:');
  for (const h of row.inbound) console.log(`          ${hopLine(h, 46)}`);
  console.log('        model → caller, hop by hop:');
  for (const h of row.outbound) console.log(`          ${hopLine(h, 46)}`);
  console.log('        end to end (both sockets, both event loops):');
  for (const h of row.endToEnd) console.log(`          ${hopLine(h, 46)}`);
  const cpu = Object.entries(row.cpu)
    .map(([name, pct]) => `${name} ${pct.toFixed(1)}%`)
    .join(', ');
  const waited = Object.entries(row.runDelay)
    .map(([name, ms]) => `${name} ${ms.toFixed(0)}`)
    .join(', ');
  console.log(`        CPU % of one core: ${cpu}; ms per s waiting for a CPU: ${waited}`);
  const verdicts = Object.entries(row.records.verdicts)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const warnings =
    Object.entries(row.warnings)
      .map(([msg, n]) => `${msg} ×${n}`)
      .join('; ') || 'none';
  console.log(
    `        records: ${row.records.records} (${verdicts}); probe samples over the bound ${row.overflow}; model: malformed client events ${row.modelMalformed}; bridge warnings: ${warnings}`,
  );
}

/** One line per size, for the lead to compare runs by eye. */
export function printSummary(rows: LevelRow[]): void {
  for (const row of rows) {
    const a = row.spanA.span;
    const b = row.spanB.span;
    console.log(
      `realtime bridge-added latency, ${row.calls} calls: (a) caller frame → append p50 ${a.p50.toFixed(2)} / p99 ${a.p99.toFixed(2)} ms (n=${a.count}); (b) delta → first RTP p50 ${b.p50.toFixed(2)} / p99 ${b.p99.toFixed(2)} ms (n=${b.count}); load average ${row.loadStart} → ${row.loadEnd}`,
    );
  }
}
