import { HttpError } from '@voicebridge/http';
import { configPathText } from '@voicebridge/protocol';
import { describeIssues, type ConfigIssue } from '@voicebridge/store';

/**
 * A 400 naming the first offending field: `field` is its path (`agent.llm.maxTokens`), the message
 * is the same `path: message` text the store's validation gives the CLI, from the same zod schema.
 */
export function invalidField(
  issues: readonly ConfigIssue[],
  code: 'VB_CONFIG_INVALID' | 'VB_BAD_MESSAGE' = 'VB_CONFIG_INVALID',
): HttpError {
  const first = issues[0];
  const field = first === undefined || first.path.length === 0 ? 'body' : configPathText(first.path);
  return new HttpError(code, describeIssues(issues), field);
}

/** zod issues of a query string or body parse, as ConfigIssues. */
export function issuesOf(
  issues: readonly { path: readonly PropertyKey[]; message: string; keys?: readonly string[] }[],
): ConfigIssue[] {
  return issues.map((issue) => {
    // An unknown parameter is named itself, not the object that holds it.
    const unknown = issue.keys?.[0];
    const path = unknown === undefined ? issue.path : [...issue.path, unknown];
    return { path: path.map((p) => (typeof p === 'number' ? p : String(p))), message: issue.message };
  });
}

/** The JSON body as an object, or a 400 naming `body`. */
export function objectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError('VB_BAD_MESSAGE', 'body: must be a JSON object', 'body');
  }
  return body as Record<string, unknown>;
}
