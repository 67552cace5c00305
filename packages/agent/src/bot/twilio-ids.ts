import { createHash, createHmac } from 'node:crypto';
import { callSidOf } from '@voicebridge/protocol';

/**
 * Twilio-shaped identities for one call's stream. Bots written for Twilio parse them (Pipecat
 * detects Twilio by `start.streamSid` and `start.callSid`; some check the `CA`/`MZ`/`AC` prefixes
 * and the 34-character length, https://www.twilio.com/docs/voice/api/media-streams). Each is
 * derived from our own id, so the same call gets the same sids from every agent that takes it over
 * (a reconnect or a failover sends the same `callSid` and `streamSid` again).
 */
export interface StreamIdentity {
  callSid: string;
  streamSid: string;
  accountSid: string;
}

export function streamIdentityOf(callId: string, number: string, accountSid?: string): StreamIdentity {
  return {
    callSid: callSidOf(callId),
    streamSid: `MZ${hex32(`stream:${callId}`)}`,
    accountSid: accountSid ?? `AC${hex32(`account:${number}`)}`,
  };
}

/**
 * `X-Twilio-Signature` as Twilio computes it (https://www.twilio.com/docs/usage/security): the
 * base64 HMAC-SHA1, keyed with the auth token, of the full URL followed by each form parameter's
 * name and value in name order. The WebSocket upgrade is a GET without a body: the URL alone.
 */
export function twilioSignature(authToken: string, url: string, params: Readonly<Record<string, string>> = {}): string {
  const data = Object.keys(params)
    .sort()
    .reduce((text, name) => text + name + (params[name] ?? ''), url);
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

function hex32(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}
