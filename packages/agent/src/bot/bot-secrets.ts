import type { SecretEnvAllowList, WebsocketAgentConfig } from '@voicebridge/protocol';
import { AgentRefusal } from '../agents/agent-kind.ts';

/** Where a bot's header values and signing token are read: the worker's environment, by allow-list. */
export interface BotSecretSource {
  /** The agent worker's environment, handed in by its `main.ts` (the only module that reads it). */
  env: Readonly<Record<string, string | undefined>>;
  /** AGENT_SECRET_ENV: a variable off the list is refused without being read. */
  secretEnv: SecretEnvAllowList;
}

/** The resolved secrets of one call: held for its length only, sent only in the upgrade's headers. */
export interface BotSecrets {
  headers: Record<string, string>;
  authToken: string | undefined;
}

/**
 * One allow-listed variable of the agent worker's environment, for the number's `field`; refuses the
 * call (503) naming the field and the variable, never a value.
 */
export function readSecretEnv(field: string, name: string, source: BotSecretSource): string {
  if (!source.secretEnv.allows(name))
    throw new AgentRefusal('VB_CONFIG_INVALID', `${field}: ${source.secretEnv.refusal(name)}`);
  const value = source.env[name];
  if (value === undefined || value === '')
    throw new AgentRefusal(
      'VB_CONFIG_INVALID',
      `${field}: environment variable ${name} is not set for the agent worker`,
    );
  if (/[\r\n]/.test(value))
    throw new AgentRefusal('VB_CONFIG_INVALID', `${field}: environment variable ${name} holds a line break`);
  return value;
}

/** Reads the number's header variables and token variable; refuses the call (503) naming a variable, never a value. */
export function resolveBotSecrets(config: WebsocketAgentConfig, source: BotSecretSource): BotSecrets {
  const headers: Record<string, string> = {};
  (config.headers ?? []).forEach((header, i) => {
    headers[header.name] = readSecretEnv(`agent.headers[${i}].valueEnv`, header.valueEnv, source);
  });
  const authToken =
    config.authTokenEnv === undefined ? undefined : readSecretEnv('agent.authTokenEnv', config.authTokenEnv, source);
  return { headers, authToken };
}
