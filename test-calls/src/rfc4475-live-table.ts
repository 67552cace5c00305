import { readTorture } from '../../packages/sip/test/messages/torture-fixtures.ts';

/**
 * What the running bridge answers to each RFC 4475 torture message, sent byte-exact as one UDP
 * datagram or on a fresh TCP connection. The parser-level table (packages/sip/test/messages/
 * rfc4475-expectations.ts) says how each message parses; this one says what a caller sees.
 *
 * `final`: the final status(es) the sender gets (retransmissions of it aside), [] for none;
 * provisional responses are ignored. `tcp` overrides it for a stream, where framing differs
 * (RFC 3261 §18.3). `closes`: the bridge closes the TCP connection after answering.
 * No torture INVITE is to a configured number, so one that is valid and processed gets 404:
 * the point is that no INVITE here ever gets a 2xx.
 */
export interface LiveExpectation {
  file: string;
  final: number[];
  tcp?: { final: number[]; closes?: boolean };
  why: string;
}

export const RFC4475_LIVE: readonly LiveExpectation[] = [
  { file: 'badaspec.sip', final: [400], why: '§3.1.2.14 spaces inside the To addr-spec: 400' },
  {
    file: 'badbranch.sip',
    final: [200],
    why: '§3.1.3.1 bare z9hG4bK branch: we take the liberal option and match on it; OPTIONS 200',
  },
  {
    file: 'baddate.sip',
    final: [404],
    why: '§3.1.2.12 non-GMT Date is ignored; the INVITE is processed: number not configured',
  },
  {
    file: 'baddn.sip',
    final: [400],
    tcp: { final: [] },
    why: '§3.1.2.15 unquoted display name with non-token characters: 400; the archive copy lacks its final empty line, so on TCP the headers never end (cut by SIP_TCP_MESSAGE_TIMEOUT_MS)',
  },
  { file: 'badinv01.sip', final: [400], why: '§3.1.2.1 empty Via/Contact parameters: 400' },
  { file: 'badvers.sip', final: [505], why: '§3.1.2.16 SIP/7.0: 505' },
  { file: 'bcast.sip', final: [], why: '§3.1.4.10 a stray 200 is discarded; never a reply to a response' },
  { file: 'bext01.sip', final: [420], why: '§3.1.4.5 unknown Require option tags: 420 with Unsupported' },
  { file: 'bigcode.sip', final: [], why: '§3.1.2.19 status code out of range: dropped' },
  {
    file: 'clerr.sip',
    final: [400],
    tcp: { final: [] },
    why: '§3.1.2.2 Content-Length beyond the datagram: 400; on TCP it is only an incomplete message (cut later by SIP_TCP_MESSAGE_TIMEOUT_MS)',
  },
  { file: 'cparam01.sip', final: [405], why: '§3.1.4.12 valid REGISTER; we are no registrar: 405 with Allow' },
  { file: 'cparam02.sip', final: [405], why: '§3.1.4.13 valid REGISTER: 405 with Allow' },
  {
    file: 'dblreq.sip',
    final: [405],
    tcp: { final: [405, 404] },
    why: '§3.1.1.8 the REGISTER is processed (405), the trailing INVITE ignored on UDP (RFC 3261 §18.3); on a stream it is the next message',
  },
  { file: 'esc01.sip', final: [404], why: '§3.1.1.3 valid escapes; processed: number not configured' },
  { file: 'esc02.sip', final: [501], why: '§3.1.1.5 RE%47IST%45R is an unknown method: 501' },
  { file: 'escnull.sip', final: [405], why: '§3.1.1.4 valid REGISTER with %00: 405 with Allow' },
  { file: 'escruri.sip', final: [400], why: '§3.1.2.11 escaped headers in the Request-URI: 400' },
  { file: 'insuf.sip', final: [400], why: '§3.1.4.1 no Call-ID, From, To: "ideally" 400, matched by Via and CSeq' },
  { file: 'intmeth.sip', final: [501], why: '§3.1.1.2 unknown method: 501' },
  {
    file: 'inv2543.sip',
    final: [404],
    tcp: { final: [400], closes: true },
    why: '§3.2.1 RFC 2543 INVITE processed (404); on TCP it lacks the mandatory Content-Length: 400 and close',
  },
  { file: 'invut.sip', final: [415], why: '§3.1.4.6 body of an unknown type: 415 with Accept' },
  { file: 'longreq.sip', final: [404], why: '§3.1.1.7 long but valid: processed, number not configured' },
  { file: 'ltgtruri.sip', final: [400], why: '§3.1.2.7 Request-URI in <>: 400' },
  { file: 'lwsdisp.sip', final: [200], why: '§3.1.1.6 no LWS before <: valid OPTIONS, 200' },
  { file: 'lwsruri.sip', final: [400], why: '§3.1.2.8 LWS in the Request-URI: 400' },
  { file: 'lwsstart.sip', final: [400], why: '§3.1.2.9 multiple SP in the Request-Line: 400 (strict)' },
  {
    file: 'mcl01.sip',
    final: [400],
    tcp: { final: [400], closes: true },
    why: '§3.1.4.9 conflicting Content-Length: 400; a stream is closed after it',
  },
  { file: 'mismatch01.sip', final: [400], why: '§3.1.2.17 CSeq method differs from the Request-Line: 400' },
  { file: 'mismatch02.sip', final: [501], why: '§3.1.2.18 unknown method NEWMETHOD: 501' },
  {
    file: 'mpart01.sip',
    final: [405],
    why: '§3.1.1.11 MESSAGE with a multipart body: we do not take MESSAGE: 405 with Allow',
  },
  { file: 'multi01.sip', final: [400], why: '§3.1.4.8 duplicated single-value headers: 400' },
  {
    file: 'ncl.sip',
    final: [400],
    tcp: { final: [400], closes: true },
    why: '§3.1.2.3 Content-Length -999: 400; a stream is closed after it',
  },
  { file: 'noreason.sip', final: [], why: '§3.1.1.13 a stray 100: nothing to answer' },
  { file: 'novelsc.sip', final: [416], why: '§3.1.4.3 soap.beep scheme we never accept: 416' },
  { file: 'quotbal.sip', final: [400], why: '§3.1.2.6 unterminated quoted string: 400' },
  {
    file: 'regaut01.sip',
    final: [405],
    why: '§3.1.4.7 REGISTER with an unknown Authorization scheme: not a registrar, 405 with Allow',
  },
  { file: 'regbadct.sip', final: [400], why: '§3.1.2.13 Contact with escaped headers outside <>: 400' },
  { file: 'regescrt.sip', final: [405], why: '§3.1.4.14 valid REGISTER: 405 with Allow' },
  { file: 'scalar02.sip', final: [400], why: '§3.1.2.4 CSeq beyond 2^31-1: 400' },
  { file: 'scalarlg.sip', final: [], why: '§3.1.2.5 a malformed response is discarded' },
  { file: 'sdp01.sip', final: [406], why: '§3.1.4.15 Accept excludes the SDP our answer needs: 406' },
  { file: 'semiuri.sip', final: [200], why: '§3.1.1.9 ; in the Request-URI user: valid OPTIONS, 200' },
  { file: 'test.sip', final: [], why: 'no SIP-Version, no Via or CSeq: nothing can be answered' },
  { file: 'transports.sip', final: [200], why: '§3.1.1.10 unusual Via transports: valid OPTIONS, 200' },
  { file: 'trws.sip', final: [400], why: '§3.1.2.10 SP after SIP-Version: 400 (strict)' },
  { file: 'unkscm.sip', final: [416], why: '§3.1.4.2 unknown Request-URI scheme: 416' },
  {
    file: 'unksm2.sip',
    final: [405],
    why: '§3.1.4.4 REGISTER with non-SIP To/From: 405 with Allow (we are no registrar)',
  },
  { file: 'unreason.sip', final: [], why: '§3.1.1.12 a stray 200: discarded' },
  {
    file: 'wsinv.sip',
    final: [481],
    why: '§3.1.1.1 valid INVITE, but its To has a tag: no such dialog, 481 (RFC 3261 §12.2.2)',
  },
  { file: 'zeromf.sip', final: [200], why: '§3.1.4.11 Max-Forwards 0 at an endpoint: processed, OPTIONS 200' },
];

