/**
 * Splits text for speaking at clause boundaries (`. , ; ? !` followed by a space) so the first
 * clause can play while the next is synthesised. Fragments shorter than `minChars` are joined to
 * the next (a lone "Hi," sounds clipped and saves nothing); anything longer than `maxChars` is
 * split at the last space before the limit, so one process never gets an unbounded argument.
 */
export interface ClauseOptions {
  minChars?: number;
  maxChars?: number;
}

export function splitClauses(text: string, options: ClauseOptions = {}): string[] {
  const { minChars = 12, maxChars = 300 } = options;
  const normalized = text.replace(/\s+/g, ' ').trim();
  if (normalized === '') return [];
  const clauses: string[] = [];
  let pending = '';
  for (const piece of normalized.split(/(?<=[.,;?!])\s+/)) {
    pending = pending === '' ? piece : `${pending} ${piece}`;
    if (pending.length >= minChars) {
      clauses.push(...limitLength(pending, maxChars));
      pending = '';
    }
  }
  if (pending !== '') {
    const last = clauses.pop();
    clauses.push(...limitLength(last === undefined ? pending : `${last} ${pending}`, maxChars));
  }
  return clauses;
}

function limitLength(clause: string, maxChars: number): string[] {
  const parts: string[] = [];
  let rest = clause;
  while (rest.length > maxChars) {
    const space = rest.lastIndexOf(' ', maxChars);
    const cut = space > 0 ? space : maxChars;
    parts.push(rest.slice(0, cut).trim());
    rest = rest.slice(cut).trim();
  }
  if (rest !== '') parts.push(rest);
  return parts;
}
