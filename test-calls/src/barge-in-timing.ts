import type { TappedPacket } from './rtp-tap.ts';

/** A packet at or over this level carries voice (flite's pauses between words sit under -50 dBFS). */
export const VOICED_DB = -45;
/** Agent silence that ends a stretch of its voice: longer than any pause inside a flite sentence. */
const SILENCE_AFTER_MS = 1000;

export interface BargeInTiming {
  /** The caller's first voiced packet after `afterMs`. */
  onsetMs: number;
  /** The agent's last voiced packet before it fell silent for a second or more. */
  lastVoicedMs: number;
  /** lastVoicedMs - onsetMs. */
  yieldMs: number;
}

/**
 * From both RTP streams as tapped on the wire: when the caller started to talk over the agent (its
 * first voiced packet while the agent's voice was flowing), and the agent's last voiced packet
 * before a silence of at least a second (the greeting's own pauses are far shorter). Undefined
 * when the caller never talked or the agent never fell silent.
 */
export function bargeInTiming(packets: readonly TappedPacket[], afterMs: number): BargeInTiming | undefined {
  const onset = packets.find((p) => p.from === 'caller' && p.atMs > afterMs && p.levelDb >= VOICED_DB);
  if (onset === undefined) return undefined;
  const agent = packets.filter((p) => p.from === 'agent' && p.atMs >= onset.atMs - 100);
  let lastVoiced: TappedPacket | undefined;
  for (const packet of agent) {
    if (packet.levelDb < VOICED_DB) {
      if (lastVoiced && packet.atMs - lastVoiced.atMs >= SILENCE_AFTER_MS) break;
      continue;
    }
    if (lastVoiced && packet.atMs - lastVoiced.atMs >= SILENCE_AFTER_MS) break;
    lastVoiced = packet;
  }
  if (lastVoiced === undefined) return undefined;
  const last = agent.at(-1);
  if (last === undefined || last.atMs - lastVoiced.atMs < SILENCE_AFTER_MS) return undefined;
  return { onsetMs: onset.atMs, lastVoicedMs: lastVoiced.atMs, yieldMs: lastVoiced.atMs - onset.atMs };
}
