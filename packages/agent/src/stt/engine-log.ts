/**
 * The logger-ish callback the engines take (a pino logger adapts in one line:
 * `(level, msg, fields) => log[level](fields ?? {}, msg)`). Fields never carry what was said.
 */
export type EngineLog = (
  level: 'debug' | 'info' | 'warn' | 'error',
  msg: string,
  fields?: Record<string, unknown>,
) => void;

export const silentLog: EngineLog = () => {};
