import { z } from 'zod';
import { VoicebridgeError } from '../errors.ts';
import { EchoAgentConfigSchema } from './echo-agent-config.ts';
import { LlmAgentConfigSchema } from './llm-agent-config.ts';
import { RealtimeAgentConfigSchema } from './realtime-agent-config.ts';
import { ScriptedAgentConfigSchema } from './scripted-agent-config.ts';
import { WebsocketAgentConfigSchema } from './websocket-agent-config.ts';

/**
 * What answers a number, by `kind`. Each kind's settings live in its own schema file beside this
 * one; adding a kind is one file, one entry here and one in AGENT_KINDS (the compiler checks that
 * the two agree), and only that kind's fields are accepted for it.
 */
export const AgentConfigSchema = z.discriminatedUnion('kind', [
  EchoAgentConfigSchema,
  ScriptedAgentConfigSchema,
  LlmAgentConfigSchema,
  WebsocketAgentConfigSchema,
  RealtimeAgentConfigSchema,
]);
export type AgentConfig = z.infer<typeof AgentConfigSchema>;
export type AgentKindName = AgentConfig['kind'];

/** Listed as a record so that a kind missing here (or here but not in the union) fails to compile. */
const KINDS: Record<AgentKindName, true> = { echo: true, scripted: true, llm: true, websocket: true, realtime: true };
export const AGENT_KINDS = Object.keys(KINDS) as [AgentKindName, ...AgentKindName[]];

/** The agent config of one kind; a mismatch means the caller dispatched on the wrong kind. */
export function agentConfigOf<K extends AgentKindName>(agent: AgentConfig, kind: K): Extract<AgentConfig, { kind: K }> {
  if (agent.kind !== kind) {
    throw new VoicebridgeError('VB_CONFIG_INVALID', `agent: expected kind ${kind}, the number has ${agent.kind}`);
  }
  return agent as Extract<AgentConfig, { kind: K }>;
}
