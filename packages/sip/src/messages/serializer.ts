import type { SipMessage } from './sip-message.ts';

const LINE_BREAKS_RE = /[ \t]*[\r\n]+[ \t]*/g;

/**
 *   start-line CRLF *( header-name ": " value CRLF ) CRLF body
 *
 * Headers go out in order, names in their canonical spelling (compact forms expanded, RFC 3261
 * §7.3.3 allows either). Content-Length is always written from `body` (RFC 3261 §20.14: a stream
 * transport MUST carry it; we send it on every transport), in the position of an existing one.
 * CR/LF inside a value collapse to one SP so a value can never inject a header line.
 */
export function serializeMessage(msg: SipMessage): Buffer {
  let head =
    msg.type === 'request'
      ? `${oneLine(msg.method)} ${oneLine(msg.uri)} SIP/2.0\r\n`
      : `SIP/2.0 ${msg.status} ${oneLine(msg.reason)}\r\n`;
  let wroteLength = false;
  for (const [name, value] of msg.headers.entries()) {
    if (name === 'Content-Length') {
      if (!wroteLength) head += `Content-Length: ${msg.body.length}\r\n`;
      wroteLength = true;
      continue;
    }
    head += `${name}: ${oneLine(value)}\r\n`;
  }
  if (!wroteLength) head += `Content-Length: ${msg.body.length}\r\n`;
  head += '\r\n';
  const headBytes = Buffer.from(head, 'utf8');
  return msg.body.length === 0 ? headBytes : Buffer.concat([headBytes, msg.body]);
}

function oneLine(value: string): string {
  return value.includes('\r') || value.includes('\n') ? value.replace(LINE_BREAKS_RE, ' ') : value;
}
