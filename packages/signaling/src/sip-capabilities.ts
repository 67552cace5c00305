/** Methods we accept; OPTIONS and 405 responses advertise them (RFC 3261 §20.5). */
export const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS';
export const IN_DIALOG_ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO';
export const ACCEPT = 'application/sdp';
/** Methods we know but do not serve here: 405 (RFC 3261 §21.4.6). Anything else: 501 (§8.2.1). */
export const KNOWN_METHODS = new Set([
  'INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'REGISTER', 'INFO', 'PRACK', 'UPDATE',
  'SUBSCRIBE', 'NOTIFY', 'REFER', 'MESSAGE', 'PUBLISH',
]);
