import { el, errorLine, formatTime, show } from './dom.js';
import { locateField } from './json-path.js';

const MANAGED = ['version', 'configVersion', 'updatedAtMs'];
const EXAMPLE = { agent: { kind: 'scripted', greeting: 'Hello, how can I help?' } };

const path = (e164) => `/api/v1/numbers/${encodeURIComponent(e164)}`;

function withoutManaged(config) {
  return Object.fromEntries(Object.entries(config).filter(([k]) => !MANAGED.includes(k)));
}

/** The fields of the path and the body that name the number itself: their messages go beside its input. */
const NUMBER_FIELDS = ['e164', 'number'];

/**
 * Puts a refusal beside the input it is about: the number's, or the config's with the field the API
 * named selected in the JSON and its line given. An error naming no field goes to `status`. The
 * message is the API's own text, shown as text.
 */
function fieldReporter({ number, numberError, text, configError, status }) {
  const inputs = [
    [number, numberError],
    [text, configError],
  ];
  const clear = () => {
    for (const [input, slot] of inputs) {
      input.removeAttribute('aria-invalid');
      slot.replaceChildren();
      slot.removeAttribute('data-field');
    }
    status.replaceChildren();
  };
  const report = (error) => {
    clear();
    const field = error?.field;
    if (!field) return show(status, errorLine(error));
    const [input, slot] = NUMBER_FIELDS.includes(field) ? inputs[0] : inputs[1];
    const where = input === text && field !== 'body' ? locateField(text.value, field) : undefined;
    input.setAttribute('aria-invalid', 'true');
    slot.setAttribute('data-field', field);
    show(slot, where ? `line ${where.line}: ${error.message}` : error.message);
    input.focus();
    if (where) input.setSelectionRange(where.start, where.end);
  };
  return { report, clear };
}

/** A JSON editor for one number config: the API's zod messages come back naming the field, shown beside it. */
function editor(api, { e164, config, isNew }) {
  const number = el('input', {
    id: 'number-e164',
    value: e164 ?? '',
    placeholder: '+15551230001',
    readonly: !isNew,
    'aria-describedby': 'number-e164-error',
  });
  const numberError = el('p', { id: 'number-e164-error', class: 'error field-error', role: 'alert' });
  const text = el('textarea', {
    id: 'number-config',
    rows: 16,
    spellcheck: 'false',
    'aria-describedby': 'number-config-error',
  });
  text.value = JSON.stringify(config, null, 2);
  const configError = el('p', { id: 'number-config-error', class: 'error field-error', role: 'alert' });
  const status = el('div', { class: 'status' });
  const fields = fieldReporter({ number, numberError, text, configError, status });
  const save = async (event) => {
    event.preventDefault();
    fields.clear();
    let body;
    try {
      body = JSON.parse(text.value);
    } catch (error) {
      fields.report({ message: `config: not JSON (${error.message})`, field: 'body' });
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
      fields.report(error);
    }
  };
  const remove = async () => {
    try {
      await api.request('DELETE', path(number.value.trim()));
      location.hash = '#/numbers';
    } catch (error) {
      fields.report(error);
    }
  };
  return el(
    'form',
    { id: 'number-editor', onsubmit: (event) => void save(event) },
    el('label', { for: 'number-e164' }, 'Number (E.164)'),
    number,
    numberError,
    el('label', { for: 'number-config' }, 'Config (number config v2, docs/configuration.md)'),
    text,
    configError,
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
