import { createHmac, timingSafeEqual } from 'node:crypto';
import { VoicebridgeError } from '@voicebridge/protocol';

/**
 * Standard Webhooks symmetric signatures (https://www.standardwebhooks.com/, spec/standard-webhooks.md
 * "Signature scheme" and "Webhook headers"): HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`,
 * sent as `v1,<base64>`; secrets are `whsec_` + base64 of 24 to 64 random bytes. The header is a
 * space-delimited list "to support zero downtime secret rotation": while a secret is rotated the
 * variable holds two (`whsec_new whsec_old`) and every event is signed with both.
 */
export const SECRET_PREFIX = 'whsec_';
const MIN_SECRET_BYTES = 24;
const MAX_SECRET_BYTES = 64;
const MAX_SECRETS = 2;
/** The spec's replay window: a timestamp further than this from the receiver's clock is refused. */
export const SIGNATURE_TOLERANCE_S = 5 * 60;

/**
 * The secrets in a variable's value: one `whsec_…`, or two separated by white space. Throws a message
 * naming the variable and what is wrong, never quoting the value.
 */
export function parseSecrets(text: string, variable: string): Buffer[] {
  const parts = text.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) throw secretError(`${variable} is empty`);
  if (parts.length > MAX_SECRETS)
    throw secretError(`${variable} holds ${parts.length} secrets; at most ${MAX_SECRETS}`);
  return parts.map((part, index) => {
    const which = parts.length > 1 ? ` (secret ${index + 1})` : '';
    if (!part.startsWith(SECRET_PREFIX)) throw secretError(`${variable}${which} must start with ${SECRET_PREFIX}`);
    const encoded = part.slice(SECRET_PREFIX.length);
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded))
      throw secretError(`${variable}${which} is not base64 after ${SECRET_PREFIX}`);
    const key = Buffer.from(encoded, 'base64');
    if (key.length < MIN_SECRET_BYTES || key.length > MAX_SECRET_BYTES)
      throw secretError(
        `${variable}${which} is ${key.length} bytes; must be ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES}`,
      );
    return key;
  });
}

/** `v1,<base64>` per key, space-delimited: the `webhook-signature` header. */
export function signatureHeader(keys: readonly Buffer[], id: string, timestampS: number, body: string): string {
  return keys.map((key) => `v1,${hmac(key, id, timestampS, body)}`).join(' ');
}

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

export function signedHeaders(keys: readonly Buffer[], id: string, timestampS: number, body: string): SignedHeaders {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampS),
    'webhook-signature': signatureHeader(keys, id, timestampS, body),
  };
}

/**
 * A receiver's check, as the spec's "Verifying signatures" asks: the timestamp within the tolerance
 * and any `v1` signature matching in constant time. Returns why not, or undefined when it verifies.
 */
export function verificationProblem(
  key: Buffer,
  headers: Partial<SignedHeaders>,
  body: string,
  nowS: number,
): string | undefined {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (id === undefined || timestamp === undefined || signatures === undefined) return 'missing headers';
  if (!/^\d+$/.test(timestamp)) return 'timestamp is not a number';
  if (Math.abs(nowS - Number(timestamp)) > SIGNATURE_TOLERANCE_S) return 'timestamp outside the tolerance';
  const expected = Buffer.from(hmac(key, id, Number(timestamp), body));
  for (const signature of signatures.split(' ')) {
    const [version, value] = signature.split(',', 2);
    if (version !== 'v1' || value === undefined) continue;
    const given = Buffer.from(value);
    if (given.length === expected.length && timingSafeEqual(given, expected)) return undefined;
  }
  return 'no signature matches';
}

function hmac(key: Buffer, id: string, timestampS: number, body: string): string {
  return createHmac('sha256', key).update(`${id}.${timestampS}.${body}`).digest('base64');
}

function secretError(message: string): VoicebridgeError {
  return new VoicebridgeError('VB_CONFIG_INVALID', `call events secret: ${message}`);
}
