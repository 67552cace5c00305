import { Api, ApiError } from './api.js';
import { el, errorLine, show } from './dom.js';
import { renderCallPage } from './call-page.js';
import { renderCalls } from './calls.js';
import { renderLive } from './live.js';
import { renderNumber, renderNumbers } from './numbers.js';
import { renderTrunks } from './trunks.js';

const api = new Api();
const main = document.getElementById('main');
const nav = document.getElementById('nav');
/** The view on screen can leave something running (the live stream): stopped on navigation. */
let leaveView = () => {};

function renderLogin(message) {
  nav.hidden = true;
  const token = el('input', { type: 'password', id: 'token', name: 'token', autocomplete: 'off', required: true });
  const form = el(
    'form',
    { id: 'login', onsubmit: (event) => void signIn(event, token.value) },
    el('h1', {}, 'Sign in'),
    el('label', { for: 'token' }, 'API token (ADMIN_TOKEN, or READ_TOKEN to look only)'),
    token,
    el('button', { type: 'submit' }, 'Sign in'),
    message && errorLine(message),
  );
  show(main, form);
  token.focus();
}

async function signIn(event, token) {
  event.preventDefault();
  api.setToken(token.trim());
  try {
    await api.get('/api/v1/numbers');
  } catch (error) {
    api.setToken('');
    renderLogin(error);
    return;
  }
  nav.hidden = false;
  if (location.hash === '' || location.hash === '#/') location.hash = '#/live';
  else void route();
}

async function route() {
  leaveView();
  leaveView = () => {};
  if (!api.signedIn) return renderLogin();
  const [path, query = ''] = location.hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(query);
  for (const link of nav.querySelectorAll('a')) {
    link.classList.toggle('current', link.getAttribute('href') === `#/${parts[0] ?? ''}`);
  }
  try {
    if (parts[0] === 'calls' && parts[1]) leaveView = await renderCallPage(main, api, parts[1]);
    else if (parts[0] === 'calls') await renderCalls(main, api, params);
    else if (parts[0] === 'numbers' && parts[1]) await renderNumber(main, api, parts[1]);
    else if (parts[0] === 'numbers') await renderNumbers(main, api);
    else if (parts[0] === 'trunks') await renderTrunks(main, api);
    else leaveView = renderLive(main, api);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      api.setToken('');
      return renderLogin(error);
    }
    show(main, errorLine(error));
  }
}

document.getElementById('logout').addEventListener('click', () => {
  api.setToken('');
  leaveView();
  leaveView = () => {};
  renderLogin();
});
window.addEventListener('hashchange', () => void route());
void route();
