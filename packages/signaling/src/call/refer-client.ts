import { VoicebridgeError, type TrunkConfig } from '@voicebridge/protocol';
import { parseUri, type Dialog, type ServerTransaction, type SipRequest, type SipStack } from '@voicebridge/sip';
import type { Logger } from 'pino';

/** How a transfer (REFER, RFC 3515) is going, as the transferee's NOTIFYs tell it. */
export interface TransferProgress {
  state: 'trying' | 'success' | 'failure';
  /** The status of the REFER itself, or of the transferee's INVITE (from the message/sipfrag). */
  status?: number;
  reason?: string;
}

export interface ReferClientOptions {
  stack: SipStack;
  dialog: Dialog;
  /** Our Contact URI (REFER creates an implicit subscription: RFC 3515 §2.4.1). */
  contact: string;
  log: Logger;
  /** No final NOTIFY this long after the 202: the transfer counts as failed. Default 32 s. */
  timeoutMs?: number;
}

interface Pending {
  resolve: (progress: TransferProgress) => void;
  onProgress: ((progress: TransferProgress) => void) | undefined;
  timer: NodeJS.Timeout | undefined;
  /** The REFER's 2xx has been handled. */
  accepted: boolean;
  /** Progress from NOTIFYs handled before the REFER's 2xx, told after it. */
  early: TransferProgress[];
}

