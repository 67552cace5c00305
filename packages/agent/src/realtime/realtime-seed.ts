/** The most of the conversation carried into a new session's instructions (characters, newest kept). */
const SEED_MAX_CHARS = 8000;

/**
 * The instructions of a session that takes over a call (a new owner, a dropped socket): the
 * number's prompt, then the conversation so far as text inside the instructions. Not as assistant
 * text items: seeded with those, the model goes on answering in text, with no audio.
 */
export function seededInstructions(
  prompt: string,
  conversation: readonly { speaker: 'caller' | 'agent'; text: string }[],
): string {
  if (conversation.length === 0) return prompt;
  const lines: string[] = [];
  let size = 0;
  for (let i = conversation.length - 1; i >= 0 && size < SEED_MAX_CHARS; i--) {
    const entry = conversation[i];
    if (!entry) continue;
    const line = `${entry.speaker === 'caller' ? 'Caller' : 'You'}: ${entry.text}`;
    lines.unshift(line);
    size += line.length + 1;
  }
  return [
    prompt,
    'This phone call is already in progress; the conversation so far (continue it, do not greet again):',
    ...lines,
  ]
    .filter((part) => part !== '')
    .join('\n');
}
