// A table of records that the user can sort (click a header), copy (the
// Copy button puts tab-separated text on the clipboard; "Show as text"
// gives the same text to select by hand) and page through (a file may
// hold a million rows: the DOM gets them a page at a time, while sorting
// and copying always cover every row).

import { h, replace, count } from './dom.js';

const PAGE = 250;

/**
 * columns: [{key, title, text(row) → string, cell(row) → Node|string, numeric}]
 * `text` is what sorting and copying use (default: row[key]); `cell`
 * what the table shows (default: the text).
 */
export function dataTable({ id, columns, rows, empty, copy = true, caption }) {
  const textOf = (col, row) => {
    const v = col.text ? col.text(row) : row[col.key];
    return v === null || v === undefined ? '' : String(v);
  };
  let order = rows.slice();
  let sortedBy = null;
  let ascending = true;
  let shown = 0;

  const body = h('tbody');
  const more = h('button', { type: 'button', class: 'secondary more', hidden: true,
    on: { click: () => showMore() } });
  const status = h('span', { class: 'muted copy-status', role: 'status' });
  const textView = h('textarea', { class: 'as-text', readonly: true, rows: 8, spellcheck: 'false',
    'aria-label': 'the table as tab-separated text' });
  const details = h('details', { class: 'as-text-box', on: { toggle: () => fillText() } },
    h('summary', {}, 'Show as text'), textView);

  const heads = columns.map((col) => {
    const button = h('button', { type: 'button', class: 'sort', title: `Sort by ${col.title}`,
      on: { click: () => sortBy(col) } }, col.title);
    return h('th', { scope: 'col', class: col.numeric ? 'num' : null, dataset: { key: col.key } }, button);
  });
  const table = h('table', { class: 'data' },
    caption ? h('caption', {}, caption) : null,
    h('thead', {}, h('tr', {}, heads)), body);

  function tsv() {
    const clean = (s) => s.replace(/[\t\r\n]+/g, ' ');
    const lines = [columns.map((c) => clean(c.title)).join('\t')];
    for (const row of order) lines.push(columns.map((c) => clean(textOf(c, row))).join('\t'));
    return `${lines.join('\n')}\n`;
  }

  function fillText() {
    if (details.open) textView.value = tsv();
  }

  function rowEl(row) {
    return h('tr', {}, columns.map((col) => {
      const content = col.cell ? col.cell(row) : textOf(col, row);
      return h('td', { class: col.numeric ? 'num' : null }, content);
    }));
  }

  function showMore() {
    const next = order.slice(shown, shown + PAGE);
    body.append(...next.map(rowEl));
    shown += next.length;
    const left = order.length - shown;
    more.hidden = left <= 0;
    more.textContent = `Show ${count(Math.min(PAGE, left))} more (${count(left)} not shown)`;
  }

  function render() {
    body.replaceChildren();
    shown = 0;
    if (order.length === 0) {
      body.append(h('tr', {}, h('td', { colspan: columns.length, class: 'muted' }, empty || 'Nothing.')));
      more.hidden = true;
    } else {
      showMore();
    }
    fillText();
  }

  function sortBy(col) {
    ascending = sortedBy === col ? !ascending : true;
    sortedBy = col;
    const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
    order = rows.slice().sort((a, b) => {
      const x = textOf(col, a);
      const y = textOf(col, b);
      const c = col.numeric ? (Number(x) - Number(y)) : collator.compare(x, y);
      return ascending ? c : -c;
    });
    heads.forEach((th, i) => {
      if (columns[i] === col) th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
    });
    render();
  }

  async function copyAll() {
    const text = tsv();
    const n = order.length;
    try {
      await navigator.clipboard.writeText(text);
      replace(status, `Copied ${count(n)} rows as tab-separated text.`);
    } catch (_) {
      // No clipboard permission (an insecure origin, say): hand the
      // user the text, selected, to copy with the keyboard.
      details.open = true;
      textView.value = text;
      textView.select();
      const copied = document.execCommand && document.execCommand('copy');
      replace(status, copied ? `Copied ${count(n)} rows as tab-separated text.`
        : 'Select the text below and copy it.');
    }
  }

  render();
  const tools = copy ? h('div', { class: 'table-tools' },
    h('button', { type: 'button', class: 'secondary small copy', on: { click: copyAll } }, 'Copy'),
    status) : null;
  return h('div', { class: 'table-box', id },
    tools,
    h('div', { class: 'scroll' }, table),
    more,
    copy ? details : null);
}
