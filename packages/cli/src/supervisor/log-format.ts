const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const SKIP = new Set(['level', 'time', 'pid', 'hostname', 'service', 'msg']);

/**
 * Formats one pino JSON line for a person at a terminal: `12:00:01 signaling INFO call answered {…}`.
 * Anything that is not pino JSON is shown as it is, tagged with its service.
 */
export function formatLogLine(service: string, line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return `${service.padEnd(9)} ${line}`;
  }
  if (typeof entry !== 'object' || entry === null) return `${service.padEnd(9)} ${line}`;
  const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString().slice(11, 23) : '';
  const level = LEVELS[entry.level as number] ?? String(entry.level);
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(entry)) if (!SKIP.has(k)) rest[k] = v;
  const fields = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
  return `${time} ${service.padEnd(9)} ${level.padEnd(5)} ${String(entry.msg ?? '')}${fields}`;
}
