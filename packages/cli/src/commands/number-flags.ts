import { FLITE_VOICES, numberConfigFieldInfo, type ConfigFieldInfo } from '@voicebridge/protocol';
import type { ConfigIssue } from '@voicebridge/store';
import { UsageError } from '../args.ts';

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

/** Flags that set a structured field; named in errors about that field (`#n` for a list's entry). */
const OTHER_FLAGS: readonly { flag: string; path: readonly string[]; list?: boolean }[] = [
  { flag: 'agent', path: ['agent', 'kind'] },
  { flag: 'answer', path: ['agent', 'answers'], list: true },
  { flag: 'webhook-tools', path: ['agent', 'tools'], list: true },
  { flag: 'websocket-param', path: ['agent', 'parameters'] },
  { flag: 'websocket-header', path: ['agent', 'headers'], list: true },
  { flag: 'transfer-target', path: ['transferTargets'], list: true },
  { flag: 'record', path: ['recording', 'enabled'] },
  { flag: 'events-include-transcript', path: ['events', 'includeTranscript'] },
  { flag: 'no-events', path: ['events'] },
  { flag: 'enabled', path: ['enabled'] },
];

/** The schema's word on a field, or a programming error: every flag must name a real field. */
export function fieldInfoOf(path: readonly string[]): ConfigFieldInfo {
  const info = numberConfigFieldInfo(path);
  if (info === undefined) throw new Error(`no field ${path.join('.')} in the number config schema`);
  return info;
}

/** `a whole number, 1 to 3650`, `up to 1000 characters`, `one of echo, scripted, llm`. */
export function describeConstraint(info: ConfigFieldInfo): string {
  const range = (unit: string): string =>
    info.min !== undefined && info.max !== undefined
      ? `${info.min} to ${info.max}${unit}`
      : info.max !== undefined
        ? `at most ${info.max}${unit}`
        : info.min !== undefined
          ? `at least ${info.min}${unit}`
          : '';
  switch (info.type) {
    case 'integer':
      return ['a whole number', range('')].filter(Boolean).join(', ');
    case 'number':
      return ['a number', range('')].filter(Boolean).join(', ');
    case 'string':
      return info.max !== undefined ? `up to ${info.max} characters` : 'text';
    case 'enum':
      return `one of ${(info.options ?? []).join(', ')}`;
    case 'array':
      return info.max !== undefined ? `up to ${info.max} entries` : 'a list';
    default:
      return info.type;
  }
}

/** The help lines of the field flags, wrapped at 80 columns. */
export function fieldFlagsHelp(): string {
  return FIELD_FLAGS.map(({ flag, path, value, help }) => {
    const info = fieldInfoOf(path);
    const notes = [describeConstraint(info)];
    if (info.default !== undefined) notes.push(`default ${JSON.stringify(info.default)}`);
    if (info.branches !== undefined && info.branches.length < 3) notes.push(`agent ${info.branches.join('|')}`);
    if (info.optional) notes.push('"" removes it');
    return formatOption(`--${flag} ${value}`, `${help} (${notes.join('; ')})`);
  }).join('');
}

/** `  --flag VALUE      text...` with the text wrapped under itself at column 26. */
export function formatOption(name: string, text: string): string {
  const indent = ' '.repeat(26);
  const words = text.split(' ');
  const lines: string[] = [];
  let line = name.length <= 22 ? `  ${name.padEnd(24)}` : `  ${name}\n${indent}`;
  let fresh = true;
  for (const word of words) {
    const lastLine = line.slice(line.lastIndexOf('\n') + 1);
    if (!fresh && lastLine.length + 1 + word.length > 80) {
      lines.push(line);
      line = indent;
      fresh = true;
    }
    line += (fresh ? '' : ' ') + word;
    fresh = false;
  }
  lines.push(line);
  return lines.join('\n') + '\n';
}

/**
 * A flag's string as the schema's type wants it: numbers for number fields, `true`/`false` for
 * boolean ones (anything else stays a string, for the schema to refuse); `undefined` for "" (remove
 * the field).
 */
