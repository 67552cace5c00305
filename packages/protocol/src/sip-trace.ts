import { z } from 'zod';

/** At most this many messages of one call are kept: the start of a call is what a carrier dispute needs. */
export const SIP_TRACE_MAX_MESSAGES = 100;
/** Each message is cut to this many characters (an SDP offer fits; a 64 KB header flood does not). */
export const SIP_TRACE_MAX_CHARS = 4096;

/** One SIP message of a call as signaling sent or received it, masked (see maskSipMessage). */
export const SipTraceEntrySchema = z.object({
  /** Epoch ms when signaling received or sent it. */
  atMs: z.number().int().nonnegative(),
  direction: z.enum(['in', 'out']),
  transport: z.enum(['udp', 'tcp', 'tls']),
  /** The peer: where it came from, or where it went. */
  remote: z.object({ address: z.string().max(64), port: z.number().int().min(0).max(65535) }),
  /** The request or status line, for the ladder. */
  firstLine: z.string().max(300),
  /** The whole message, masked and cut to SIP_TRACE_MAX_CHARS. */
  text: z.string().max(SIP_TRACE_MAX_CHARS + 40),
});
export type SipTraceEntry = z.infer<typeof SipTraceEntrySchema>;

const MASK = '********';

/**
 * What a trace may keep of a message: the credentials of `Authorization` and `Proxy-Authorization`
 * (a digest response can be attacked offline; Basic is the password) reduced to scheme, username and
 * realm, and every SDES master key (RFC 4568 `a=crypto ... inline:KEY`) replaced, since with it
 * anyone holding the trace and a packet capture could decrypt the call.
 */
export function maskSipMessage(text: string): string {
  return text
    .replace(/^((?:Proxy-)?Authorization[ \t]*:[ \t]*)([^\r\n]*)/gim, (_all, name: string, value: string) => {
      const scheme = /^\S+/.exec(value)?.[0] ?? '';
      const keep = ['username', 'realm']
        .map((param) => new RegExp(`\\b${param}\\s*=\\s*("[^"\\r\\n]*"|[^,\\s]*)`, 'i').exec(value)?.[0])
        .filter((part) => part !== undefined);
      return `${name}${scheme} ${[...keep, MASK].join(', ')}`;
    })
    .replace(/(inline:)[^\s|\r\n]+/gi, `$1${MASK}`);
}
