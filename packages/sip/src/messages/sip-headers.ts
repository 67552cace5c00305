import { canonicalHeaderName, headerKey, isListHeader } from './header-names.ts';
import { splitOutside } from './syntax.ts';

interface HeaderEntry {
  /** Spelling used on the wire: canonical long name for known headers (compact forms expanded). */
  readonly name: string;
  /** Lower-case long name used for lookups. */
  readonly key: string;
  readonly value: string;
}

/**
 * The header block of a SIP message: an ordered list of (name, value) lines.
 *
 * RFC 3261 §7.3.1: field names are case-insensitive; several lines with the same name are
 * equivalent to one line with the values joined by commas, for list headers only; the relative
 * order of same-name lines is significant (Via, Route), the order between different names is not.
 * Compact forms (§7.3.3) are stored under their long name.
 */
export class SipHeaders {
  #list: HeaderEntry[] = [];

  constructor(init?: Iterable<readonly [string, string]>) {
    if (init !== undefined) for (const [name, value] of init) this.append(name, value);
  }

  /**
   * First value: the first element of the first line for list headers (so `get('Via')` is the
   * topmost via-parm even when a line carries several), the first line's value otherwise.
   */
  get(name: string): string | undefined {
    const key = headerKey(name);
    const list = isListHeader(key);
    for (const entry of this.#list) {
      if (entry.key !== key) continue;
      if (!list) return entry.value;
      for (const item of splitOutside(entry.value, ',')) if (item !== '') return item;
    }
    return undefined;
  }

  /**
   * Every value in order. List headers are split on commas outside quotes and <...>, empty
   * elements dropped; other headers (WWW-Authenticate, Authorization, Date, Call-ID, From, ...)
   * yield one value per line.
   */
  getAll(name: string): string[] {
    const key = headerKey(name);
    const list = isListHeader(key);
    const out: string[] = [];
    for (const entry of this.#list) {
      if (entry.key !== key) continue;
      if (!list) {
        out.push(entry.value);
        continue;
      }
      for (const item of splitOutside(entry.value, ',')) if (item !== '') out.push(item);
    }
    return out;
  }

  /** Values of each line as received, never split (for copying headers verbatim into a response). */
  getLines(name: string): string[] {
    const key = headerKey(name);
    const out: string[] = [];
    for (const entry of this.#list) if (entry.key === key) out.push(entry.value);
    return out;
  }

  has(name: string): boolean {
    const key = headerKey(name);
    return this.#list.some((entry) => entry.key === key);
  }

  /** Replaces every line of `name`; the new lines take the position of the first old one. */
  set(name: string, value: string | readonly string[]): void {
    const key = headerKey(name);
    const values = typeof value === 'string' ? [value] : value;
    const at = this.#list.findIndex((entry) => entry.key === key);
    this.#list = this.#list.filter((entry) => entry.key !== key);
    const entries = values.map((v) => makeEntry(name, v));
    if (at === -1) this.#list.push(...entries);
    else this.#list.splice(at, 0, ...entries);
  }

  append(name: string, value: string): void {
    this.#list.push(makeEntry(name, value));
  }

  /**
   * Inserts before the first line of the same name, else at the top of the block: a UAC or proxy
   * puts its Via above the existing ones (RFC 3261 §8.1.1.7, §16.6 step 8).
   */
  prepend(name: string, value: string): void {
    const key = headerKey(name);
    const at = this.#list.findIndex((entry) => entry.key === key);
    this.#list.splice(at === -1 ? 0 : at, 0, makeEntry(name, value));
  }

  /** Removes every line of `name`; true when something was removed. */
  delete(name: string): boolean {
    const key = headerKey(name);
    const before = this.#list.length;
    this.#list = this.#list.filter((entry) => entry.key !== key);
    return this.#list.length !== before;
  }

  /** (name, value) per line, in order, names in their wire spelling. */
  *entries(): IterableIterator<[string, string]> {
    for (const entry of this.#list) yield [entry.name, entry.value];
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  /** Number of header lines. */
  get size(): number {
    return this.#list.length;
  }

  clone(): SipHeaders {
    const copy = new SipHeaders();
    copy.#list = this.#list.slice();
    return copy;
  }
}

function makeEntry(name: string, value: string): HeaderEntry {
  return { name: canonicalHeaderName(name), key: headerKey(name), value };
}