export function flagValue(raw: string, info: ConfigFieldInfo): string | number | boolean | undefined {
  if (raw === '') return undefined;
  if (info.type === 'boolean' && (raw === 'true' || raw === 'false')) return raw === 'true';
  if ((info.type === 'number' || info.type === 'integer') && /^\s*[-+]?(\d+\.?\d*|\.\d+)\s*$/.test(raw)) {
    return Number(raw);
  }
  return raw;
}

/** An issue for a field that has no value at all (zod: `expected string, received undefined`). */
function isMissing(issue: ConfigIssue): boolean {
  return / received undefined$/.test(issue.message);
}

/** `--agent llm needs --llm-base-url and --llm-model`: who requires the missing fields, and their flags. */
function describeMissing(flags: readonly FieldFlag[]): string {
  const branches = fieldInfoOf(flags[0]!.path).branches;
  const owner = branches === undefined || branches.length > 1 ? 'this number' : `--agent ${branches[0]}`;
  return `${owner} needs ${flags.map((f) => `--${f.flag}`).join(' and ')}`;
}

/**
 * The first problem of a config built from flags, naming the flag that set the field:
 * `invalid --llm-max-tokens "1.5": Invalid input: expected int, received number`. Required fields
 * left without a value are named together with the flags that set them.
 */
export function describeIssues(issues: readonly ConfigIssue[], given: ReadonlyMap<string, string>): string {
  const missing = FIELD_FLAGS.filter(
    (f) =>
      !fieldInfoOf(f.path).optional &&
      issues.some((issue) => isMissing(issue) && pathStartsWith(f.path, issue.path.map(String))),
  );
  if (missing.length > 0) {
    const removed = missing.find((f) => given.get(f.flag) === '');
    if (removed !== undefined) return `invalid --${removed.flag}: cannot be removed; ${describeMissing([removed])}`;
    return describeMissing(missing);
  }
  return describeIssue(issues[0]!, given);
}

/** True when `path` is `prefix` or below it. */
function pathStartsWith(path: readonly string[], prefix: readonly string[]): boolean {
  return prefix.every((key, i) => path[i] === key);
}

function describeIssue(issue: ConfigIssue, given: ReadonlyMap<string, string>): string {
  const path = issue.path.map(String);
  // Two flags may set one field (--voice, --tts-voice): name the one given.
  const matching = FIELD_FLAGS.filter((f) => pathStartsWith(path, f.path));
  const field = matching.find((f) => given.has(f.flag)) ?? matching[0];
  if (field !== undefined) {
    const raw = given.get(field.flag);
    const quoted = raw === undefined || raw === '' || field.secret ? '' : ` ${JSON.stringify(raw)}`;
    return `invalid --${field.flag}${quoted}: ${issue.message}`;
  }
  const other = OTHER_FLAGS.find((f) => pathStartsWith(path, f.path));
  if (other !== undefined) {
    const [index, ...rest] = issue.path.slice(other.path.length);
    const entry = other.list && typeof index === 'number' ? ` #${index + 1}` : '';
    const sub = (entry ? rest : [index, ...rest]).filter((p) => p !== undefined).join('.');
    return `invalid --${other.flag}${entry}${sub ? ` ${sub}` : ''}: ${issue.message}`;
  }
  return `invalid ${path[0] === 'number' ? '<number>' : path.length === 0 ? 'config' : path.join('.')}: ${issue.message}`;
}

/** Refuses a flag for a field the number's agent kind does not have, naming the kinds that do. */
export function checkKind(flag: string, info: ConfigFieldInfo, kind: string): void {
  if (info.branches === undefined || info.branches.includes(kind)) return;
  throw new UsageError(
    `--${flag} applies to agent ${info.branches.join('|')}; this number's agent is ${kind} (give --agent ${info.branches[0]} to switch)`,
    'numbers set',
  );
}
