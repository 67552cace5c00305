/**
 * Lexical helpers shared by the header-value parsers (RFC 3261 §25.1 basic rules).
 *
 *   token          =  1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" )
 *   quoted-string  =  SWS DQUOTE *(qdtext / quoted-pair ) DQUOTE
 *   quoted-pair    =  "\" (%x00-09 / %x0B-0C / %x0E-7F)
 *   SEMI = SWS ";" SWS    EQUAL = SWS "=" SWS    COMMA = SWS "," SWS
 *   generic-param  =  token [ EQUAL gen-value ]
 *   gen-value      =  token / host / quoted-string
 *
 * Header values reach these helpers already unfolded (CRLF + WSP became one SP), so "SWS" is just
 * optional spaces and tabs.
 */

export const TOKEN_RE = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
const TOKEN_CHAR_RE = /[A-Za-z0-9\-.!%*_+`'~]/;

/** Parameter values: token, host (incl. an IPv6 reference) or a quoted string (kept with quotes). */
const GEN_VALUE_RE = /^[A-Za-z0-9\-.!%*_+`'~[\]:]+$/;

export function isToken(value: string): boolean {
  return TOKEN_RE.test(value);
}

export function isWhitespace(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t';
}

/** Trims SP and HTAB only: String.prototype.trim would also eat U+FEFF and other Unicode spaces. */
export function trimWsp(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isWhitespace(text[start])) start++;
  while (end > start && isWhitespace(text[end - 1])) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

export function skipWhitespace(text: string, index: number): number {
  let i = index;
  while (i < text.length && isWhitespace(text[i])) i++;
  return i;
}

/**
 * Reads a quoted-string starting at `index` (which must hold the opening DQUOTE).
 * Returns the unescaped content and the index after the closing quote, or undefined when the
 * string never closes (RFC 4475 §3.1.2.6 quotbal).
 */
export function readQuotedString(text: string, index: number): { value: string; end: number } | undefined {
  if (text[index] !== '"') return undefined;
  let value = '';
  for (let i = index + 1; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\') {
      // quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F): any char but CR and LF may be escaped.
      const next = text[i + 1];
      if (next === undefined || next === '\r' || next === '\n') return undefined;
      value += next;
      i++;
    } else if (ch === '"') {
      return { value, end: i + 1 };
    } else {
      value += ch;
    }
  }
  return undefined;
}

export function quoteString(value: string): string {
  return `"${value.replace(/[\\"]/g, (ch) => `\\${ch}`)}"`;
}

/**
 * Splits a header value on `separator`, ignoring separators inside quoted strings and <...>.
 * Items are trimmed; empty items are kept so a caller can tell `a,,b` from `a,b`.
 *
 *   list = element *( COMMA element )      (RFC 3261 §7.3.1: "Header-Name: a, b" ≡ two lines)
 */
export function splitOutside(value: string, separator: string): string[] {
  const items: string[] = [];
  let start = 0;
  let inQuotes = false;
  let angle = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (inQuotes) {
      if (ch === '\\') i++;
      else if (ch === '"') inQuotes = false;
    } else if (ch === '"') {
      inQuotes = true;
    } else if (ch === '<') {
      angle++;
    } else if (ch === '>') {
      if (angle > 0) angle--;
    } else if (ch === separator && angle === 0) {
      items.push(trimWsp(value.slice(start, i)));
      start = i + 1;
    }
  }
  items.push(trimWsp(value.slice(start)));
  return items;
}

/**
 * Parses `*( SEMI generic-param )` starting at `index`. Names are lower-cased (parameter names
 * compare case-insensitively, RFC 3261 §7.3.1); a value-less parameter maps to null; quoted values
 * keep their quotes so formatting round-trips. Returns undefined on `;;`, a missing name, a bad
 * value or trailing garbage (RFC 4475 §3.1.2.1 badinv01).
 */
export function parseParams(text: string, index: number): Map<string, string | null> | undefined {
  const params = new Map<string, string | null>();
  let i = skipWhitespace(text, index);
  // Bounded: every iteration consumes at least the ";" and one name character.
  while (i < text.length) {
    if (text[i] !== ';') return undefined;
    i = skipWhitespace(text, i + 1);
    const nameStart = i;
    while (i < text.length && TOKEN_CHAR_RE.test(text[i] as string)) i++;
    if (i === nameStart) return undefined;
    const name = text.slice(nameStart, i).toLowerCase();
    i = skipWhitespace(text, i);
    let value: string | null = null;
    if (text[i] === '=') {
      i = skipWhitespace(text, i + 1);
      if (text[i] === '"') {
        const quoted = readQuotedString(text, i);
        if (quoted === undefined) return undefined;
        value = text.slice(i, quoted.end);
        i = quoted.end;
      } else {
        const valueStart = i;
        while (i < text.length && text[i] !== ';' && !isWhitespace(text[i])) i++;
        value = text.slice(valueStart, i);
        if (!GEN_VALUE_RE.test(value)) return undefined;
      }
      i = skipWhitespace(text, i);
    }
    params.set(name, value);
  }
  return params;
}

export function formatParams(params: ReadonlyMap<string, string | null>): string {
  let out = '';
  for (const [name, value] of params) out += value === null ? `;${name}` : `;${name}=${value}`;
  return out;
}
