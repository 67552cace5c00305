import { answerDigestChallenge } from '../auth/digest-client.ts';
import type { Dialog } from '../dialogs/dialog.ts';
import type { SipRequest } from '../messages/index.ts';
import type { ClientOutcome } from '../transactions/non-invite-client-transaction.ts';

type RequestOptions = { headers?: [string, string][]; body?: Buffer };

/**
 * Sends an in-dialog request and answers a 401/407 once with the dialog's credentials, when it has
 * some (RFC 3261 §22.2–22.3): `send` builds the request again, so it gets a new CSeq and branch.
 */
export async function withDigestRetry(
  dialog: Dialog,
  method: string,
  options: RequestOptions | undefined,
  send: (options: RequestOptions | undefined) => Promise<{ request: SipRequest; outcome: ClientOutcome }>,
): Promise<ClientOutcome> {
  const first = await send(options);
  const credentials = dialog.credentials;
  if (first.outcome.kind !== 'response' || !credentials) return first.outcome;
  const { status } = first.outcome.response;
  if (status !== 401 && status !== 407) return first.outcome;
  const challenges = first.outcome.response.headers.getAll(status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate');
  const answer = answerDigestChallenge(status, challenges, credentials, { method, uri: first.request.uri });
  if (!answer) return first.outcome;
  return (await send({ ...options, headers: [...(options?.headers ?? []), [answer.header, answer.value]] })).outcome;
}
