import type { TransferProgressMessage } from '@voicebridge/protocol';
import type { ToolDefinition } from '../llm/language-model.ts';

export const TRANSFER_CALL_TOOL_NAME = 'transfer_call';

/** Transfers the call: runs the transfer and waits for its outcome. */
export interface TransferToolOptions {
  /** The number's `transferTargets` (offered to the model; signaling enforces them). */
  targets: readonly string[];
  run: (target: string, signal: AbortSignal) => Promise<TransferProgressMessage>;
}

/** `transfer_call`, offered only when the number allows some target; the description names them. */
export function transferCallTool(targets: readonly string[]): ToolDefinition {
  return {
    name: TRANSFER_CALL_TOOL_NAME,
    description:
      'Transfers the caller to another phone number or SIP address (the call then leaves you). Tell the caller first. ' +
      `Allowed targets (* matches anything): ${targets.join(', ')}. If the transfer fails you stay on the call.`,
    parameters: {
      type: 'object',
      properties: {
        target: { type: 'string', description: 'The number (e.g. "+15550123") or sip:/tel: URI to transfer to.' },
      },
      required: ['target'],
      additionalProperties: false,
    },
  };
}

/** Runs a `transfer_call`; the result is JSON for the model: a failure says why and that the call goes on. */
export async function runTransferTool(
  args: Record<string, unknown>,
  options: TransferToolOptions,
  signal: AbortSignal,
): Promise<string> {
  const target = args['target'];
  if (typeof target !== 'string' || target.trim() === '' || target.length > 256) {
    return JSON.stringify({ error: 'target must be a number or a sip:/tel: URI' });
  }
  const outcome = await options.run(target.trim(), signal);
  if (outcome.state === 'success')
    return JSON.stringify({ ok: true, transferred: target.trim(), status: outcome.status });
  return JSON.stringify({
    error: `the transfer to ${target.trim()} failed: ${outcome.reason ?? 'no reason given'}`,
    ...(outcome.status !== undefined && { status: outcome.status }),
    ...(outcome.code !== undefined && { code: outcome.code }),
    callContinues: true,
  });
}
