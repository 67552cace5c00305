import type { RegistrationStatus, TrunkConfig, TrunkRegister } from '@voicebridge/protocol';
import { parseUri, type SipRequest } from '@voicebridge/sip';
import type { TrunkDirectory } from '../admission/trunk-directory.ts';
import { SipResolver } from './sip-resolver.ts';
import { TrunkRegistration, type TrunkRegistrationOptions } from './trunk-registration.ts';

export interface RegistrationManagerOptions extends Omit<TrunkRegistrationOptions, 'trunk' | 'onStatus' | 'resolver'> {
  directory: Pick<TrunkDirectory, 'trunks'>;
  /** Where each trunk's status goes (Redis, for `trunks list`). */
  status: { set(name: string, status: RegistrationStatus): Promise<void>; remove(name: string): Promise<void> };
  resolver?: Pick<SipResolver, 'resolve'>;
  /** How often the trunk list is compared with the running registrations. */
  syncIntervalMs?: number;
}

/**
 * Keeps one TrunkRegistration per enabled trunk with a `register` block, following `trunks add|remove`
 * (a changed block restarts its registration), and tells admission which trunk an INVITE to a
 * registered contact belongs to.
 */
export class RegistrationManager {
  readonly #options: RegistrationManagerOptions;
  readonly #resolver: Pick<SipResolver, 'resolve'>;
  readonly #running = new Map<string, { registration: TrunkRegistration; fingerprint: string; trunk: TrunkConfig }>();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: RegistrationManagerOptions) {
    this.#options = options;
    this.#resolver = options.resolver ?? new SipResolver();
  }

  start(): void {
    this.sync();
    this.#timer = setInterval(() => this.sync(), this.#options.syncIntervalMs ?? 1000);
  }

  sync(): void {
    if (this.#closed) return;
    const wanted = new Map<string, TrunkConfig & { register: TrunkRegister }>();
    for (const trunk of this.#options.directory.trunks) {
      if (trunk.enabled && trunk.register !== undefined)
        wanted.set(trunk.name, trunk as TrunkConfig & { register: TrunkRegister });
    }
    for (const [name, running] of this.#running) {
      const trunk = wanted.get(name);
      if (trunk !== undefined && fingerprint(trunk) === running.fingerprint) {
        running.trunk = trunk;
        continue;
      }
      running.registration.close();
      this.#running.delete(name);
      if (trunk === undefined) void this.#options.status.remove(name).catch(() => undefined);
    }
    for (const [name, trunk] of wanted) {
      if (this.#running.has(name)) continue;
      const registration = new TrunkRegistration({
        ...this.#options,
        trunk,
        resolver: this.#resolver,
        onStatus: (status) => {
          this.#options.status
            .set(name, status)
            .catch((error: unknown) =>
              this.#options.log.warn({ err: error, trunk: name }, 'registration status not saved'),
            );
        },
      });
      this.#running.set(name, { registration, fingerprint: fingerprint(trunk), trunk });
      registration.start();
    }
  }

  /**
   * The trunk whose registered contact an INVITE is addressed to: its Request-URI user is the
   * account we registered (our Contact's user part).
   */
  match(request: SipRequest): TrunkConfig | undefined {
    const user = parseUri(request.uri)?.user;
    if (user === undefined) return undefined;
    for (const { registration, trunk } of this.#running.values()) {
      if (registration.contactUser === user) return trunk;
    }
    return undefined;
  }

  status(name: string): RegistrationStatus | undefined {
    return this.#running.get(name)?.registration.status;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    for (const { registration } of this.#running.values()) registration.close();
    this.#running.clear();
  }
}

function fingerprint(trunk: TrunkConfig & { register: TrunkRegister }): string {
  return JSON.stringify(trunk.register);
}
