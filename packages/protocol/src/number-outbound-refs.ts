import { parseCidrList } from './bridge-config.ts';
import { checkOutboundUrl, type OutboundUrlKind } from './outbound-url.ts';
import type { SecretEnvAllowList } from './secret-env.ts';

/**
 * Where a number config names a secret variable or a URL the agent will connect to, found by the
 * naming rule every config field follows: a field whose name ends in `Env` (`apiKeyEnv`, `keyEnv`,
 * `secretEnv`) holds an environment variable's NAME; a field named `url` or ending in `Url`
 * (`baseUrl`) holds a URL. A new block (a bot, a model, an engine, event hooks) that follows the rule
 * is checked at `numbers set` and at claim without touching this file.
 */
export interface ConfigReference {
  /** Where in the config: `['agent', 'llm', 'apiKeyEnv']`, `['agent', 'tools', 0, 'url']`. */
  path: (string | number)[];
  value: string;
}

/** A problem at a place in the config, shaped like the schema's own issues. */
export interface OutboundProblem {
  path: (string | number)[];
  message: string;
}

export function secretEnvReferences(config: unknown): ConfigReference[] {
  return references(config, (key) => /Env$/.test(key));
}

export function outboundUrlReferences(config: unknown): ConfigReference[] {
  return references(config, (key) => key === 'url' || /Url$/.test(key));
}

export interface NumberOutboundRules {
  secretEnv: SecretEnvAllowList;
  /** OUTBOUND_DENY_CIDRS as written (`none` or a list). */
  denyCidrs: string;
}

/**
 * The static half of both policies over a whole number config: every key variable on the
 * allow-list, every URL passing `checkOutboundUrl` under the number's `insecure` flag. One problem
 * per field; empty when the config may be used. Never quotes a URL's path.
 */
export function numberOutboundProblems(config: unknown, rules: NumberOutboundRules): OutboundProblem[] {
  const problems: OutboundProblem[] = [];
  for (const { path, value } of secretEnvReferences(config)) {
    if (!rules.secretEnv.allows(value)) problems.push({ path, message: rules.secretEnv.refusal(value) });
  }
  const insecure = isRecord(config) && config['insecure'] === true;
  const denyCidrs = parseCidrList(rules.denyCidrs);
  for (const { path, value } of outboundUrlReferences(config)) {
    const checked = checkOutboundUrl(value, urlKind(value), { insecure, denyCidrs });
    if ('refused' in checked)
      problems.push({ path, message: `refused by the outbound URL policy: ${checked.refused}` });
  }
  return problems;
}

/** `agent.tools[0].url`: a config path as the docs write it. */
export function configPathText(path: readonly (string | number)[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? key : `.${key}`)).join('');
}

/** A ws:// or wss:// URL is a socket's; everything else is judged as HTTP. */
export function urlKind(url: string): OutboundUrlKind {
  return /^wss?:/i.test(url) ? 'websocket' : 'http';
}

function references(config: unknown, matches: (key: string) => boolean): ConfigReference[] {
  const found: ConfigReference[] = [];
  const walk = (value: unknown, path: (string | number)[]): void => {
    if (Array.isArray(value)) {
      value.forEach((item, index) => walk(item, [...path, index]));
    } else if (isRecord(value)) {
      for (const [key, child] of Object.entries(value)) {
        // A webhook tool's `parameters` is a JSON Schema shown to the model, not config: its keys are the user's.
        if (key === 'parameters') continue;
        const at = [...path, key];
        if (typeof child === 'string' && matches(key)) found.push({ path: at, value: child });
        else walk(child, at);
      }
    }
  };
  walk(config, []);
  return found;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
