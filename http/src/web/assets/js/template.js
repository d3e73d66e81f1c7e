// The template builder: the catalogue's four categories as columns of
// checkboxes (key identifiers in red, always in), a toggle per column,
// the kind and the format, and Download. What is checked is exactly what
// the template holds: the server adds the key identifiers anyway.

import { h, replace, notice, bytes } from './dom.js';
import { getJson, fetchFile, saveBlob } from './api.js';

function column(category, fields, onChange) {
  const boxes = [];
  const toggle = h('input', { type: 'checkbox', id: `cat-${category.name}`, class: 'toggle',
    title: `Every field of ${category.title}` });
  const items = fields.map((f) => {
    const box = h('input', { type: 'checkbox', value: f.header, checked: true, disabled: f.key,
      dataset: { category: category.name, key: String(f.key) } });
    boxes.push(box);
    const title = `${f.type}, e.g. ${f.example}${f.key ? ' (key identifier: always included)' : ''}`;
    return h('li', {}, h('label', { class: f.key ? 'key' : null, title },
      box, ' ', f.header, f.key ? h('span', { class: 'star', 'aria-label': 'key identifier' }, ' *') : null));
  });
  const optional = boxes.filter((b) => !b.disabled);
  const sync = () => {
    const on = optional.filter((b) => b.checked).length;
    toggle.checked = on === optional.length;
    toggle.indeterminate = on > 0 && on < optional.length;
  };
  toggle.addEventListener('change', () => {
    optional.forEach((b) => { b.checked = toggle.checked; });
    sync();
    onChange();
  });
  optional.forEach((b) => b.addEventListener('change', () => { sync(); onChange(); }));
  sync();
  return {
    el: h('fieldset', { class: 'category', id: `column-${category.name}` },
      h('legend', {}, h('label', {}, toggle, ' ', category.title)),
      h('ul', {}, items)),
    boxes,
  };
}

export async function render(main) {
  const box = h('div', {}, h('p', { class: 'muted' }, 'Loading the field catalogue…'));
  replace(main, h('h1', {}, 'Template'), box);
  let catalogue;
  try {
    catalogue = await getJson('/api/catalogue');
  } catch (e) {
    replace(box, notice('error', e.message));
    return;
  }

  const summary = h('span', { class: 'muted', id: 'field-count' });
  const columns = catalogue.categories.map((c) =>
    column(c, catalogue.fields.filter((f) => f.category === c.name), () => countFields()));
  const boxes = columns.flatMap((c) => c.boxes);
  const chosen = () => boxes.filter((b) => b.checked).map((b) => b.value);
  function countFields() {
    summary.textContent = `${chosen().length} of ${boxes.length} fields`;
  }
  countFields();

  const kind = h('select', { id: 'template-kind' },
    h('option', { value: 'leads' }, 'Leads'), h('option', { value: 'organizations' }, 'Organizations'));
  const format = h('select', { id: 'template-format' },
    h('option', { value: 'xlsx' }, 'Excel (.xlsx)'), h('option', { value: 'csv' }, 'CSV (.csv)'));
  const status = h('div', { id: 'download-status', role: 'status', 'aria-live': 'polite' });
  const button = h('button', { type: 'button', id: 'download', class: 'primary' }, 'Download');

  button.addEventListener('click', async () => {
    const query = new URLSearchParams({ fields: chosen().join(','), format: format.value });
    const path = `/api/templates/${encodeURIComponent(kind.value)}?${query}`;
    button.disabled = true;
    replace(status, h('span', { class: 'muted' }, 'Preparing the template…'));
    try {
      const file = await fetchFile(path, `template.${format.value}`);
      saveBlob(file.blob, file.name);
      status.dataset.href = path;
      status.dataset.bytes = String(file.blob.size);
      replace(status, notice('ok', `Downloaded ${file.name} (${bytes(file.blob.size)}).`));
    } catch (e) {
      replace(status, notice('error', e.message));
    } finally {
      button.disabled = false;
    }
  });

  replace(box,
    h('p', {}, 'Choose the fields of your template. ',
      h('span', { class: 'key' }, 'Key identifiers *'),
      ' are always included: they are how a row finds its record, and the least a contact, communication or opportunity needs.'),
    h('div', { class: 'form-row' },
      h('label', {}, 'Kind ', kind),
      h('label', {}, 'Format ', format),
      button, summary),
    status,
    h('div', { class: 'columns' }, columns.map((c) => c.el)));
}
