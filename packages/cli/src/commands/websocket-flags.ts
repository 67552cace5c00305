import type { WebsocketHeader } from '@voicebridge/protocol';
import { UsageError } from '../args.ts';
import type { ParsedArgs } from '../args.ts';

/**
 * --websocket-param NAME=VALUE (repeatable): the bot's custom parameters, replacing the whole set
 * when given; a lone "" removes them. Names and values are checked by the schema with the rest.
 */
export function websocketParamsOption(args: ParsedArgs, command: string): Record<string, string> | null | undefined {
  const values = args.strings('websocket-param');
  if (values === undefined) return undefined;
  if (values.length === 1 && values[0] === '') return null;
  const parameters: Record<string, string> = {};
  for (const value of values) {
    const [name, text] = splitPair(value, '--websocket-param', 'NAME=VALUE', command);
    if (Object.hasOwn(parameters, name)) throw new UsageError(`--websocket-param ${name} is given twice`, command);
    parameters[name] = text;
  }
  return parameters;
}

/**
 * --websocket-header NAME=ENV_VAR (repeatable): upgrade headers whose values the agent worker reads
 * from ENV_VAR (on AGENT_SECRET_ENV) at each call; replaces the whole list when given; "" removes them.
 */
export function websocketHeadersOption(args: ParsedArgs, command: string): WebsocketHeader[] | null | undefined {
  const values = args.strings('websocket-header');
  if (values === undefined) return undefined;
  if (values.length === 1 && values[0] === '') return null;
  return values.map((value) => {
    const [name, valueEnv] = splitPair(value, '--websocket-header', 'NAME=ENV_VAR', command);
    return { name, valueEnv };
  });
}

function splitPair(value: string, flag: string, shape: string, command: string): [string, string] {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new UsageError(`invalid ${flag}: must be ${shape}`, command);
  return [value.slice(0, eq), value.slice(eq + 1)];
}
