import type { SipMessage } from '@voicebridge/sip';

/** RFC 4028 §4: the smallest Min-SE a UA may use; the default of SESSION_MIN_SE_S. */
export const RFC_MIN_SE_S = 90;

export type Refresher = 'uac' | 'uas';

/** What RFC 4028 makes of a (re-)INVITE or UPDATE we answer as UAS. */
export type SessionTimerOffer =
  | { kind: 'none' }
  /** §9: Session-Expires below our Min-SE: 422 with our Min-SE. */
  | { kind: 'too-small'; minSeS: number }
  | {
      kind: 'use';
      intervalS: number;
      refresher: Refresher;
      /** The UAC supports timer: our 2xx says `Require: timer` (§9). */
      uacSupports: boolean;
      /** We keep the session alive (refresh at SE/2); else we watch for the peer's refresh. */
      weRefresh: boolean;
    };

/** `Session-Expires: 1800;refresher=uac` (compact `x`), RFC 4028 §4. */
export function parseSessionExpires(value: string | undefined): { deltaS: number; refresher?: Refresher } | undefined {
  if (value === undefined) return undefined;
  const [delta = '', ...params] = value.split(';').map((part) => part.trim());
  if (!/^\d{1,10}$/.test(delta)) return undefined;
  const out: { deltaS: number; refresher?: Refresher } = { deltaS: Number(delta) };
  for (const param of params) {
    const [name = '', paramValue = ''] = param.split('=').map((part) => part.trim().toLowerCase());
    if (name === 'refresher' && (paramValue === 'uac' || paramValue === 'uas')) out.refresher = paramValue;
  }
  return out;
}

/** Whether a message lists an option tag in Supported (or Require). */
export function hasOptionTag(message: SipMessage, header: 'Supported' | 'Require', tag: string): boolean {
  return message.headers
    .getAll(header)
    .flatMap((value) => value.split(','))
    .some((value) => value.trim().toLowerCase() === tag);
}

/**
 * RFC 4028 §9 as UAS, never imposing a timer on a UAC that asked for none: with no Session-Expires
 * we use none. With one below `minSeS` (and below the request's own Min-SE floor) → 422. A UAC that
 * supports timer gets the refresher it asked for, else `uac` (the refreshing party is the one that
 * knows it is alive); a UAC that does not support timer (a proxy added Session-Expires) leaves the
 * refreshing to us (`uas`), without `Require: timer` in our 2xx.
 */
export function negotiateSessionTimer(request: SipMessage, minSeS: number): SessionTimerOffer {
  const se = parseSessionExpires(request.headers.get('Session-Expires'));
  if (!se) return { kind: 'none' };
  if (se.deltaS < minSeS) return { kind: 'too-small', minSeS };
  const uacSupports = hasOptionTag(request, 'Supported', 'timer') || hasOptionTag(request, 'Require', 'timer');
  const refresher: Refresher = uacSupports ? (se.refresher ?? 'uac') : 'uas';
  return { kind: 'use', intervalS: se.deltaS, refresher, uacSupports, weRefresh: refresher === 'uas' };
}

/** Headers of our 2xx for a negotiated timer (§9). */
export function sessionTimerHeaders(offer: SessionTimerOffer): [string, string][] {
  if (offer.kind !== 'use') return [];
  const headers: [string, string][] = [['Session-Expires', `${offer.intervalS};refresher=${offer.refresher}`]];
  if (offer.uacSupports) headers.push(['Require', 'timer']);
  return headers;
}

/** A session timer in force: its interval, and whether we or the peer refresh it. */
export interface ActiveTimer {
  intervalS: number;
  weRefresh: boolean;
}

/**
 * RFC 4028 §7.2 as UAC: the 2xx to our INVITE decides. Without Session-Expires the session has no
 * timer; with one, `refresher=uac` (us) or `uas` (the callee). A 2xx whose Session-Expires lacks the
 * refresher (a UAS that does not know the extension, the value inserted by a proxy) leaves the
 * refreshing to us: §7.2 makes the UAC the refresher then.
 */
export function sessionTimerOfAnswer(response: SipMessage): SessionTimerOffer {
  const se = parseSessionExpires(response.headers.get('Session-Expires'));
  if (!se || se.deltaS === 0) return { kind: 'none' };
  const refresher = se.refresher ?? 'uac';
  return { kind: 'use', intervalS: se.deltaS, refresher, uacSupports: true, weRefresh: refresher === 'uac' };
}

export interface SessionTimerOptions {
  /** We refresh: called at half the interval (§10). */
  onRefreshDue: () => void;
  /** The peer should have refreshed and did not (§10): the call ends with a BYE. */
  onExpired: () => void;
}

/**
 * One dialog's session timer (RFC 4028 §10). As refresher we refresh at SE/2; as the other party
 * we give up at SE − min(32 s, SE/3). Every refresh (either way) restarts it with the new interval.
 */
export class SessionTimer {
  readonly #options: SessionTimerOptions;
  #timer: NodeJS.Timeout | undefined;
  #intervalS = 0;
  #weRefresh = false;
  #closed = false;

  constructor(options: SessionTimerOptions) {
    this.#options = options;
  }

  get intervalS(): number {
    return this.#intervalS;
  }

  get weRefresh(): boolean {
    return this.#weRefresh;
  }

  get running(): boolean {
    return this.#timer !== undefined;
  }

  /** (Re)starts the timer for a negotiated interval. */
  start(intervalS: number, weRefresh: boolean): void {
    if (this.#closed) return;
    this.stop();
    this.#intervalS = intervalS;
    this.#weRefresh = weRefresh;
    if (weRefresh) {
      this.#timer = setTimeout(
        () => {
          this.#timer = undefined;
          this.#options.onRefreshDue();
        },
        (intervalS * 1000) / 2,
      );
    } else {
      const beforeS = Math.min(32, intervalS / 3);
      this.#timer = setTimeout(
        () => {
          this.#timer = undefined;
          this.#options.onExpired();
        },
        (intervalS - beforeS) * 1000,
      );
    }
  }

  /** The session no longer uses a timer (a refresh without Session-Expires). */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  close(): void {
    this.#closed = true;
    this.stop();
  }
}
