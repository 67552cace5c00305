import { el, formatTime, show } from './dom.js';

function registration(status) {
  if (!status) return 'not registering';
  const parts = [status.state];
  if (status.expiresAtMs) parts.push(`until ${formatTime(status.expiresAtMs)}`);
  if (status.lastError) parts.push(`last error: ${status.lastError}`);
  if (status.failures > 0) parts.push(`${status.failures} failures`);
  return parts.join(', ');
}

export async function renderTrunks(main, api) {
  const { trunks, registration: states = {} } = await api.get('/api/v1/trunks');
  show(
    main,
    el('h1', {}, 'Trunks'),
    el('p', { class: 'hint' }, 'Edit trunks with voicebridge trunks set or PUT /api/v1/trunks/{name} (docs/api.md).'),
    trunks.length === 0
      ? el('p', {}, 'No trunks: calls are admitted by SIP_ALLOWED_CIDRS only.')
      : el(
          'table',
          { id: 'trunks' },
          el(
            'thead',
            {},
            el(
              'tr',
              {},
              ['Name', 'Enabled', 'Sources', 'Trusted', 'Max calls', 'Registration'].map((h) => el('th', {}, h)),
            ),
          ),
          el(
            'tbody',
            {},
            trunks.map((t) =>
              el(
                'tr',
                {},
                el('td', {}, t.name),
                el('td', {}, t.enabled ? 'yes' : 'no'),
                el('td', {}, (t.sources ?? []).join(', ')),
                el('td', {}, t.trusted ? 'yes' : 'no'),
                el('td', {}, t.maxCalls === undefined ? '' : String(t.maxCalls)),
                el('td', { class: `registration ${states[t.name]?.state ?? 'none'}` }, registration(states[t.name])),
              ),
            ),
          ),
        ),
  );
}
