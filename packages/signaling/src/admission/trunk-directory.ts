import { cidrContains, parseCidr, type Cidr, type TrunkConfig } from '@voicebridge/protocol';
import type { TrunkRepository } from '@voicebridge/store';
import type { Logger } from 'pino';

export interface TrunkDirectoryOptions {
  trunks: Pick<TrunkRepository, 'list'>;
  /** SIP_ALLOWED_CIDRS: sources admitted without a trunk (no per-trunk settings or limits). */
  allowed: readonly Cidr[];
  /** How often the trunk list is re-read from Redis. */
  refreshMs: number;
  log: Logger;
}

interface CompiledTrunk {
  config: TrunkConfig;
  cidrs: { cidr: Cidr; prefix: number }[];
}

/**
 * The trunks signaling admits calls from, kept in memory and re-read every `refreshMs` so that
 * `voicebridge trunks add|remove` takes effect without a restart. A failed refresh keeps the last list.
 */
export class TrunkDirectory {
  readonly #options: TrunkDirectoryOptions;
  #trunks: CompiledTrunk[] = [];
  #refreshTimer: NodeJS.Timeout | undefined;
  #refreshing: Promise<void> | undefined;
  #closed = false;

  constructor(options: TrunkDirectoryOptions) {
    this.#options = options;
  }

  /** Loads the trunks once (a failure here fails the start), then keeps refreshing. */
  async start(): Promise<void> {
    await this.refresh();
    if (this.#closed) return;
    this.#refreshTimer = setInterval(() => {
      this.refresh().catch((error: unknown) =>
        this.#options.log.warn({ err: error }, 'trunk list refresh failed; keeping the previous list'),
      );
    }, this.#options.refreshMs);
  }

  async refresh(): Promise<void> {
    this.#refreshing ??= (async () => {
      try {
        const configs = await this.#options.trunks.list((error) => {
          this.#options.log.error({ err: error }, 'trunk config skipped: it does not pass the schema');
        });
        this.#trunks = configs.map((config) => ({
          config,
          cidrs: config.sources.flatMap((text) => {
            const cidr = parseCidr(text);
            return cidr ? [{ cidr, prefix: cidr.prefix }] : [];
          }),
        }));
      } finally {
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }

  /** The enabled trunk whose sources contain the address, the most specific CIDR winning. */
  match(address: string): TrunkConfig | undefined {
    let best: { config: TrunkConfig; prefix: number } | undefined;
    for (const trunk of this.#trunks) {
      if (!trunk.config.enabled) continue;
      for (const { cidr, prefix } of trunk.cidrs) {
        if ((best === undefined || prefix > best.prefix) && cidrContains([cidr], address))
          best = { config: trunk.config, prefix };
      }
    }
    return best?.config;
  }

  /** In SIP_ALLOWED_CIDRS. */
  isAllowed(address: string): boolean {
    return cidrContains(this.#options.allowed, address);
  }

  /** A source we take requests from: an enabled trunk's address or SIP_ALLOWED_CIDRS. Never banned. */
  isTrusted(address: string): boolean {
    return this.isAllowed(address) || this.match(address) !== undefined;
  }

  /**
   * Whether an enabled trunk is identified by something other than its source (digest, registration):
   * then requests from unknown sources must reach the SIP core to be challenged or matched.
   */
  get hasSourcelessTrunk(): boolean {
    return this.#trunks.some((t) => t.config.enabled && t.cidrs.length === 0);
  }

  get trunks(): readonly TrunkConfig[] {
    return this.#trunks.map((t) => t.config);
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#refreshTimer);
    this.#refreshTimer = undefined;
  }
}
