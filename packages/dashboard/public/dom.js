// Every node the dashboard builds goes through these helpers: strings become text nodes (never
// HTML), attributes are set one by one and event handlers are functions, so text a caller, carrier
// or model wrote cannot become markup or script.

const SVG_NS = 'http://www.w3.org/2000/svg';

function fill(node, attrs, children) {
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') node.addEventListener(name.slice(2), value);
    else if (name === 'class') node.setAttribute('class', String(value));
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** An HTML element with attributes and children (nodes or plain text). */
export function el(tag, attrs, ...children) {
  return fill(document.createElement(tag), attrs, children);
}

/** An SVG element, for the waterfall. */
export function svg(tag, attrs, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

/** Replaces a node's children. */
export function show(parent, ...children) {
  parent.replaceChildren();
  return fill(parent, {}, children);
}

export function formatTime(ms) {
  return ms === undefined || ms === null ? '' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

/** A span of milliseconds as 1:02.3 or 850 ms. */
export function formatOffset(ms) {
  if (ms === undefined || ms === null) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  return `${Math.floor(s / 60)}:${(s % 60).toFixed(1).padStart(4, '0')}`;
}

/** The caller as shown: display name (as text) then URI. */
export function callerText(call) {
  return call.fromName ? `${call.fromName} (${call.from})` : call.from;
}

/** An API error as one line naming the field, in a live region tests and screen readers find. */
export function errorLine(error) {
  const text = error && error.field ? `${error.message}` : String(error && error.message ? error.message : error);
  return el('p', { class: 'error', role: 'alert', 'data-field': error?.field }, text);
}

export function definitionList(entries) {
  return el(
    'dl',
    { class: 'facts' },
    entries
      .filter(([, v]) => v !== undefined && v !== null && v !== '')
      .map(([k, v]) => [el('dt', {}, k), el('dd', {}, String(v))]),
  );
}
