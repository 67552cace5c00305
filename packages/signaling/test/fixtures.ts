import type { TrunkConfig } from '@voicebridge/protocol';
import { parseMessage, type SipRequest } from '@voicebridge/sip';

/** A stored trunk config as the repository returns it: `carrier`, enabled, defaults, from 198.51.100.0/24. */
export function trunkConfig(overrides: Partial<TrunkConfig> = {}): TrunkConfig {
  return {
    version: 1,
    name: 'carrier',
    enabled: true,
    sources: ['198.51.100.0/24'],
    numberFrom: 'ruri',
    numberFormat: 'e164',
    trusted: false,
    rtpLatching: 'learn',
    configVersion: 1,
    updatedAtMs: 0,
    ...overrides,
  };
}

/** A body-less SIP request from its start line and headers (Content-Length: 0 is added). */
export function bodilessRequest(lines: readonly string[]): SipRequest {
  const parsed = parseMessage(Buffer.from([...lines, 'Content-Length: 0', '', ''].join('\r\n')));
  if (!parsed.ok || parsed.message.type !== 'request') throw new Error('bad fixture');
  return parsed.message;
}
