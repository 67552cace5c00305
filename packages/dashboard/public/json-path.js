// Where a field the API named (`agent.answers[0].keyword`) is in the JSON the operator typed, so
// the editor can put its message beside it and select it. The text already parsed as JSON (the
// API only sees what did), so a small scanner that follows the grammar is enough; it never
// evaluates anything. Returns the text range and line of the field, or of the deepest part of its
// path that is there (a missing field points at the object that lacks it), or undefined.

/** `agent.answers[0].keyword` → ['agent', 'answers', '0', 'keyword']. */
export function fieldSegments(field) {
  return String(field)
    .split(/\.|\[(\d+)\]/)
    .filter((part) => part !== undefined && part !== '');
}

export function locateField(text, field) {
  const target = fieldSegments(field);
  let i = 0;
  let best;
  const note = (path, start, end) => {
    if (path.length > target.length || path.some((part, k) => part !== target[k])) return;
    if (best === undefined || path.length > best.depth) best = { depth: path.length, start, end };
  };
  const space = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const string = () => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i));
  };
  // `from`: where a member's range starts, its key, so selecting it shows the operator which one.
  const value = (path, from) => {
    space();
    const start = from ?? i;
    if (text[i] === '{' || text[i] === '[') {
      const object = text[i] === '{';
      const close = object ? '}' : ']';
      i++;
      space();
      for (let index = 0; i < text.length && text[i] !== close; index++) {
        space();
        const keyStart = i;
        const key = object ? string() : String(index);
        if (object) {
          space();
          i++; // the colon
        }
        const child = [...path, key];
        const before = i;
        value(child, object ? keyStart : undefined);
        space();
        if (text[i] === ',') i++;
        if (i === before) break; // no progress: not the JSON we expected
      }
      i++;
    } else if (text[i] === '"') string();
    else while (i < text.length && !/[\s,\]}]/.test(text[i])) i++;
    note(path, start, i);
  };
  try {
    value([]);
  } catch {
    return undefined;
  }
  if (best === undefined) return undefined;
  const line = text.slice(0, best.start).split('\n').length;
  return { start: best.start, end: best.end, line, exact: best.depth === target.length };
}
