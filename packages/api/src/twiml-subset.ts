import { DTMF_DIGITS_PATTERN } from '@voicebridge/protocol';

/** The TwiML this server carries out on a live call: one verb in a `<Response>`. */
export type TwimlAction =
  { verb: 'hangup' } | { verb: 'dial'; target: string } | { verb: 'play-digits'; digits: string };

/** Why a document was refused, with Twilio's code: 12100 not well-formed, 12200 outside this subset. */
export interface TwimlRefusal {
  code: 12100 | 12200;
  message: string;
}

/** Longer documents are refused unread: the subset fits in far less. */
const MAX_TWIML_CHARS = 4096;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const PROLOG = /^\s*(<\?xml[^>]*\?>)?\s*<Response>([\s\S]*)<\/Response>\s*$/;
const ELEMENT = /^<([A-Za-z]+)((?:\s+[A-Za-z]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/>|>([\s\S]*?)<\/\1>)$/;

/**
 * A deliberately small reading of TwiML (https://www.twilio.com/docs/voice/twiml): `<Hangup/>`,
 * `<Dial>` to a number or SIP URI (bare text, `<Number>` or `<Sip>`, no attributes) and
 * `<Play digits="…"/>`. Anything else is refused naming what was found, never half carried out:
 * a bot that sends more expects more than this bridge does, and must hear so.
 */
export function parseTwiml(source: string): TwimlAction | TwimlRefusal {
  if (source.length > MAX_TWIML_CHARS) return parseError(`Twiml is longer than ${MAX_TWIML_CHARS} characters`);
  const body = PROLOG.exec(source)?.[2]?.trim();
  if (body === undefined) return parseError('Twiml must be one <Response> element');
  const verb = element(body);
  if (!verb) return unsupported('<Response> must hold exactly one verb: <Hangup/>, <Dial> or <Play digits="…"/>');
  switch (verb.name) {
    case 'Hangup':
      if (verb.attributes.size > 0 || verb.content !== '')
        return unsupported('<Hangup/> takes no attributes or content');
      return { verb: 'hangup' };
    case 'Dial':
      return dialOf(verb);
    case 'Play': {
      const digits = verb.attributes.get('digits');
      if (digits === undefined || verb.attributes.size !== 1 || verb.content !== '')
        return unsupported('<Play> is supported only as <Play digits="…"/> (no URL, no other attributes)');
      if (!DTMF_DIGITS_PATTERN.test(digits)) return unsupported('<Play digits> must be 1–32 of 0-9 * # A-D');
      return { verb: 'play-digits', digits };
    }
    default:
      return unsupported(`<${verb.name}> is not supported here (only <Hangup/>, <Dial> and <Play digits="…"/>)`);
  }
}

interface Element {
  name: string;
  attributes: Map<string, string>;
  content: string;
}

function element(text: string): Element | undefined {
  const match = ELEMENT.exec(text);
  if (!match?.[1]) return undefined;
  const attributes = new Map<string, string>();
  for (const [, name, double, single] of (match[2] ?? '').matchAll(/([A-Za-z]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g))
    attributes.set(name!, unescape(double ?? single ?? ''));
  return { name: match[1], attributes, content: (match[4] ?? '').trim() };
}

function dialOf(dial: Element): TwimlAction | TwimlRefusal {
  if (dial.attributes.size > 0)
    return unsupported(`<Dial> attributes are not supported (found ${[...dial.attributes.keys()].join(', ')})`);
  let target = dial.content;
  if (target.startsWith('<')) {
    const noun = element(target);
    if (!noun || (noun.name !== 'Number' && noun.name !== 'Sip') || noun.attributes.size > 0 || noun.content === '')
      return unsupported('<Dial> must hold a number, one <Number> or one <Sip> without attributes');
    target = noun.content;
  }
  target = unescape(target).trim();
  if (target === '' || target.length > 256 || /[\s<>]/.test(target))
    return unsupported('<Dial> must name one number or SIP URI of at most 256 characters');
  return { verb: 'dial', target };
}

function unescape(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos);/g, (_all, name: string) => ENTITIES[name] ?? '');
}

const parseError = (message: string): TwimlRefusal => ({ code: 12100, message });
const unsupported = (message: string): TwimlRefusal => ({ code: 12200, message });
