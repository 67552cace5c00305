/** Methods we accept; OPTIONS and 405 responses advertise them (RFC 3261 §20.5). */
export const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS';
export const IN_DIALOG_ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, NOTIFY';
export const ACCEPT = 'application/sdp';
/** In a dialog we also read DTMF INFO bodies and REFER progress (RFC 3515 NOTIFY). */
export const IN_DIALOG_ACCEPT = 'application/sdp, application/dtmf-relay, application/dtmf, message/sipfrag';
/** Option tags for Supported (RFC 4028 session timers). */
export const SUPPORTED = 'timer';
/** Methods we know but do not serve here: 405 (RFC 3261 §21.4.6). Anything else: 501 (§8.2.1). */
export const KNOWN_METHODS = new Set([
  'INVITE',
  'ACK',
  'CANCEL',
  'BYE',
  'OPTIONS',
  'REGISTER',
  'INFO',
  'PRACK',
  'UPDATE',
  'SUBSCRIBE',
  'NOTIFY',
  'REFER',
  'MESSAGE',
  'PUBLISH',
]);

/** Whether the peer's Allow header lists a method (RFC 3261 §20.5). */
export function peerAllows(message: { headers: { getAll(name: string): string[] } }, method: string): boolean {
  return message.headers
    .getAll('Allow')
    .flatMap((value) => value.split(','))
    .some((value) => value.trim().toUpperCase() === method);
}
