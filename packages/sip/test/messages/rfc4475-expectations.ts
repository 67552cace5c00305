/**
 * What RFC 4475 §3 implies for each torture message, split in two levels:
 *
 * - `parser`: the outcome of `parseMessage` on the file's bytes (as one UDP datagram). `answer`
 *   says whether the failure carries a `request` the transport answers statelessly with `status`.
 * - `app`: what the element does with a message that parsed, for the signaling layer's tests:
 *   a status code it answers with, or 'drop'. Absent: processed normally. `appAlternative` is
 *   another response RFC 4475 calls acceptable.
 *
 * `why` quotes or paraphrases the section. Where RFC 4475 lets an element be liberal or strict, the
 * entry records our choice and says so.
 */
export type ParserExpectation =
  | { ok: true; type: 'request' | 'response'; bytes: number; bodyBytes: number }
  | { ok: false; status: number; answer: boolean };

export interface TortureExpectation {
  /** File in shared/rfc4475-torture/ (the RFC archive's name with .sip). */
  file: string;
  /** RFC 4475 section; '' for the stray test.sip. */
  section: string;
  parser: ParserExpectation;
  app?: number | 'drop';
  appAlternative?: number;
  why: string;
}

const req = (bytes: number, bodyBytes: number): ParserExpectation => ({ ok: true, type: 'request', bytes, bodyBytes });
const res = (bytes: number, bodyBytes: number): ParserExpectation => ({ ok: true, type: 'response', bytes, bodyBytes });
const reject = (status: number): ParserExpectation => ({ ok: false, status, answer: true });
const drop = (status = 400): ParserExpectation => ({ ok: false, status, answer: false });

