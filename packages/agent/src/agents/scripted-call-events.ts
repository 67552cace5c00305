import { speak, type AgentContext } from './agent-context.ts';

const KEY_NAMES: Record<string, string> = { '*': 'star', '#': 'hash' };

/**
 * The scripted agent's answers to what is not speech. Hold (RFC 3264 §8.4, told by media): what it
 * was saying is cleared, so the caller does not come back to the middle of a sentence; on resume it
 * says "Welcome back." A key press is acknowledged ("You pressed 5."). These lines queue behind
 * each other, never behind a hold. Returns the undo (call it when the call ends).
 */
export function followCallEvents(context: AgentContext): () => void {
  const { connection, log, signal } = context;
  let saying = Promise.resolve();
  const say = (text: string): void => {
    saying = saying
      .then(() => speak(context, text))
      .then(
        () => undefined,
        (error: unknown) => {
          if (!signal.aborted) log.warn({ err: error }, 'scripted acknowledgement not said');
        },
      );
  };
  const recordDtmf = connection.onDtmf;
  connection.onDtmf = (digit, durationMs) => {
    recordDtmf?.(digit, durationMs);
    if (!connection.held) say(`You pressed ${KEY_NAMES[digit] ?? digit}.`);
  };
  connection.onHold = (held) => {
    if (held) connection.clear();
    else say('Welcome back.');
  };
  return () => {
    connection.onDtmf = recordDtmf;
    connection.onHold = undefined;
  };
}
