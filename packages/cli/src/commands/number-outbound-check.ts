import { OutboundPolicy, OutboundRefusedError } from '@voicebridge/outbound';
import {
  checkOutboundUrl,
  configPathText,
  numberOutboundProblems,
  outboundUrlReferences,
  parseCidrList,
  SecretEnvAllowList,
  type ConfigReference,
  type OutboundProblem,
} from '@voicebridge/protocol';
import type { CliContext, OutboundRules, Output } from '../cli-context.ts';
import { FIELD_FLAGS } from './number-flags.ts';

export function outboundRulesOf(ctx: CliContext): OutboundRules {
  return ctx.outbound ?? { secretEnv: SecretEnvAllowList.default(), denyCidrs: 'none' };
}

/** The URLs this command line sets: URL flags (`--llm-base-url`) and the webhook tools' `url`s. */
export function urlsGiven(given: ReadonlyMap<string, string>, webhookTools: unknown): ConfigReference[] {
  const flags = FIELD_FLAGS.flatMap(({ flag, path }) => {
    const value = given.get(flag);
    const last = path[path.length - 1] ?? '';
    return value !== undefined && value !== '' && (last === 'url' || last.endsWith('Url'))
      ? [{ path: [...path], value }]
      : [];
  });
  const tools = outboundUrlReferences(webhookTools ?? []).map(({ path, value }) => ({
    path: ['agent', 'tools', ...path],
    value,
  }));
  return [...flags, ...tools];
}

/** The static checks over the whole config about to be saved (see `numberOutboundProblems`). */
export function staticOutboundProblems(config: unknown, rules: OutboundRules): OutboundProblem[] {
  return numberOutboundProblems(config, rules);
}

/**
 * The URLs given on this command line, resolved here: a name that resolves to a refused address is
 * a problem; a name that does not resolve here (it may only exist where the agents run) is a warning,
 * and the agent checks it when it connects. Scheme and loopback rules are the static check's.
 */
export async function resolvedOutboundProblems(
  urls: readonly ConfigReference[],
  rules: OutboundRules,
  warn: Output,
): Promise<OutboundProblem[]> {
  const denyCidrs = parseCidrList(rules.denyCidrs);
  const policy = new OutboundPolicy({ denyCidrs, resolve: rules.resolve });
  const problems: OutboundProblem[] = [];
  for (const { path, value } of urls) {
    const checked = checkOutboundUrl(value, /^wss?:/i.test(value) ? 'websocket' : 'http', {
      insecure: true,
      denyCidrs,
    });
    if ('refused' in checked) continue;
    try {
      await policy.addresses(checked);
    } catch (error) {
      if (error instanceof OutboundRefusedError) {
        problems.push({ path, message: error.message.replace(/^URL /, '') });
      } else {
        const code = (error as { code?: unknown }).code;
        warn.write(
          `voicebridge: warning: ${configPathText(path)}: ${checked.host} does not resolve here` +
            `${typeof code === 'string' ? ` (${code})` : ''}; the agent checks it when it connects\n`,
        );
      }
    }
  }
  return problems;
}
