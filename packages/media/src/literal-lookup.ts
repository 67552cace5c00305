import { lookup as dnsLookup } from 'node:dns';
import { isIP } from 'node:net';

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string, family: number) => void;
type Lookup = (hostname: string, options: unknown, callback: LookupCallback) => void;

/**
 * The `lookup` of a media socket. dgram passes every send's address through it, and the default,
 * `dns.lookup`, answers even an IP literal a tick later (`process.nextTick`), so each RTP packet
 * cost a closure, a deferred callback and an `isIP` parse: about a fifth of the media process's CPU
 * in the capacity benchmark's profile (ADR 0006, "Cheaper packets"). Media only ever sends to IP
 * literals (the latched source, the RTCP source heard), so those are answered at once, and the last
 * one is remembered so a call's stream parses its address once; a name still goes to `dns.lookup`.
 */
export function literalLookup(): Lookup {
  let lastAddress = '';
  let lastFamily = 0;
  return (hostname, options, callback) => {
    if (hostname !== lastAddress) {
      const family = isIP(hostname);
      if (family === 0) {
        dnsLookup(hostname, options as number, callback);
        return;
      }
      lastAddress = hostname;
      lastFamily = family;
    }
    callback(null, lastAddress, lastFamily);
  };
}
