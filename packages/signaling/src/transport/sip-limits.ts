import type { BridgeConfig } from '@voicebridge/protocol';
import type { ParseLimits } from '@voicebridge/sip';

/** The parser's limits from the bridge config (docs/configuration.md "SIP limits"). */
export function sipParseLimits(config: BridgeConfig): ParseLimits {
  return {
    maxMessageBytes: config.SIP_MAX_MESSAGE_BYTES,
    maxHeaders: config.SIP_MAX_HEADERS,
    maxHeaderLineBytes: config.SIP_MAX_HEADER_LINE_BYTES,
    maxBodyBytes: config.SIP_MAX_BODY_BYTES,
  };
}
