import type { TurnUsage } from '@voicebridge/protocol';

/** An agent's cumulative counters (`AgentKind.usage()`); a turn's share is a difference of two. */
export type UsageCounters = Readonly<Record<string, number>>;

/** What the caller's side of a turn costs: the recogniser hears everything up to the final. */
const CALLER_KEYS = ['sttAudioSeconds'] as const;
/** What the answer costs: synthesis and the model, from the final on. */
const ANSWER_KEYS = ['ttsCharacters', 'promptTokens', 'completionTokens'] as const;

/** STT audio sent between the previous final (`from`) and this one (`to`). */
export function callerShare(from: UsageCounters | undefined, to: UsageCounters | undefined): TurnUsage | undefined {
  return share(CALLER_KEYS, from, to);
}

/** TTS characters and model tokens from a turn's final (`from`) to the next final or the call's end (`to`). */
export function answerShare(from: UsageCounters | undefined, to: UsageCounters | undefined): TurnUsage | undefined {
  return share(ANSWER_KEYS, from, to);
}

/** `extra` added to `usage` field by field (a takeover's new owner adds its part to a turn). */
export function addUsage(usage: TurnUsage | undefined, extra: TurnUsage | undefined): TurnUsage | undefined {
  if (extra === undefined) return usage;
  const sum: Record<string, number> = { ...usage };
  for (const [key, value] of Object.entries(extra)) sum[key] = round(key, (sum[key] ?? 0) + value);
  return sum;
}

function share(
  keys: readonly (keyof TurnUsage)[],
  from: UsageCounters | undefined,
  to: UsageCounters | undefined,
): TurnUsage | undefined {
  if (to === undefined) return undefined;
  const usage: Record<string, number> = {};
  for (const key of keys) {
    const now = to[key];
    if (now === undefined) continue;
    // A counter never goes down; a negative share would only come from a kind that reset one.
    usage[key] = round(key, Math.max(0, now - (from?.[key] ?? 0)));
  }
  return Object.keys(usage).length === 0 ? undefined : usage;
}

/** Seconds to the centisecond (binary fractions would print as 1.2000000000000002); counts stay whole. */
function round(key: string, value: number): number {
  return key === 'sttAudioSeconds' ? Math.round(value * 100) / 100 : Math.round(value);
}
