/** Test helpers: build wire bytes from readable lines. */

export const BASE_INVITE_HEADERS = [
  'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK74bf9;rport',
  'Max-Forwards: 70',
  'From: "Alice" <sip:alice@example.com>;tag=9fxced76sl',
  'To: <sip:+15551234567@bridge.example.net>',
  'Call-ID: 3848276298220188511@192.0.2.10',
  'CSeq: 1 INVITE',
  'Contact: <sip:alice@192.0.2.10:5060>',
  'Content-Type: application/sdp',
];

export const BASE_SDP = [
  'v=0',
  'o=alice 2890844526 2890844526 IN IP4 192.0.2.10',
  's=-',
  'c=IN IP4 192.0.2.10',
  't=0 0',
  'm=audio 49170 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=sendrecv',
  '',
].join('\r\n');

/** Start line + headers joined with CRLF, the empty line, then the body (no Content-Length added). */
export function wire(startLine: string, headers: readonly string[], body = ''): Buffer {
  return Buffer.from(`${[startLine, ...headers].join('\r\n')}\r\n\r\n${body}`, 'utf8');
}

/** A typical INVITE with an SDP body and a correct Content-Length. */
export function typicalInvite(): Buffer {
  return wire(
    'INVITE sip:+15551234567@bridge.example.net SIP/2.0',
    [...BASE_INVITE_HEADERS, `Content-Length: ${Buffer.byteLength(BASE_SDP)}`],
    BASE_SDP,
  );
}

/** The base INVITE headers with some replaced (by name prefix) or removed (value undefined). */
export function inviteWith(overrides: Record<string, string | undefined>, body = ''): Buffer {
  const names = Object.keys(overrides);
  const kept = BASE_INVITE_HEADERS.filter((line) => !names.some((name) => line.startsWith(`${name}:`)));
  const added = Object.entries(overrides)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `${name}: ${value}`);
  return wire('INVITE sip:bob@example.net SIP/2.0', [...kept, ...added], body);
}
