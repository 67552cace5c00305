import { parseMessage, type SipRequest } from '@voicebridge/sip';

/** A minimal INVITE to `uri` with the given extra header lines and body, parsed as the stack would hand it over. */
export function inviteRequest(headers: readonly string[], body = '', uri = 'sip:+15550100@127.0.0.1'): SipRequest {
  const text = [
    `INVITE ${uri} SIP/2.0`,
    'Via: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bKx',
    'From: <sip:a@b>;tag=1',
    'To: <sip:c@d>',
    'Call-ID: x',
    'CSeq: 1 INVITE',
    ...headers,
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
  const parsed = parseMessage(Buffer.from(text));
  if (!parsed.ok || parsed.message.type !== 'request') throw new Error('fixture did not parse');
  return parsed.message;
}
