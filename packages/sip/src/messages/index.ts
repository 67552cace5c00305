export type { SipMessage, SipRequest, SipResponse } from './sip-message.ts';
export { isRequest, isResponse } from './sip-message.ts';
export { SipHeaders } from './sip-headers.ts';
export { COMPACT_FORMS, canonicalHeaderName } from './header-names.ts';
export { DEFAULT_PARSE_LIMITS, parseMessage } from './parser.ts';
export type { ParseLimits, ParseOutcome } from './parser.ts';
export { frameStreamMessage } from './stream-framing.ts';
export type { FrameOutcome } from './stream-framing.ts';
export { serializeMessage } from './serializer.ts';
export {
  formatCSeq,
  formatHost,
  formatNameAddr,
  formatUri,
  formatVia,
  isAbsoluteUri,
  parseCSeq,
  parseNameAddr,
  parseUri,
  parseVia,
  unescapeUri,
} from './header-values.ts';
export type { NameAddr, SipUri, Via } from './header-values.ts';
export { createResponse, generateBranch, generateCallId, generateTag, reasonPhrase } from './responses.ts';
export type { ResponseOptions } from './responses.ts';
