import { callerText, el, errorLine, formatOffset, formatTime, show } from './dom.js';

/** The calls up now, pushed by GET /api/v1/live; each with a hang-up button. Returns its stop. */
export function renderLive(main, api) {
  const controller = new AbortController();
  const state = el('p', { id: 'live-state', class: 'hint' }, 'connecting…');
  const body = el('tbody');
  const status = el('div', { class: 'status' });
  let calls = [];
  const hangUp = async (callId) => {
    try {
      await api.request('POST', `/api/v1/calls/${encodeURIComponent(callId)}/hangup`);
      show(status, el('p', { class: 'ok', role: 'status' }, `Hang-up sent to ${callId}`));
    } catch (error) {
      show(status, errorLine(error));
    }
  };
  const draw = () => {
    const now = Date.now();
    body.replaceChildren(
      ...calls.map((call) =>
        el(
          'tr',
          { 'data-call-id': call.callId },
          el('td', {}, el('a', { href: `#/calls/${encodeURIComponent(call.callId)}` }, formatTime(call.invitedAtMs))),
          el('td', { class: 'caller' }, callerText(call)),
          el('td', {}, call.number),
          el('td', {}, call.status),
          el('td', {}, formatOffset(now - (call.answeredAtMs ?? call.invitedAtMs))),
          el(
            'td',
            {},
            el('button', { type: 'button', class: 'danger', onclick: () => void hangUp(call.callId) }, 'Hang up'),
          ),
        ),
      ),
    );
  };
  show(
    main,
    el('h1', {}, 'Live calls'),
    state,
    status,
    el(
      'table',
      { id: 'live' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ['Invited', 'From', 'Number', 'Status', 'For', ''].map((h) => el('th', {}, h)),
        ),
      ),
      body,
    ),
  );
  const ticker = setInterval(draw, 1000);
  controller.signal.addEventListener('abort', () => clearInterval(ticker));
  void api.events(
    '/api/v1/live',
    controller.signal,
    (name, data) => {
      if (name !== 'calls') return;
      calls = data.calls;
      state.textContent = `${calls.length} live · updated ${formatTime(data.atMs)}`;
      draw();
    },
    (text) => {
      if (text !== 'connected') state.textContent = text;
    },
  );
  return () => controller.abort();
}
