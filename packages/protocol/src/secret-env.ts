/**
 * Which environment variables a number's config may name as an API key (`apiKeyEnv`, `keyEnv`).
 *
 * Whoever can set a number chooses both a URL and a variable name, and the agent sends that
 * variable's value to that URL: without a list, `--llm-api-key-env REDIS_URL` would hand the
 * bridge's own Redis password to any server. So the operator lists the names (AGENT_SECRET_ENV) and
 * nothing else resolves. The default covers the usual provider key names and the `VB_SECRET_`
 * prefix kept for the operator's own keys; none of the bridge's own settings match it.
 */
export const DEFAULT_AGENT_SECRET_ENV = [
  'OPENAI_API_KEY',
  'AZURE_OPENAI_API_KEY',
  'ANTHROPIC_API_KEY',
  'GEMINI_API_KEY',
  'GOOGLE_API_KEY',
  'GROQ_API_KEY',
  'MISTRAL_API_KEY',
  'TOGETHER_API_KEY',
  'FIREWORKS_API_KEY',
  'DEEPSEEK_API_KEY',
  'OPENROUTER_API_KEY',
  'XAI_API_KEY',
  'DEEPGRAM_API_KEY',
  'ASSEMBLYAI_API_KEY',
  'SPEECHMATICS_API_KEY',
  'GLADIA_API_KEY',
  'ELEVENLABS_API_KEY',
  'CARTESIA_API_KEY',
  'VB_SECRET_*',
].join(',');

/** A name, or a prefix ending in `*`; a bare `*` (every variable) is refused. */
const ENTRY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*\*?$/;

/** AGENT_SECRET_ENV, parsed: `allows(name)` is the whole check. */
export class SecretEnvAllowList {
  readonly #names: ReadonlySet<string>;
  readonly #prefixes: readonly string[];
  /** The list as the operator wrote it (names only, never a value): quoted in refusals. */
  readonly text: string;

  private constructor(entries: readonly string[]) {
    this.#names = new Set(entries.filter((entry) => !entry.endsWith('*')));
    this.#prefixes = entries.filter((entry) => entry.endsWith('*')).map((entry) => entry.slice(0, -1));
    this.text = entries.length === 0 ? 'none' : entries.join(',');
  }

  /** `none` is the empty list (no number may name a key). Throws a message naming the bad entry. */
  static parse(text: string): SecretEnvAllowList {
    const problem = secretEnvListProblem(text);
    if (problem !== undefined) throw new Error(problem);
    return new SecretEnvAllowList(entriesOf(text));
  }

  static default(): SecretEnvAllowList {
    return SecretEnvAllowList.parse(DEFAULT_AGENT_SECRET_ENV);
  }

  allows(name: string): boolean {
    return this.#names.has(name) || this.#prefixes.some((prefix) => name.startsWith(prefix));
  }

  /** What the CLI and the agent say when a number names a variable off the list (names only). */
  refusal(name: string): string {
    return (
      `environment variable ${name} is not on the agent's secret allow-list (AGENT_SECRET_ENV=${this.text}); ` +
      `rename the key to one of those names or a VB_SECRET_ name, or add ${name} to AGENT_SECRET_ENV`
    );
  }
}

/** Why AGENT_SECRET_ENV's text is not a list, or undefined when it is. */
export function secretEnvListProblem(text: string): string | undefined {
  for (const entry of entriesOf(text)) {
    if (entry === '*') return 'a bare * would allow every variable (REDIS_URL too): list names or prefixes';
    if (!ENTRY_PATTERN.test(entry))
      return `${JSON.stringify(entry)} is not a variable name or a prefix ending in * (letters, digits, _)`;
  }
  return undefined;
}

function entriesOf(text: string): string[] {
  const trimmed = text.trim();
  if (trimmed === 'none') return [];
  return trimmed
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}