/**
 * RFC 3261 §17.2.3 matches a server transaction on top-Via branch, sent-by and method. Several torture
 * messages share all three (cparam01/cparam02, escnull/regescrt, novelsc/unkscm), so sent together
 * the second is a retransmission of the first. Rounds keep such messages apart; between rounds the
 * bridge's transactions must have ended (64·T1).
 */
export function transactionRounds(dir: string, files: readonly string[]): string[][] {
  const rounds: { keys: Set<string>; files: string[] }[] = [];
  for (const file of files) {
    const text = readTorture(dir, file).toString('latin1');
    const via =
      /^(?:via|v)[ \t]*:[ \t]*SIP[ \t]*\/[ \t]*2\.0[ \t]*\/[ \t]*\S+[ \t]+([^;,\s]+)[^\r\n]*?branch=([^;,\s]+)/im.exec(
        text,
      );
    const method = /^CSeq[ \t]*:[ \t]*\d+[ \t]+(\S+)/im.exec(text)?.[1] ?? '';
    const key = via ? `${via[2]}|${via[1]}|${method === 'ACK' ? 'INVITE' : method}`.toLowerCase() : `${file}`;
    let round = rounds.find((r) => !r.keys.has(key));
    if (!round) rounds.push((round = { keys: new Set(), files: [] }));
    round.keys.add(key);
    round.files.push(file);
  }
  return rounds.map((r) => r.files);
}
