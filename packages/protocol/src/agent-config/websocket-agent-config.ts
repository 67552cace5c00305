import { z } from 'zod';
import { EnvVarNameSchema } from '../config-fields.ts';

/** Twilio's account id shape (`AC` + 32 hex): bots that check it find one they can parse. */
export const ACCOUNT_SID_PATTERN = /^AC[0-9a-f]{32}$/;

/** A stream parameter's name, as `start.customParameters` carries it. */
export const STREAM_PARAMETER_NAME_PATTERN = /^[A-Za-z0-9_]{1,64}$/;

/**
 * Parameters the bridge always sends in `start.customParameters`: a number may not set them, so a
 * bot can trust them (Pipecat promotes `from_number`/`to_number` to the call's caller and callee).
 */
export const RESERVED_STREAM_PARAMETERS = ['from_number', 'to_number', 'callId', 'sipCallId', 'reconnect'] as const;

/** Headers of the WebSocket upgrade itself or of the signature: a number may not set them. */
const RESERVED_HEADERS = /^(host|connection|upgrade|origin|sec-websocket-.*|x-twilio-signature|content-length)$/i;

/** A ws(s) URL with no user or password in it: credentials come from environment variables only. */
export const WebsocketUrlSchema = z
  .string()
  .max(2000)
  .refine((value) => isWebsocketUrlWithoutCredentials(value), 'must be a ws:// or wss:// URL without credentials');

/** One header of the upgrade: its value is read from the agent worker's variable `valueEnv`, never stored. */
export const WebsocketHeaderSchema = z.object({
  name: z
    .string()
    .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/, 'must be an HTTP header name')
    .refine((name) => !RESERVED_HEADERS.test(name), 'is set by the bridge itself'),
  valueEnv: EnvVarNameSchema,
});
export type WebsocketHeader = z.infer<typeof WebsocketHeaderSchema>;

/** Names are checked here rather than as the record's key schema: zod says only "Invalid key in record" there. */
export const StreamParametersSchema = z.record(z.string(), z.string().max(500)).superRefine((parameters, ctx) => {
  const names = Object.keys(parameters);
  if (names.length > 20) ctx.addIssue({ code: 'custom', message: 'at most 20 parameters' });
  for (const name of names) {
    if (!STREAM_PARAMETER_NAME_PATTERN.test(name)) {
      ctx.addIssue({ code: 'custom', path: [name], message: 'name must be 1-64 of letters, digits and _' });
    } else if ((RESERVED_STREAM_PARAMETERS as readonly string[]).includes(name)) {
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: `is sent by the bridge itself (${RESERVED_STREAM_PARAMETERS.join(', ')})`,
      });
    }
  }
});

/**
 * `websocket`: the call is streamed to the number's own bot as a Twilio Media Streams client
 * (docs/agents.md, "Bring your own bot"). The bot is the server at `url`; `parameters` reach it in
 * `start.customParameters` beside the bridge's own; header values and the signing token come from
 * allow-listed environment variables named here.
 */
export const WebsocketAgentConfigSchema = z.object({
  kind: z.literal('websocket'),
  url: WebsocketUrlSchema,
  parameters: StreamParametersSchema.optional(),
  headers: z.array(WebsocketHeaderSchema).max(20).optional(),
  /** The NAME of the variable holding the token the upgrade's `X-Twilio-Signature` is computed with. */
  authTokenEnv: EnvVarNameSchema.optional(),
  /** The `accountSid` the bot sees (and the REST route's account); derived from the number when absent. */
  accountSid: z.string().regex(ACCOUNT_SID_PATTERN, 'must be AC and 32 lower-case hex digits').optional(),
  /** How long an abnormally closed socket is retried before the call ends; absent: not retried. */
  reconnectMs: z.number().int().min(100).max(600_000).optional(),
  /**
   * The record gets a transcript of both sides, the caller's audio and the bot's each through the
   * worker's offline recogniser (two recogniser streams per call: CPU, hence off by default).
   */
  transcribe: z.boolean().optional(),
  /** The longest the bot may take to accept the socket before the call is refused (503). */
  connectTimeoutMs: z.number().int().min(100).max(30_000).default(3000),
});
export type WebsocketAgentConfig = z.infer<typeof WebsocketAgentConfigSchema>;

function isWebsocketUrlWithoutCredentials(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (url.protocol === 'ws:' || url.protocol === 'wss:') && url.username === '' && url.password === '';
}
