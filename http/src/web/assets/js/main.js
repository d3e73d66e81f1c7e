// The page's entry point: sign-in, the header (who is signed in, the
// navigation), and the client-side router. The server answers every path
// of the page with the same HTML; this decides what it shows.

import { h, replace, notice } from './dom.js';
import { session, getJson } from './api.js';
import * as template from './template.js';
import * as importView from './import.js';
import * as imports from './imports.js';
import * as lead from './lead.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');

function showSignIn(message) {
  nav.hidden = true;
  who.hidden = true;
  document.title = 'Sign in · leadger';
  const token = h('input', { type: 'password', id: 'token', name: 'token', autocomplete: 'off',
    spellcheck: 'false', placeholder: 'ldg_…', required: true });
  const button = h('button', { type: 'submit', id: 'sign-in', class: 'primary' }, 'Sign in');
  const error = h('div', { id: 'sign-in-error' }, message ? notice('error', message) : null);
  const form = h('form', { class: 'panel sign-in', id: 'sign-in-form' },
    h('h1', {}, 'Sign in'),
    h('p', {}, 'Paste an API token. The first start of ', h('code', {}, 'leadger serve'),
      ' printed an admin token; more are made with ',
      h('code', {}, 'leadger tokens create NAME --role admin|auditor'), '.'),
    h('label', { for: 'token' }, 'Token'), token, button, error,
    h('p', { class: 'muted small' }, 'The token is kept in this tab only, and forgotten when it closes.'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    replace(error);
    const secret = token.value.trim();
    try {
      session.who = await getJson('/api/whoami', secret);
      session.save(secret);
      signedIn();
    } catch (e) {
      replace(error, notice('error', e.status === 401 ? 'That token is unknown or revoked.' : e.message));
    } finally {
      button.disabled = false;
    }
  });
  replace(main, form);
  token.focus();
}

function signedIn() {
  replace(document.getElementById('who-name'), session.who.name);
  const role = document.getElementById('who-role');
  replace(role, session.who.role);
  role.className = `badge ${session.who.role}`;
  document.body.dataset.role = session.who.role;
  who.hidden = false;
  const items = [
    session.isAdmin() ? ['/', 'Import', 'import'] : null,
    ['/template', 'Template', 'template'],
    ['/imports', 'Imports', 'imports'],
  ].filter(Boolean);
  replace(nav, items.map(([href, text, id]) => h('a', { href, id: `nav-${id}`, dataset: { link: '' } }, text)));
  nav.hidden = false;
  route();
}

function signOut(message) {
  session.clear();
  session.who = null;
  delete document.body.dataset.role;
  showSignIn(message);
}

/** Which screen a path shows, and the nav entry it lights. */
function screen(path) {
  let m;
  // An admin's home is the Import screen, an auditor's the history.
  if (path === '/') {
    return session.isAdmin() ? ['import', () => importView.render(main)] :
      ['imports', () => imports.renderList(main)];
  }
  if (path === '/import') return ['import', () => importView.render(main)];
  if (path === '/template') return ['template', () => template.render(main)];
  if (path === '/imports') return ['imports', () => imports.renderList(main)];
  if ((m = /^\/imports\/(\d+)$/.exec(path))) return ['imports', () => imports.renderOne(main, m[1])];
  if ((m = /^\/leads\/(\d+)$/.exec(path))) return [null, () => lead.render(main, m[1])];
  return [null, () => replace(main, notice('error', 'There is no such page.'))];
}

function route() {
  if (!session.who) return;
  const [entry, show] = screen(location.pathname);
  for (const a of nav.querySelectorAll('a')) {
    if (a.id === `nav-${entry}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = 'leadger';
  window.scrollTo(0, 0);
  show();
}

/** Links inside the page change the view without a reload. */
document.addEventListener('click', (event) => {
  const a = event.target.closest('a[data-link]');
  if (!a || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin) return;
  event.preventDefault();
  if (url.pathname !== location.pathname) history.pushState(null, '', url.pathname);
  route();
});

window.addEventListener('popstate', route);
window.addEventListener('leadger:unauthorized', (e) =>
  signOut(`Signed out: ${e.detail || 'the token is no longer valid'}.`));
document.getElementById('sign-out').addEventListener('click', () => signOut());

async function boot() {
  const saved = session.token();
  if (!saved) {
    showSignIn();
    return;
  }
  try {
    session.who = await getJson('/api/whoami', saved);
    signedIn();
  } catch (e) {
    if (e.status === 401) signOut('Your token is unknown or revoked: sign in again.');
    else replace(main, notice('error', e.message));
  }
}

boot();
