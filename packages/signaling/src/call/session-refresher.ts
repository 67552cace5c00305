import type { Dialog, SipResponse, SipStack } from '@voicebridge/sip';
import type { Logger } from 'pino';
import {
  parseSessionExpires,
  SessionTimer,
  type ActiveTimer,
  type Refresher,
  type SessionTimerOffer,
} from './session-timer.ts';
import { SUPPORTED } from './sip-capabilities.ts';

export interface SessionRefresherOptions {
  stack: SipStack;
  dialog: Dialog;
  contact: string;
  /**
   * Our role in the dialog: the refresher our refresh requests name (ourselves), and how the
   * refresher of their 2xx reads. On a call we placed we are the UAC of the dialog and of every
   * refresh we send, so `uac` is us either way.
   */
  role: Refresher;
  /** RFC 4028 §7.4: refresh with UPDATE when the peer allows it. */
  remoteAllowsUpdate: boolean;
  log: Logger;
  /** No refresh came (or ours failed): the call ends with BYE, verdict `session-expired`. */
  onExpired: () => void;
  /** A re-INVITE refresh carries our current session unchanged (RFC 4028 §7.4); its 2xx the answer. */
  reinvite: { sdp: () => Buffer; pending: (pending: boolean) => void; answered: (answer: SipResponse) => void };
}

/**
 * Keeps a dialog's RFC 4028 session alive from our side. When the peer refreshes (`uac`), a
 * missing refresh ends the call at expiry − min(32 s, SE/3). When we refresh (`uas`), at SE/2
 * (§10) an UPDATE without SDP goes out, or — to a peer whose Allow lacks UPDATE — a re-INVITE with
 * our SDP unchanged (§7.4); its 2xx restarts the timer.
 */
export class SessionRefresher {
  readonly #options: SessionRefresherOptions;
  readonly #timer: SessionTimer;
  #closed = false;

  constructor(options: SessionRefresherOptions) {
    this.#options = options;
    this.#timer = new SessionTimer({
      onRefreshDue: () => void this.#refresh(),
      onExpired: () => {
        options.log.info({ intervalS: this.#timer.intervalS }, 'session timer expired without a refresh: BYE');
        options.onExpired();
      },
    });
  }

  get current(): ActiveTimer | undefined {
    return this.#timer.running ? { intervalS: this.#timer.intervalS, weRefresh: this.#timer.weRefresh } : undefined;
  }

  /** A negotiated (or refreshed) session: restart; none: the session runs without a timer (§10). */
  apply(offer: SessionTimerOffer): void {
    if (this.#closed) return;
    if (offer.kind !== 'use') {
      this.#timer.stop();
      return;
    }
    this.#timer.start(offer.intervalS, offer.weRefresh);
  }

  close(): void {
    this.#closed = true;
    this.#timer.close();
  }

  async #refresh(): Promise<void> {
    if (this.#closed) return;
    const intervalS = this.#timer.intervalS;
    const headers: [string, string][] = [
      ['Contact', `<${this.#options.contact}>`],
      ['Session-Expires', `${intervalS};refresher=${this.#options.role}`],
      ['Supported', SUPPORTED],
    ];
    const { stack, dialog, reinvite } = this.#options;
    let outcome;
    if (this.#options.remoteAllowsUpdate) outcome = await stack.request(dialog, 'UPDATE', { headers });
    else {
      reinvite.pending(true);
      outcome = await stack.invite(dialog, {
        headers: [...headers, ['Content-Type', 'application/sdp']],
        body: reinvite.sdp(),
      });
      reinvite.pending(false);
      if (outcome.kind === 'response' && outcome.response.status < 300) reinvite.answered(outcome.response);
    }
    if (this.#closed) return;
    if (outcome.kind === 'response' && outcome.response.status >= 200 && outcome.response.status < 300) {
      const se = parseSessionExpires(outcome.response.headers.get('Session-Expires'));
      // §7.2: the 2xx names the interval and refresher; without Session-Expires the timer is off.
      if (!se) {
        this.#timer.stop();
        return;
      }
      this.#timer.start(se.deltaS, (se.refresher ?? this.#options.role) === this.#options.role);
      return;
    }
    const status = outcome.kind === 'response' ? outcome.response.status : 408;
    // RFC 4028 §10: a refresh that fails with 408/481 (or no answer) means the session is gone;
    // any other failure leaves the remaining half of the interval to the expiry watch.
    this.#options.log.warn({ status }, 'session refresh failed');
    if (status === 408 || status === 481) this.#options.onExpired();
    else this.#timer.start(intervalS / 2, false);
  }
}