export const RFC4475_EXPECTATIONS: readonly TortureExpectation[] = [
  // §3.1.1 Valid messages: "parsers must accept".
  {
    file: 'wsinv.sip',
    section: '3.1.1.1',
    parser: req(1001, 150),
    why: 'A short tortuous INVITE: folding, LWS around ":" "/" ";" "=", compact forms, empty Subject, escaped quotes in display names; valid, processed normally.',
  },
  {
    file: 'intmeth.sip',
    section: '3.1.1.2',
    parser: req(641, 0),
    app: 501,
    why: 'Every token/word character in method, URI user/password, Call-ID, tags, NUL/BEL/DEL as quoted-pairs, UTF-8 values: valid. The method is unknown, so a UAS answers 501 (RFC 3261 §21.5.2).',
  },
  {
    file: 'esc01.sip',
    section: '3.1.1.3',
    parser: req(543, 150),
    why: 'Valid %HEX escaping in Request-URI user (sips:user@example.com), To, From, Contact and its parameters; the application treats the escapes as the characters.',
  },
  {
    file: 'escnull.sip',
    section: '3.1.1.4',
    parser: req(359, 0),
    why: 'Escaped NULs (%00) in URI user parts are well formed; unescaping must not shorten the user name. Two distinct Contacts.',
  },
  {
    file: 'esc02.sip',
    section: '3.1.1.5',
    parser: req(439, 0),
    app: 501,
    why: '% is not an escape in method, quoted display name, branch or header name: accept as well formed; the method RE%47IST%45R is not REGISTER, so "an endpoint would reject this message with a 501".',
  },
  {
    file: 'lwsdisp.sip',
    section: '3.1.1.6',
    parser: req(255, 0),
    why: 'No LWS between display name and "<" is a known RFC 3261 grammar bug: "elements should accept this request as well formed".',
  },
  {
    file: 'longreq.sip',
    section: '3.1.1.7',
    parser: req(3515, 150),
    why: 'Well formed with very long values and 34 Via values in every name spelling (v, Via, VIA, " v : "); accept.',
  },
  {
    file: 'dblreq.sip',
    section: '3.1.1.8',
    parser: req(300, 0),
    why: 'One UDP datagram: the REGISTER (Content-Length: 0) is processed, the trailing INVITE-looking octets are noise to ignore (RFC 3261 §18.3); `bytes` stops after the REGISTER.',
  },
  {
    file: 'semiuri.sip',
    section: '3.1.1.9',
    parser: req(380, 0),
    why: 'Semicolon inside the Request-URI user part: well formed, the user is "user;par=u@example.net". The folded Accept list is valid too.',
  },
  {
    file: 'transports.sip',
    section: '3.1.1.10',
    parser: req(503, 0),
    why: 'UDP, SCTP, TLS, UNKNOWN and TCP Via transports: accept; process as for any transport.',
  },
  {
    file: 'mpart01.sip',
    section: '3.1.1.11',
    parser: req(1290, 553),
    why: 'MESSAGE with a multipart body whose second part is binary with NULs: frame it by Content-Length (553) and accept even if multipart is not supported above the parser.',
  },
  {
    file: 'unreason.sip',
    section: '3.1.1.12',
    parser: res(526, 154),
    why: 'A 200 whose Reason-Phrase has unusual and UTF-8 characters: well formed, accept.',
  },
  {
    file: 'noreason.sip',
    section: '3.1.1.13',
    parser: res(274, 0),
    why: 'A 100 with an empty Reason-Phrase after the required SP: well formed, accept.',
  },

  // §3.1.2 Invalid messages.
  {
    file: 'badinv01.sip',
    section: '3.1.2.1',
    parser: reject(400),
    why: 'Via "192.0.2.15;;,;,," and Contact ";;;;" have separators without parameters: syntactically invalid, respond 400.',
  },
  {
    file: 'clerr.sip',
    section: '3.1.2.2',
    parser: reject(400),
    why: 'Content-Length 9999 exceeds the body of the datagram: over UDP, respond 400 (RFC 3261 §18.3).',
  },
  {
    file: 'ncl.sip',
    section: '3.1.2.3',
    parser: reject(400),
    why: 'Content-Length -999 is not 1*DIGIT: respond with an error, discard the rest of the datagram (close a stream connection).',
  },
  {
    file: 'scalar02.sip',
    section: '3.1.2.4',
    parser: reject(400),
    why: 'CSeq 36893488147419103232 exceeds 2^31-1: respond 400 "due to the CSeq error" (the Max-Forwards 300 and huge Expires alone could be tolerated).',
  },
  {
    file: 'scalarlg.sip',
    section: '3.1.2.5',
    parser: drop(),
    why: 'A response with an overlarge CSeq (and Retry-After, Warning code): "an element receiving this response will simply discard it".',
  },
  {
    file: 'quotbal.sip',
    section: '3.1.2.6',
    parser: reject(400),
    why: 'Unterminated quoted string in the To display name: return 400.',
  },
  {
    file: 'ltgtruri.sip',
    section: '3.1.2.7',
    parser: reject(400),
    why: 'Request-URI enclosed in <>: "reasonable always to reject ... with a 400" (we do not take the liberal option).',
  },
  {
    file: 'lwsruri.sip',
    section: '3.1.2.8',
    parser: reject(400),
    why: 'LWS inside the Request-URI ("; lr") gives four Request-Line elements: respond 400.',
  },
  {
    file: 'lwsstart.sip',
    section: '3.1.2.9',
    parser: reject(400),
    why: 'Multiple SP between Request-Line elements: "acceptable to reject this request as malformed"; we are strict rather than liberal.',
  },
  {
    file: 'trws.sip',
    section: '3.1.2.10',
    parser: reject(400),
    why: 'SP after SIP-Version: "acceptable to reject this request as malformed"; strict, as for lwsstart.',
  },
  {
    file: 'escruri.sip',
    section: '3.1.2.11',
    parser: reject(400),
    why: 'Escaped headers (?Route=...) in the Request-URI, not allowed there by RFC 3261 §19.1.1: "acceptable ... to reject this request with a 400".',
  },
  {
    file: 'baddate.sip',
    section: '3.1.2.12',
    parser: req(532, 150),
    why: 'Date in EST instead of GMT: rejecting is allowed but an element "shouldn\'t do that unless the contents of the Date header field were actually important"; we never use Date, so we are liberal and accept.',
  },
  {
    file: 'regbadct.sip',
    section: '3.1.2.13',
    parser: reject(400),
    why: 'A Contact URI with escaped headers must be in name-addr form (RFC 3261 §20.10): "reasonable ... to respond with a 400".',
  },
  {
    file: 'badaspec.sip',
    section: '3.1.2.14',
    parser: reject(400),
    why: 'Spaces inside the To addr-spec ("< sip:... >"): must not break, "reasonable to reject ... with a 400".',
  },
  {
    file: 'baddn.sip',
    section: '3.1.2.15',
    parser: reject(400),
    why: 'Unquoted display names with non-token characters ("Bell, Alexander"): "reasonable always to reject ... with a 400". (The archive copy also lacks the final empty line; we read the datagram end as the end of the headers.)',
  },
  {
    file: 'badvers.sip',
    section: '3.1.2.16',
    parser: reject(505),
    why: 'SIP/7.0: "respond to the request with a 505 Version Not Supported".',
  },
  {
    file: 'mismatch01.sip',
    section: '3.1.2.17',
    parser: reject(400),
    why: 'OPTIONS with CSeq method INVITE: "any element receiving this request will respond with a 400".',
  },
  {
    file: 'mismatch02.sip',
    section: '3.1.2.18',
    parser: reject(501),
    appAlternative: 400,
    why: 'Unknown method NEWMETHOD with CSeq INVITE: 501 preferred ("better future-proof characteristics"), 400 also acceptable.',
  },
  {
    file: 'bigcode.sip',
    section: '3.1.2.19',
    parser: drop(),
    why: 'Status code 4294967301 is not 3DIGIT (100-699): "simply drop it".',
  },

  // §3.1.3 Transaction layer semantics.
  {
    file: 'badbranch.sip',
    section: '3.1.3.1',
    parser: req(262, 0),
    app: 400,
    why: 'branch=z9hG4bK with no identifier: the parser must not break; the element "could reject the request with a 400 ... or fall back to the RFC 2543-style transaction identifier".',
  },

  // §3.1.4 Application layer semantics.
  {
    file: 'insuf.sip',
    section: '3.1.4.1',
    parser: reject(400),
    why: 'No Call-ID, From or To: must not break, "ideally" 400. The Via and CSeq are there, which is what the sender matches a response on (RFC 3261 §17.1.3), so it gets a 400 echoing what it had.',
  },
  {
    file: 'unkscm.sip',
    section: '3.1.4.2',
    parser: req(291, 0),
    app: 416,
    why: 'Unknown Request-URI scheme: a well-formed request that an element "will reject ... with a 416 Unsupported URI Scheme"; never route on To.',
  },
  {
    file: 'novelsc.sip',
    section: '3.1.4.3',
    parser: req(277, 0),
    app: 416,
    appAlternative: 404,
    why: 'Registered but atypical scheme soap.beep: well formed; 416 if the element never accepts the scheme (our case), 404 for URIs of a scheme it sometimes accepts.',
  },
  {
    file: 'unksm2.sip',
    section: '3.1.4.4',
    parser: req(282, 0),
    app: 400,
    why: 'isbn:/http:/name: URIs in To, From, Contact are valid syntax; "a registrar would reject this request with a 400" since To must be a SIP/SIPS AOR.',
  },
  {
    file: 'bext01.sip',
    section: '3.1.4.5',
    parser: req(381, 0),
    app: 420,
    why: 'Unsupported option tags in Require/Proxy-Require: respond 420 Bad Extension with Unsupported listing them (a UAS looks at Require).',
  },
  {
    file: 'invut.sip',
    section: '3.1.4.6',
    parser: req(391, 40),
    app: 415,
    why: 'Body of type application/unknownformat: syntactically valid; "an endpoint ... would reject it with a 415 Unsupported Media Type".',
  },
  {
    file: 'regaut01.sip',
    section: '3.1.4.7',
    parser: req(304, 0),
    app: 405,
    appAlternative: 401,
    why: 'Authorization with an unknown scheme: well formed. A registrar that checks credentials answers 401; "endpoints choosing not to act as registrars will simply reject the request. A 405 ... is appropriate" (our case).',
  },
  {
    file: 'multi01.sip',
    section: '3.1.4.8',
    parser: reject(400),
    why: 'Two Call-ID, To, From, CSeq, Max-Forwards with different values: "would respond with a 400".',
  },
  {
    file: 'mcl01.sip',
    section: '3.1.4.9',
    parser: reject(400),
    why: 'Two conflicting Content-Length values: a framing error, respond with an error; over UDP the rest of the datagram is discarded (over TCP, close).',
  },
  {
    file: 'bcast.sip',
    section: '3.1.4.10',
    parser: res(516, 154),
    app: 'drop',
    why: 'A 200 whose second Via sent-by is 255.255.255.255: well formed, parsers must not fail; an endpoint discards it (proxies must not forward it).',
  },
  {
    file: 'zeromf.sip',
    section: '3.1.4.11',
    parser: req(272, 0),
    why: 'Max-Forwards: 0 is legal; a proxy answers 483, "an endpoint should process the request as if the Max-Forwards field value were still positive" (our case).',
  },
  {
    file: 'cparam01.sip',
    section: '3.1.4.12',
    parser: req(321, 0),
    why: 'Bare Contact URI followed by ;unknownparam: a contact (header) parameter, not a URI parameter (RFC 3261 §20.10); the REGISTER is valid.',
  },
  {
    file: 'cparam02.sip',
    section: '3.1.4.13',
    parser: req(311, 0),
    why: 'Contact <...;unknownparam>: a URI parameter inside <>; valid.',
  },
  {
    file: 'regescrt.sip',
    section: '3.1.4.14',
    parser: req(302, 0),
    why: 'Contact URI with an escaped Route header inside <>: valid; a registrar stores it escaped.',
  },
  {
    file: 'sdp01.sip',
    section: '3.1.4.15',
    parser: req(494, 150),
    app: 406,
    appAlternative: 400,
    why: 'Accept: text/nobodyKnowsThis excludes application/sdp: "could respond with a 406 Not Acceptable" with Warning 399; 400 is also appropriate.',
  },

  // §3.2 Backward compatibility.
  {
    file: 'inv2543.sip',
    section: '3.2.1',
    parser: req(445, 105),
    why: 'RFC 2543 syntax (no branch, no From tag, no Content-Length: body is the rest of the datagram, no Max-Forwards): should be accepted by elements wanting backward compatibility; transactions fall back to RFC 3261 §17.2.3 matching.',
  },

  // Not in RFC 4475: a stray file of the RFC's archive.
  {
    file: 'test.sip',
    section: '',
    parser: drop(),
    why: 'Request-Line without SIP-Version, a header line without a colon, no Via or CSeq: malformed and unanswerable, dropped.',
  },
];
