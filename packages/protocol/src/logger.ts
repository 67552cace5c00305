/**
 * The one logger shape every package takes: pino's, fields first and the message second, so a
 * service hands its pino logger (or a per-call child) to the SIP core and the engines as it is,
 * and a child's bindings (`callId`, `sipCallId`, number) reach every line those parts write. It
 * lives here because every package but `rtp` may import `protocol`, and `rtp` logs nothing.
 *
 * Fields are where personal data goes (`from`, `text`, …) so that redaction can find it; a message
 * is a constant string (STYLE.md §13).
 */
export interface LogFn {
  (fields: object, message: string): void;
  (message: string): void;
}

export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  /** A logger that adds `bindings` to every line. */
  child(bindings: Record<string, unknown>): Logger;
}

const ignore: LogFn = () => {};

/** Writes nothing: for a part built without a logger (tools, tests that do not look at logs). */
export const silentLogger: Logger = Object.freeze({
  debug: ignore,
  info: ignore,
  warn: ignore,
  error: ignore,
  child: () => silentLogger,
});
