import { z } from 'zod';
import type { AgentConfig } from './agent-config/agent-config.ts';
import { KeywordAnswerSchema } from './agent-config/scripted-agent-config.ts';
import { LlmConfigSchema, WebhookToolSchema } from './agent-config/llm-agent-config.ts';
import { E164_PATTERN } from './ids.ts';
import { NumberConfigSchema, RecordingConfigSchema, type NumberConfig } from './number-config.ts';
import { TransferTargetPatternSchema } from './transfer.ts';

/**
 * Number config v1, kept so that records and queued jobs written before v2 are still read (ADR 0001:
 * readers accept both versions for one release). Remove it, with its upgrade, one release after v2.
 * v1 had every kind's fields side by side with `agent` naming the kind.
 */
export const NumberConfigV1Schema = z.object({
  version: z.literal(1),
  number: z.string().regex(E164_PATTERN, 'must be E.164: + then 7 to 15 digits'),
  agent: z.enum(['echo', 'scripted', 'llm']),
  enabled: z.boolean(),
  greeting: z.string().max(1000).optional(),
  answers: z.array(KeywordAnswerSchema).max(100),
  fallback: z.string().max(1000).optional(),
  prompt: z.string().max(20000).optional(),
  voice: z.string().max(64).optional(),
  llm: LlmConfigSchema.optional(),
  recording: RecordingConfigSchema.optional(),
  tools: z.array(WebhookToolSchema).max(20).optional(),
  maxCallDurationS: z.number().int().min(1).max(86_400).optional(),
  noInputTimeoutS: z.number().int().min(1).max(3600).optional(),
  transferTargets: z.array(TransferTargetPatternSchema).max(50).optional(),
  configVersion: z.number().int().nonnegative(),
  updatedAtMs: z.number().int().nonnegative(),
});
export type NumberConfigV1 = z.infer<typeof NumberConfigV1Schema>;

/**
 * The v2 form of a v1 config. Fields of the kinds the number does not use (a scripted number's
 * prompt left from when it was llm) are dropped: v2 has no place for them and no agent read them.
 * An llm number with no llm config could never take a call; it has no v2 form and reads as invalid.
 */
export function upgradeNumberConfigV1(v1: NumberConfigV1): NumberConfig | { error: string } {
  const { greeting, answers, fallback, prompt, voice, llm, tools } = v1;
  let agent: AgentConfig;
  switch (v1.agent) {
    case 'echo':
      agent = definedOnly({ kind: 'echo', greeting });
      break;
    case 'scripted':
      agent = definedOnly({ kind: 'scripted', greeting, answers, fallback });
      break;
    case 'llm':
      if (llm === undefined)
        return { error: 'agent llm has no llm config (v1 record): set --llm-base-url and --llm-model' };
      agent = definedOnly({ kind: 'llm', greeting, prompt, llm, tools });
      break;
  }
  return definedOnly({
    version: 2,
    number: v1.number,
    enabled: v1.enabled,
    agent,
    engines: voice === undefined ? undefined : { tts: { provider: 'flite', voice } },
    recording: v1.recording,
    maxCallDurationS: v1.maxCallDurationS,
    noInputTimeoutS: v1.noInputTimeoutS,
    transferTargets: v1.transferTargets,
    configVersion: v1.configVersion,
    updatedAtMs: v1.updatedAtMs,
  });
}

/**
 * A number config as stored in Redis or carried in a call job: either version, always read as v2.
 * Use it wherever a config is received; NumberConfigSchema is what is written.
 */
export const StoredNumberConfigSchema = z.discriminatedUnion('version', [
  NumberConfigSchema,
  NumberConfigV1Schema.transform((v1, ctx) => {
    const upgraded = upgradeNumberConfigV1(v1);
    if ('error' in upgraded) {
      ctx.addIssue({ code: 'custom', path: ['agent'], message: upgraded.error });
      return z.NEVER;
    }
    return upgraded;
  }),
]);

/** Drops keys whose value is undefined, so an upgraded config equals one written as v2. */
function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
