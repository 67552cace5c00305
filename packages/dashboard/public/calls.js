import { callerText, el, errorLine, formatOffset, formatTime, show } from './dom.js';

const FILTERS = [
  ['number', 'Number', '+15551230001'],
  ['from', 'From', 'number or SIP URI'],
  ['trunk', 'Trunk', 'name'],
  ['verdict', 'Verdict', 'caller-bye'],
  ['direction', 'Direction', 'inbound'],
  ['since', 'Since', '2026-12-06T09:00:00Z'],
  ['until', 'Until', '2026-12-06T18:00:00Z'],
];

function row(call) {
  const duration = call.endedAtMs && call.answeredAtMs ? formatOffset(call.endedAtMs - call.answeredAtMs) : '';
  return el(
    'tr',
    { 'data-call-id': call.callId },
    el('td', {}, el('a', { href: `#/calls/${encodeURIComponent(call.callId)}` }, formatTime(call.invitedAtMs))),
    el('td', { class: 'caller' }, callerText(call)),
    el('td', {}, call.number),
    el('td', {}, call.trunk ?? ''),
    el('td', {}, call.status),
    el('td', {}, call.verdict ? `${call.verdict.reason} (${call.verdict.by})` : ''),
    el('td', {}, duration),
  );
}

/** The calls table with API v1's filters; the filters live in the URL, so back and reload keep them. */
export async function renderCalls(main, api, params) {
  const inputs = FILTERS.map(([name, label, placeholder]) =>
    el('label', {}, label, el('input', { name, placeholder, value: params.get(name) ?? '' })),
  );
  const live = el('input', { type: 'checkbox', name: 'live', checked: params.get('live') === 'true' });
  const form = el(
    'form',
    {
      id: 'call-filters',
      class: 'filters',
      onsubmit: (event) => {
        event.preventDefault();
        const query = new URLSearchParams();
        for (const input of form.querySelectorAll('input[name]:not([type=checkbox])')) {
          if (input.value.trim() !== '') query.set(input.name, input.value.trim());
        }
        if (live.checked) query.set('live', 'true');
        location.hash = `#/calls?${query}`;
      },
    },
    inputs,
    el('label', {}, live, 'live only'),
    el('button', { type: 'submit' }, 'Filter'),
  );
  const body = el('tbody');
  const status = el('div', { class: 'status' });
  const more = el('button', { type: 'button', hidden: true }, 'Older calls');
  const table = el(
    'table',
    { id: 'calls' },
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        ['Invited', 'From', 'Number', 'Trunk', 'Status', 'Verdict', 'Talk'].map((h) => el('th', {}, h)),
      ),
    ),
    body,
  );
  show(main, el('h1', {}, 'Calls'), form, status, table, more);
  const query = new URLSearchParams(params);
  const load = async () => {
    try {
      const page = await api.get(`/api/v1/calls?${query}`);
      body.append(...page.calls.map(row));
      more.hidden = page.nextCursor === undefined;
      if (page.nextCursor) query.set('cursor', page.nextCursor);
      if (body.childElementCount === 0 && more.hidden) show(status, el('p', {}, 'No calls match.'));
    } catch (error) {
      show(status, errorLine(error));
    }
  };
  more.addEventListener('click', () => void load());
  await load();
}
