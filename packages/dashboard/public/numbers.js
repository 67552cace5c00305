import { el, errorLine, formatTime, show } from './dom.js';

const MANAGED = ['version', 'configVersion', 'updatedAtMs'];
const EXAMPLE = { agent: { kind: 'scripted', greeting: 'Hello, how can I help?' } };

const path = (e164) => `/api/v1/numbers/${encodeURIComponent(e164)}`;

function withoutManaged(config) {
  return Object.fromEntries(Object.entries(config).filter(([k]) => !MANAGED.includes(k)));
}

/** A JSON editor for one number config: the API's zod messages come back naming the field. */
function editor(api, { e164, config, isNew }) {
  const number = el('input', { id: 'number-e164', value: e164 ?? '', placeholder: '+15551230001', readonly: !isNew });
  const text = el('textarea', { id: 'number-config', rows: 16, spellcheck: 'false' });
  text.value = JSON.stringify(config, null, 2);
  const status = el('div', { class: 'status' });
  const save = async (event) => {
    event.preventDefault();
    let body;
    try {
      body = JSON.parse(text.value);
    } catch (error) {
      show(status, errorLine({ message: `config: not JSON (${error.message})`, field: 'body' }));
      return;
    }
    try {
      const saved = await api.request('PUT', path(number.value.trim()), body);
      show(
        status,
        el(
          'p',
          { class: 'ok', role: 'status' },
          `Saved ${saved.number ?? number.value} (config version ${saved.configVersion})`,
        ),
      );
      if (isNew) location.hash = `#/numbers/${encodeURIComponent(number.value.trim())}`;
    } catch (error) {
      show(status, errorLine(error));
    }
  };
  const remove = async () => {
    try {
      await api.request('DELETE', path(number.value.trim()));
      location.hash = '#/numbers';
    } catch (error) {
      show(status, errorLine(error));
    }
  };
  return el(
    'form',
    { id: 'number-editor', onsubmit: (event) => void save(event) },
    el('label', { for: 'number-e164' }, 'Number (E.164)'),
    number,
    el('label', { for: 'number-config' }, 'Config (number config v2, docs/configuration.md)'),
    text,
    el(
      'div',
      { class: 'actions' },
      el('button', { type: 'submit' }, isNew ? 'Create' : 'Save'),
      !isNew && el('button', { type: 'button', class: 'danger', onclick: () => void remove() }, 'Delete'),
    ),
    status,
  );
}

export async function renderNumbers(main, api) {
  const { numbers } = await api.get('/api/v1/numbers');
  show(
    main,
    el('h1', {}, 'Numbers'),
    numbers.length === 0
      ? el('p', {}, 'No numbers yet.')
      : el(
          'table',
          { id: 'numbers' },
          el(
            'thead',
            {},
            el(
              'tr',
              {},
              ['Number', 'Agent', 'Enabled', 'Version', 'Updated'].map((h) => el('th', {}, h)),
            ),
          ),
          el(
            'tbody',
            {},
            numbers.map((n) =>
              el(
                'tr',
                {},
                el('td', {}, el('a', { href: `#/numbers/${encodeURIComponent(n.number)}` }, n.number)),
                el('td', {}, n.agent?.kind ?? ''),
                el('td', {}, n.enabled === false ? 'no' : 'yes'),
                el('td', {}, String(n.configVersion ?? '')),
                el('td', {}, formatTime(n.updatedAtMs)),
              ),
            ),
          ),
        ),
    el('h2', {}, 'New number'),
    editor(api, { config: EXAMPLE, isNew: true }),
  );
}

export async function renderNumber(main, api, e164) {
  const config = await api.get(path(e164));
  show(
    main,
    el('p', {}, el('a', { href: '#/numbers' }, '← Numbers')),
    el('h1', {}, e164),
    editor(api, { e164, config: withoutManaged(config), isNew: false }),
  );
}
