/**
 * What a bot may send (https://www.twilio.com/docs/voice/media-streams/websocket-messages, "Send
 * messages to Twilio"), plus our documented extension events, read defensively: nothing a bot sends
 * throws here. Twilio warns once per stream about an invalid message (31951) or a binary frame
 * (31950) and goes on; so do we, with a reason per kind of junk for the counters.
 *
 * ```
 * {"event":"media","streamSid":"MZ…","media":{"payload":"<base64 μ-law, any length>"}}
 * {"event":"mark","streamSid":"MZ…","mark":{"name":"…"}}
 * {"event":"clear","streamSid":"MZ…"}
 * {"event":"voicebridge.hangup"} | {"event":"voicebridge.dtmf","dtmf":{"digits":"12#"}}
 * {"event":"voicebridge.transfer","transfer":{"target":"+15550100"}}
 * ```
 */
export type BotMessage =
  | { kind: 'media'; mulaw: Uint8Array }
  | { kind: 'mark'; name: string }
  | { kind: 'clear' }
  | { kind: 'hangup' }
  | { kind: 'dtmf'; digits: string }
  | { kind: 'transfer'; target: string }
  | { kind: 'ignored'; reason: IgnoredReason };

export const IGNORED_REASONS = [
  'binary',
  'oversize',
  'bad-json',
  'bad-shape',
  'bad-payload',
  'unknown-event',
  'wrong-stream',
] as const;
export type IgnoredReason = (typeof IGNORED_REASONS)[number];

/** The largest message read; Twilio documents none, Asterisk's chan_websocket stops at 65 500 B. */
export const MAX_BOT_MESSAGE_BYTES = 1024 * 1024;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const DTMF_DIGITS = /^[0-9A-D*#]{1,32}$/;

export function parseBotMessage(data: Buffer, isBinary: boolean, streamSid: string): BotMessage {
  if (isBinary) return ignored('binary');
  if (data.length > MAX_BOT_MESSAGE_BYTES) return ignored('oversize');
  let message: unknown;
  try {
    message = JSON.parse(data.toString('utf8'));
  } catch {
    return ignored('bad-json');
  }
  if (!isRecord(message) || typeof message['event'] !== 'string') return ignored('bad-shape');
  const event = message['event'];
  if (event.startsWith('voicebridge.')) return extension(event, message);
  if (event !== 'media' && event !== 'mark' && event !== 'clear') return ignored('unknown-event');
  // Pipecat's Telnyx-style output omits the stream id; Twilio requires it. A wrong one is another
  // stream's (a bot mixing its calls up): never played into this call.
  const sid = message['streamSid'];
  if (sid !== undefined && sid !== streamSid) return ignored('wrong-stream');
  if (event === 'clear') return { kind: 'clear' };
  if (event === 'mark') {
    const mark = message['mark'];
    const name = isRecord(mark) ? mark['name'] : undefined;
    return typeof name === 'string' && name.length <= 256 ? { kind: 'mark', name } : ignored('bad-shape');
  }
  const media = message['media'];
  const payload = isRecord(media) ? media['payload'] : undefined;
  if (typeof payload !== 'string') return ignored('bad-shape');
  if (payload.length % 4 !== 0 || !BASE64.test(payload)) return ignored('bad-payload');
  return { kind: 'media', mulaw: Buffer.from(payload, 'base64') };
}

function extension(event: string, message: Record<string, unknown>): BotMessage {
  switch (event) {
    case 'voicebridge.hangup':
      return { kind: 'hangup' };
    case 'voicebridge.dtmf': {
      const dtmf = message['dtmf'];
      const digits = isRecord(dtmf) ? dtmf['digits'] : undefined;
      return typeof digits === 'string' && DTMF_DIGITS.test(digits) ? { kind: 'dtmf', digits } : ignored('bad-shape');
    }
    case 'voicebridge.transfer': {
      const transfer = message['transfer'];
      const target = isRecord(transfer) ? transfer['target'] : undefined;
      return typeof target === 'string' && target.length > 0 && target.length <= 500
        ? { kind: 'transfer', target }
        : ignored('bad-shape');
    }
    default:
      return ignored('unknown-event');
  }
}

function ignored(reason: IgnoredReason): BotMessage {
  return { kind: 'ignored', reason };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
