// Building the page: every element is made with h(), which turns strings
// and numbers into text nodes. Nothing in this page ever parses a string
// as HTML, so user data (a lead named "<script>…") is always text.

/**
 * h('a', {href: '/x', class: 'c', on: {click: f}}, 'text', child, [more])
 * Properties: `class`, `text`, `on` (event handlers), `dataset`,
 * booleans (`disabled`, `checked`, `hidden`, …) as properties, anything
 * else as an attribute.
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'class') el.className = value;
    else if (name === 'text') el.textContent = String(value);
    else if (name === 'on') {
      for (const [event, fn] of Object.entries(value)) el.addEventListener(event, fn);
    } else if (name === 'dataset') Object.assign(el.dataset, value);
    else if (value === true) {
      if (name in el) el[name] = true;
      else el.setAttribute(name, '');
    } else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

/** Appends children: nodes as they are, strings and numbers as text. */
export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Removes every child of `el`, then appends `children`. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** A link inside the page: main.js routes it without a reload. */
export function link(path, ...text) {
  return h('a', { href: path, dataset: { link: '' } }, ...text);
}

/** The page of a lead, from its CRM ID (never from a string we were sent). */
export function leadPath(crmId) {
  return `/leads/${Number(crmId)}`;
}

export function importPath(importId) {
  return `/imports/${Number(importId)}`;
}

/** `2026-03-01T14:30:00.000Z` as local `2026-03-01 15:30`, the exact time in a tooltip. */
export function when(iso) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return h('span', {}, iso);
  const pad = (n) => String(n).padStart(2, '0');
  const text = `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())} ` +
    `${pad(t.getHours())}:${pad(t.getMinutes())}`;
  return h('time', { datetime: iso, title: iso }, text);
}

/** The date part of `when`, for sentences. */
export function day(iso) {
  const t = new Date(iso || '');
  if (Number.isNaN(t.getTime())) return String(iso || '');
  const pad = (n) => String(n).padStart(2, '0');
  return `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())}`;
}

export function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function count(n) {
  return Number(n || 0).toLocaleString('en-US');
}

/** `1 event`, `3 events`. */
export function plural(n, one, many) {
  return `${count(n)} ${Number(n) === 1 ? one : many || `${one}s`}`;
}

/** A field's JSON value as text: null is empty, booleans Yes/No. */
export function valueText(v) {
  if (v === null || v === undefined) return '';
  if (v === true) return 'Yes';
  if (v === false) return 'No';
  return String(v);
}

/** A banner: kind is `error`, `warn`, `ok` or `info`. */
export function notice(kind, ...children) {
  return h('div', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' },
    ...children);
}

/** Summary cards: [[label, number, modifier class], …]. */
export function cards(items, id) {
  return h('div', { class: 'cards', id },
    items.map(([label, n, cls]) => h('div', { class: `card ${cls || ''}`, dataset: { count: label } },
      h('span', { class: 'n' }, count(n)), h('span', { class: 'label' }, label))));
}

/** What the server says it is doing, as words for a progress bar. */
const PHASES = {
  previewing: 'Checking every row: validating and matching',
  committing: 'Importing: turning the preview into events',
  applying: 'Updating the CRM view',
};

/**
 * Shows a GET /api/progress answer on a progress bar: a percentage when
 * the server knows its total, else the phase alone.
 */
export function showServerProgress(bar, view, fallback) {
  const words = (view && PHASES[view.phase]) || fallback;
  if (view && view.phase && view.total > 0) {
    const fraction = view.done / view.total;
    bar.set(fraction, `${words}: ${Math.round(Math.min(1, fraction) * 100)}%`);
  } else {
    bar.set(null, `${words}…`);
  }
}

/**
 * A progress bar with a label. set(fraction) shows a determinate bar,
 * set(null) an indeterminate one; the elapsed seconds tick while it runs.
 */
export function progress(label) {
  const bar = h('progress', { max: 1 });
  const text = h('span', {}, label);
  const clock = h('span', { class: 'muted' });
  const el = h('div', { class: 'progress', role: 'status', 'aria-live': 'polite' }, bar, text, clock);
  const started = Date.now();
  const timer = setInterval(() => {
    const s = Math.round((Date.now() - started) / 1000);
    clock.textContent = s >= 2 ? ` · ${s} s` : '';
  }, 500);
  return {
    el,
    set(fraction, newLabel) {
      if (fraction === null) bar.removeAttribute('value');
      else bar.value = Math.max(0, Math.min(1, fraction));
      if (newLabel) text.textContent = newLabel;
    },
    done() {
      clearInterval(timer);
      el.remove();
    },
  };
}

/** A section with a heading. */
export function section(title, id, ...children) {
  return h('section', { class: 'panel', id }, h('h2', {}, title), ...children);
}