const NUMBER = /^\+?[0-9*#]{1,32}$/;

/**
 * Sends REFER in a dialog (we are the transferor) and follows the implicit subscription:
 *
 *   REFER ── 2xx (202) ──► Accepted ── NOTIFY sipfrag 1xx ──► trying
 *     │ 3xx-6xx / timeout         ── NOTIFY sipfrag 2xx ──► success
 *     ▼                           ── NOTIFY sipfrag ≥300, or terminated without a final ──► failure
 *   failure                       ── no final NOTIFY within timeoutMs ──► failure
 *
 * A NOTIFY can be handled before the REFER's 2xx (RFC 6665 §4.1.2.4: the NOTIFY may overtake it; on
 * one TCP read both are parsed before the awaited 2xx resumes here): its progress is held and told
 * after the acceptance, so the agent always hears the transfer in the order it happened.
 *
 * Every NOTIFY gets 200 (RFC 3515 §2.4.4, RFC 6665 §4.1.3). One transfer at a time.
 */
export class ReferClient {
  readonly #options: ReferClientOptions;
  #pending: Pending | undefined;
  #closed = false;

  constructor(options: ReferClientOptions) {
    this.#options = options;
  }

  get busy(): boolean {
    return this.#pending !== undefined;
  }

  /** `target`: a number (`+15550123`) or a sip:/sips:/tel: URI. Resolves with the final outcome. */
  async refer(target: string, onProgress?: (progress: TransferProgress) => void): Promise<TransferProgress> {
    if (this.#closed) throw new VoicebridgeError('VB_CLOSED', 'the call has ended');
    if (this.#pending) throw new VoicebridgeError('VB_BAD_MESSAGE', 'a transfer is already in progress');
    const referTo = this.#referTo(target);
    const pending: Pending = { resolve: () => undefined, onProgress, timer: undefined, accepted: false, early: [] };
    const final = new Promise<TransferProgress>((resolve) => (pending.resolve = resolve));
    this.#pending = pending;
    this.#options.log.info({ referTo }, 'REFER sent');
    const outcome = await this.#options.stack.request(this.#options.dialog, 'REFER', {
      headers: [
        ['Refer-To', `<${referTo}>`],
        ['Referred-By', `<${this.#options.contact}>`],
        ['Contact', `<${this.#options.contact}>`],
      ],
    });
    if (outcome.kind === 'timeout') this.#finish({ state: 'failure', status: 408, reason: 'no response to REFER' });
    else if (outcome.response.status >= 300) {
      this.#finish({ state: 'failure', status: outcome.response.status, reason: outcome.response.reason });
    } else if (this.#pending === pending) {
      pending.accepted = true;
      this.#report({ state: 'trying', status: outcome.response.status, reason: 'REFER accepted' });
      for (const progress of pending.early.splice(0)) this.#report(progress);
      pending.timer = setTimeout(
        () => this.#finish({ state: 'failure', reason: 'no final NOTIFY' }),
        this.#options.timeoutMs ?? 32_000,
      );
    }
    return final;
  }

  /** A NOTIFY in the dialog: true when it belonged to our REFER (and got its response here). */
  onNotify(request: SipRequest, tx: ServerTransaction): boolean {
    const event = (request.headers.get('Event') ?? '').split(';')[0]?.trim().toLowerCase();
    if (event !== 'refer' || !this.#pending) return false;
    const stack = this.#options.stack;
    const type = (request.headers.get('Content-Type') ?? '').split(';')[0]?.trim().toLowerCase();
    if (request.body.length > 0 && type !== 'message/sipfrag') {
      stack.respond(tx, 415, { headers: [['Accept', 'message/sipfrag']] });
      return true;
    }
    stack.respond(tx, 200);
    // RFC 3420 message/sipfrag: here the status line of the transferee's INVITE response.
    const statusLine = /^SIP\/2\.0\s+(\d{3})\s*([^\r\n]*)/.exec(request.body.toString('utf8').trimStart());
    const terminated = (request.headers.get('Subscription-State') ?? '').trim().toLowerCase().startsWith('terminated');
    if (statusLine) {
      const status = Number(statusLine[1]);
      const reason = statusLine[2]?.trim() ?? '';
      if (status < 200) {
        if (this.#pending.accepted) this.#report({ state: 'trying', status, reason });
        else this.#pending.early.push({ state: 'trying', status, reason });
      } else this.#finish({ state: status < 300 ? 'success' : 'failure', status, reason });
    }
    // RFC 3515 §2.4.7: the subscription ends with the final NOTIFY; ending without one is a failure.
    if (terminated && this.#pending)
      this.#finish({ state: 'failure', reason: 'subscription terminated without a final status' });
    return true;
  }

  /** The call ended: a transfer still pending fails. Sends nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#finish({ state: 'failure', reason: 'the call ended' });
  }

  #referTo(target: string): string {
    const trimmed = target.trim();
    if (NUMBER.test(trimmed)) {
      // A bare number goes to the peer that sent us the call (a trunk routes it onward).
      const host = parseUri(this.#options.dialog.remoteTarget)?.host ?? this.#options.dialog.remoteEndpoint.address;
      return `sip:${trimmed}@${host}`;
    }
    const uri = parseUri(trimmed);
    const scheme = uri?.scheme.toLowerCase();
    if (!uri || (scheme !== 'sip' && scheme !== 'sips' && scheme !== 'tel') || /[<>\s"]/.test(trimmed)) {
      throw new VoicebridgeError(
        'VB_BAD_MESSAGE',
        `transfer target must be a number or a sip:/tel: URI: ${JSON.stringify(trimmed.slice(0, 80))}`,
      );
    }
    return trimmed;
  }

  #report(progress: TransferProgress): void {
    this.#options.log.info({ transfer: progress }, 'transfer progress');
    this.#pending?.onProgress?.(progress);
  }

  #finish(progress: TransferProgress): void {
    const pending = this.#pending;
    if (!pending) return;
    this.#pending = undefined;
    clearTimeout(pending.timer);
    for (const early of pending.early.splice(0)) pending.onProgress?.(early);
    this.#options.log.info({ transfer: progress }, 'transfer finished');
    pending.onProgress?.(progress);
    pending.resolve(progress);
  }
}

/**
 * What answers a 401/407 to our in-dialog requests (BYE, UPDATE, REFER): the credentials we register
 * to the trunk with, else the ones it authenticates to us with; none for a call without a trunk.
 */
export function trunkCredentials(trunk: TrunkConfig | undefined): { username: string; password: string } | undefined {
  if (trunk?.register)
    return { username: trunk.register.authUsername ?? trunk.register.username, password: trunk.register.password };
  if (trunk?.auth) return { username: trunk.auth.username, password: trunk.auth.password };
  return undefined;
}
