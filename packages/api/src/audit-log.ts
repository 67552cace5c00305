/** One configuration change: who (the token's realm), what, and the config version before and after. */
export interface AuditEntry {
  /** `admin`: only the admin token may change configuration. */
  token: 'admin';
  /** `number.put`, `number.patch`, `number.delete`, `trunk.put`, … */
  action: string;
  /** The number or trunk name changed. */
  target: string;
  /** configVersion before (0: it did not exist) and after (0: deleted). */
  fromVersion: number;
  toVersion: number;
  /** The client's address. */
  source: string;
}

/** Where audit lines go: the supervisor's logger, one line per change. */
export type AuditLog = (entry: AuditEntry) => void;
