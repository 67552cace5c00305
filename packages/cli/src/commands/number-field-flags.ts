import { FLITE_VOICES } from '@voicebridge/protocol';

/**
 * The `numbers set` flags that each set one field of the number config. What a flag accepts (its
 * type, range, length, the agent kinds it applies to) is read from the config schema, for the help
 * and for converting the value; the value is then checked only by the schema, with everything
 * else, and an error names the flag and quotes the schema's own constraint.
 */
export interface FieldFlag {
  flag: string;
  /** The field in the v2 number config. */
  path: readonly string[];
  /** How the help shows the value. */
  value: string;
  /** What the field is; the constraints are appended from the schema. */
  help: string;
  /** Never quoted back in errors: a key's variable (someone may paste the key itself), a URL (credentials). */
  secret?: boolean;
}

export const FIELD_FLAGS: readonly FieldFlag[] = [
  { flag: 'greeting', path: ['agent', 'greeting'], value: 'TEXT', help: 'what the agent says on answer' },
  {
    flag: 'fallback',
    path: ['agent', 'fallback'],
    value: 'TEXT',
    help: 'reply when no keyword matched; {heard} is what was recognised',
  },
  { flag: 'prompt', path: ['agent', 'prompt'], value: 'TEXT', help: "the model's system prompt" },
  {
    flag: 'llm-base-url',
    path: ['agent', 'llm', 'baseUrl'],
    value: 'URL',
    help: 'OpenAI-compatible endpoint up to the version path, e.g. https://api.openai.com/v1, http://localhost:11434/v1',
    secret: true,
  },
  { flag: 'llm-model', path: ['agent', 'llm', 'model'], value: 'NAME', help: 'model name as the server knows it' },
  {
    flag: 'llm-api-key-env',
    path: ['agent', 'llm', 'apiKeyEnv'],
    value: 'VAR',
    help: "NAME of the agent worker's environment variable that holds the API key, never the key itself",
    secret: true,
  },
  { flag: 'llm-temperature', path: ['agent', 'llm', 'temperature'], value: 'N', help: 'sampling temperature' },
  { flag: 'llm-max-tokens', path: ['agent', 'llm', 'maxTokens'], value: 'N', help: 'longest answer in tokens' },
  {
    flag: 'answer-start',
    path: ['agent', 'answerStart'],
    value: 'partial|final',
    help: 'start the model on a stable interim transcript (absent: partial; streaming recognisers only) or on the final',
  },
  {
    flag: 'partial-stable-ms',
    path: ['agent', 'partialStableMs'],
    value: 'MS',
    help: "an interim transcript is stable once its words and the caller's silence held MS; default 200",
  },
  {
    flag: 'websocket-url',
    path: ['agent', 'url'],
    value: 'URL',
    help: "the bot's Twilio Media Streams endpoint, wss://HOST/PATH (ws:// only to localhost or with --insecure)",
    secret: true,
  },
  {
    flag: 'websocket-auth-token-env',
    path: ['agent', 'authTokenEnv'],
    value: 'VAR',
    help: "NAME of the agent worker's variable holding the token X-Twilio-Signature is computed with",
    secret: true,
  },
  {
    flag: 'websocket-account-sid',
    path: ['agent', 'accountSid'],
    value: 'AC…',
    help: 'the accountSid the bot sees (derived from the number when absent)',
  },
  {
    flag: 'websocket-reconnect-ms',
    path: ['agent', 'reconnectMs'],
    value: 'MS',
    help: 'reconnect a bot socket closed abnormally for up to MS (absent: the call ends)',
  },
  {
    flag: 'websocket-connect-timeout-ms',
    path: ['agent', 'connectTimeoutMs'],
    value: 'MS',
    help: 'how long the bot may take to accept the socket before the caller gets 503',
  },
  {
    flag: 'websocket-transcribe',
    path: ['agent', 'transcribe'],
    value: 'true|false',
    help: "transcribe both sides into the record with the worker's offline recogniser (two recogniser streams a call: CPU)",
  },
  {
    flag: 'realtime-provider',
    path: ['agent', 'realtime', 'provider'],
    value: 'NAME',
    help: 'the speech-to-speech model provider',
  },
  {
    flag: 'realtime-model',
    path: ['agent', 'realtime', 'model'],
    value: 'NAME',
    help: 'the realtime model, e.g. gpt-realtime, gpt-realtime-mini',
  },
  {
    flag: 'realtime-url',
    path: ['agent', 'realtime', 'url'],
    value: 'URL',
    help: "the model's socket when not OpenAI's public one (Azure OpenAI, a proxy, a compatible server); ?model= is added",
    secret: true,
  },
  {
    flag: 'realtime-api-key-env',
    path: ['agent', 'realtime', 'apiKeyEnv'],
    value: 'VAR',
    help: "NAME of the agent worker's environment variable that holds the model's API key, never the key itself",
    secret: true,
  },
  {
    flag: 'realtime-voice',
    path: ['agent', 'realtime', 'voice'],
    value: 'NAME',
    help: "the model's own voice, e.g. marin, cedar, alloy",
  },
  {
    flag: 'turn-detection',
    path: ['agent', 'realtime', 'turnDetection'],
    value: 'MODE',
    help: "who ends the caller's turn: the model's server_vad, its semantic_vad, or the bridge's VAD",
  },
  {
    flag: 'realtime-transcription-model',
    path: ['agent', 'realtime', 'transcriptionModel'],
    value: 'NAME',
    help: 'the model that transcribes the caller for the record (absent: gpt-4o-mini-transcribe)',
  },
  {
    flag: 'realtime-connect-timeout-ms',
    path: ['agent', 'realtime', 'connectTimeoutMs'],
    value: 'MS',
    help: 'how long the model may take to accept and configure the session before the caller gets 503',
  },
  {
    flag: 'realtime-renew-after-ms',
    path: ['agent', 'realtime', 'renewAfterMs'],
    value: 'MS',
    help: "replace the model's session with a fresh, re-seeded one MS after it opened, before the provider's maximum (absent: 55 minutes)",
  },
  {
    flag: 'stt',
    path: ['engines', 'stt', 'provider'],
    value: 'NAME',
    help: 'speech recogniser, see docs/engines.md',
  },
  { flag: 'stt-model', path: ['engines', 'stt', 'model'], value: 'NAME', help: "the STT provider's model" },
  {
    flag: 'stt-url',
    path: ['engines', 'stt', 'url'],
    value: 'URL',
    help: "the STT provider's endpoint when not its public one: a region, a proxy, a compatible server",
    secret: true,
  },
  {
    flag: 'stt-api-key-env',
    path: ['engines', 'stt', 'keyEnv'],
    value: 'VAR',
    help: "NAME of the agent worker's environment variable holding the STT key, never the key itself",
    secret: true,
  },
  { flag: 'stt-language', path: ['engines', 'stt', 'language'], value: 'TAG', help: 'language the caller speaks' },
  {
    flag: 'stt-fallback',
    path: ['engines', 'stt', 'fallback'],
    value: 'NAME',
    help: 'recogniser for the rest of the call when a cloud provider fails or stalls; absent pocketsphinx',
  },
  { flag: 'tts', path: ['engines', 'tts', 'provider'], value: 'NAME', help: 'speech synthesiser, see docs/engines.md' },
  {
    flag: 'voice',
    path: ['engines', 'tts', 'voice'],
    value: 'NAME',
    help: `the TTS provider's voice: for flite one of ${FLITE_VOICES.join(', ')}; a cloud provider's voice id`,
  },
  { flag: 'tts-voice', path: ['engines', 'tts', 'voice'], value: 'NAME', help: 'the same as --voice' },
  { flag: 'tts-model', path: ['engines', 'tts', 'model'], value: 'NAME', help: "the TTS provider's model" },
  {
    flag: 'tts-url',
    path: ['engines', 'tts', 'url'],
    value: 'URL',
    help: "the TTS provider's endpoint when not its public one",
    secret: true,
  },
  {
    flag: 'tts-api-key-env',
    path: ['engines', 'tts', 'keyEnv'],
    value: 'VAR',
    help: "NAME of the agent worker's environment variable holding the TTS key, never the key itself",
    secret: true,
  },
  {
    flag: 'tts-fallback',
    path: ['engines', 'tts', 'fallback'],
    value: 'NAME',
    help: 'voice for the rest of the call when a cloud provider fails or stalls; absent flite',
  },
  {
    flag: 'greeting-interruptible',
    path: ['greetingInterruptible'],
    value: 'true|false',
    help: 'whether the caller may talk over the greeting and stop it (absent: true)',
  },
  {
    flag: 'dtmf-in-records',
    path: ['dtmfInRecords'],
    value: 'masked|digits',
    help: "the caller's key presses in call records: masked (absent: the default) or the digits themselves",
  },
  {
    flag: 'events-url',
    path: ['events', 'url'],
    value: 'URL',
    help: "where this number's signed call events are POSTed (https://, http:// only to localhost or with --insecure)",
    secret: true,
  },
  {
    flag: 'events-secret-env',
    path: ['events', 'secretEnv'],
    value: 'VAR',
    help: "NAME of the agent worker's variable holding the whsec_ signing secret (two, space-separated, while rotating)",
    secret: true,
  },
  {
    flag: 'retention-days',
    path: ['recording', 'retentionDays'],
    value: 'N',
    help: 'delete recordings N days after the call',
  },
  {
    flag: 'max-call-duration',
    path: ['maxCallDurationS'],
    value: 'S',
    help: 'end calls S seconds after the answer; default 3600',
  },
  {
    flag: 'no-input-timeout',
    path: ['noInputTimeoutS'],
    value: 'S',
    help: 'caller silence before "Are you still there?" and again before the call ends; default 30',
  },
];
