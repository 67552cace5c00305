import type { OutboundHttp } from '@voicebridge/outbound';
import { DTMF_DIGITS_PATTERN, VoicebridgeError, type WebhookTool } from '@voicebridge/protocol';
import type { Logger } from 'pino';
import type { ToolCall, ToolDefinition } from '../llm/language-model.ts';
import {
  runTransferTool,
  transferCallTool,
  TRANSFER_CALL_TOOL_NAME,
  type TransferToolOptions,
} from './transfer-tool.ts';

/** Hanging up is done by the agent itself, after what the model said was played. */
export const END_CALL_TOOL: ToolDefinition = {
  name: 'end_call',
  description: 'Ends the phone call. Say goodbye in the same answer before calling it.',
  parameters: { type: 'object', properties: {}, additionalProperties: false },
};

export const SEND_DTMF_TOOL: ToolDefinition = {
  name: 'send_dtmf',
  description: 'Presses telephone keys on this call (e.g. to navigate a phone menu): digits 0-9, *, #, A-D.',
  parameters: {
    type: 'object',
    properties: { digits: { type: 'string', description: 'The keys to press, in order, e.g. "1" or "1234#".' } },
    required: ['digits'],
    additionalProperties: false,
  },
};

/** The longest webhook reply handed to the model. */
const WEBHOOK_REPLY_MAX_CHARS = 4096;
/** The most of a webhook reply read at all: a reply past it is an error, not a flood. */
const WEBHOOK_REPLY_MAX_BYTES = 64 * 1024;

export interface CallToolsOptions {
  callId: string;
  number: string;
  webhooks: readonly WebhookTool[];
  /** Webhooks are called through it (the outbound URL policy: checked addresses, no redirects). */
  http: OutboundHttp | undefined;
  /** The number allows plain http to hosts other than localhost. */
  insecure: boolean;
  /** Sends RFC 4733 key presses; `telephoneEvent` says whether the call negotiated them. */
  dtmf: { telephoneEvent: () => boolean | undefined; send: (digits: string) => void };
  /** `transfer_call`, offered when the number has transferTargets. */
  transfer?: TransferToolOptions;
  log: Logger;
}

/**
 * The tools of one llm call besides `end_call`: `send_dtmf` and the number's HTTP webhooks. Each
 * call's result is a JSON string for the model; a failure is a result too (`{"error": ...}`), never
 * a thrown error, so the model can tell the caller. Webhooks run on the event loop like any I/O:
 * the reply already queued keeps playing while they run.
 */
export class CallTools {
  readonly #options: CallToolsOptions;
  readonly definitions: ToolDefinition[];

  constructor(options: CallToolsOptions) {
    this.#options = options;
    this.definitions = [
      END_CALL_TOOL,
      SEND_DTMF_TOOL,
      ...(offersTransfer(options) ? [transferCallTool(options.transfer.targets)] : []),
      ...options.webhooks.map((tool) => ({
        name: tool.name,
        description: tool.description,
        parameters: tool.parameters,
      })),
    ];
  }

  /** Runs every call at once; results in the calls' order. */
  runAll(calls: readonly ToolCall[], signal: AbortSignal): Promise<string[]> {
    return Promise.all(calls.map((call) => this.run(call, signal)));
  }

  async run(call: ToolCall, signal: AbortSignal): Promise<string> {
    if (call.name === END_CALL_TOOL.name) return JSON.stringify({ ok: true });
    const args = parseArguments(call.arguments);
    if (args === undefined) return JSON.stringify({ error: `the arguments of ${call.name} are not a JSON object` });
    if (call.name === SEND_DTMF_TOOL.name) return this.#sendDtmf(args);
    // A tool that was not offered is not run, even when the model names it anyway.
    if (call.name === TRANSFER_CALL_TOOL_NAME && offersTransfer(this.#options))
      return runTransferTool(args, this.#options.transfer, signal);
    const webhook = this.#options.webhooks.find((tool) => tool.name === call.name);
    if (webhook === undefined) return JSON.stringify({ error: `tool ${call.name} is not available on this call` });
    return this.#callWebhook(webhook, args, signal);
  }

  #sendDtmf(args: Record<string, unknown>): string {
    const digits = args['digits'];
    if (typeof digits !== 'string' || !DTMF_DIGITS_PATTERN.test(digits)) {
      return JSON.stringify({ error: 'digits must be 1 to 32 of 0-9, *, #, A-D' });
    }
    if (this.#options.dtmf.telephoneEvent() === false) {
      return JSON.stringify({ error: 'this call did not negotiate telephone-event (RFC 4733): keys cannot be sent' });
    }
    this.#options.dtmf.send(digits);
    return JSON.stringify({ ok: true, sent: digits });
  }

  async #callWebhook(tool: WebhookTool, args: Record<string, unknown>, signal: AbortSignal): Promise<string> {
    const { callId, number, log, http, insecure } = this.#options;
    const startedMs = performance.now();
    try {
      if (http === undefined) throw new VoicebridgeError('VB_CONFIG_INVALID', 'no outbound HTTP client');
      const response = await http.request(
        tool.url,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ callId, number, tool: tool.name, arguments: args }),
          signal: AbortSignal.any([signal, AbortSignal.timeout(tool.timeoutMs)]),
        },
        {
          insecure,
          maxResponseBytes: WEBHOOK_REPLY_MAX_BYTES,
          // The tool's own timeout (the model hears it named) fires before the connection's.
          headersTimeoutMs: tool.timeoutMs + 1000,
          what: `webhook tool ${tool.name}`,
        },
      );
      const text = (await response.text()).slice(0, WEBHOOK_REPLY_MAX_CHARS);
      log.info(
        { tool: tool.name, status: response.status, ms: Math.round(performance.now() - startedMs) },
        'webhook tool answered',
      );
      if (!response.ok)
        return JSON.stringify({ error: `the ${tool.name} service answered HTTP ${response.status}`, body: text });
      return text === '' ? JSON.stringify({ ok: true }) : text;
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      // The operator's log says why (a refused address, a reply too long); the model only that it failed.
      const why = error instanceof VoicebridgeError ? error.message : undefined;
      log.warn({ tool: tool.name, timedOut, why }, 'webhook tool failed');
      return JSON.stringify({
        error: timedOut
          ? `the ${tool.name} service did not answer within ${tool.timeoutMs} ms`
          : `the ${tool.name} service could not be reached`,
      });
    }
  }
}

function parseArguments(raw: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(raw === '' ? '{}' : raw);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** `transfer_call` is offered (and run) only when the number allows some target. */
function offersTransfer(options: CallToolsOptions): options is CallToolsOptions & { transfer: TransferToolOptions } {
  return options.transfer !== undefined && options.transfer.targets.length > 0;
}
