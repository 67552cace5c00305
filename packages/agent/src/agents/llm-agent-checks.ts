import type { OutboundHttp } from '@voicebridge/outbound';
import { VoicebridgeError, type WebhookTool } from '@voicebridge/protocol';
import { LlmError } from '../llm/llm-error.ts';

/** A 400 to a request with tools: what servers without tool support answer. */
export function refusedTools(error: unknown): boolean {
  return error instanceof LlmError && error.status === 400;
}

/** Before the call is taken: every webhook tool's URL passes the outbound URL policy's static check. */
export function checkWebhookUrls(
  tools: readonly WebhookTool[],
  outbound: OutboundHttp | undefined,
  insecure: boolean,
): void {
  if (tools.length === 0) return;
  if (outbound === undefined)
    throw new VoicebridgeError('VB_CONFIG_INVALID', 'this agent worker makes no outbound requests: webhook tools');
  for (const tool of tools) outbound.policy.check(tool.url, 'http', insecure, `webhook tool ${tool.name}`);
}
