/**
 * The log lines of a bridge run that carry a caller's key presses: a field named like `digit`, a
 * `[DTMF k]` entry or a "You pressed k" line with the key itself (not `masked`), or the keys pressed
 * in a row (`1559`, when long enough not to be any number). Used to show that no DTMF reaches a log (docs/security.md), at debug level
 * with redaction off, the most a bridge ever logs.
 */
export function linesWithDtmf(logs: readonly string[], keysPressed?: string): string[] {
  const keyText = /\[DTMF (?!masked\])[^\]]*\]|pressed (?!a key)/i;
  return logs.filter((line) => {
    if ((keysPressed !== undefined && line.includes(keysPressed)) || keyText.test(line)) return true;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return false;
    }
    return hasDigitField(parsed, 0);
  });
}

function hasDigitField(value: unknown, depth: number): boolean {
  if (depth > 10 || typeof value !== 'object' || value === null) return false;
  return Object.entries(value).some(([key, child]) => /digit/i.test(key) || hasDigitField(child, depth + 1));
}
