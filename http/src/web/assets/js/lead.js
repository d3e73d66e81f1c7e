// A lead's page, /leads/{id}: its fields, contacts, communications and
// opportunities, and its history (which import and who changed which
// field, when, from what to what).

import { h, replace, link, importPath, notice, section, count, plural, valueText } from './dom.js';
import { dataTable } from './table.js';
import { getJson } from './api.js';
import { changesTable } from './imports.js';

function fieldList(fields) {
  const entries = Object.entries(fields);
  if (entries.length === 0) return h('p', { class: 'muted' }, 'No fields.');
  return h('dl', { class: 'fields', id: 'lead-fields' }, entries.map(([name, value]) => [
    h('dt', {}, name),
    h('dd', {}, valueText(value) === '' ? h('span', { class: 'muted' }, '—') : valueText(value)),
  ]));
}

/** Records of one sub-category as a table whose columns are their fields. */
function subTable(title, id, records) {
  const names = [];
  for (const r of records) for (const name of Object.keys(r)) if (!names.includes(name)) names.push(name);
  const columns = names.map((name) => ({ key: name, title: name, text: (r) => valueText(r[name]) }));
  const body = records.length === 0 ? h('p', { class: 'muted' }, `No ${title.toLowerCase()}.`) :
    dataTable({ id: `${id}-table`, columns, rows: records, copy: false });
  return section(`${title} (${count(records.length)})`, id, body);
}

export async function render(main, crmId) {
  const box = h('div', {}, h('p', { class: 'muted' }, 'Loading the lead…'));
  replace(main, h('h1', { id: 'lead-title' }, `Lead ${crmId}`), box);
  let lead;
  let history;
  try {
    [lead, history] = await Promise.all([
      getJson(`/api/leads/${crmId}`),
      getJson(`/api/leads/${crmId}/history`),
    ]);
  } catch (e) {
    replace(box, notice('error', e.message));
    return;
  }
  const name = valueText(lead.fields['Lead Name']) || `Lead ${lead.crm_id}`;
  replace(main.querySelector('#lead-title'), name);
  document.title = `${name} · leadger`;
  replace(box,
    h('p', { class: 'muted' },
      `${lead.kind === 'organizations' ? 'Organization' : 'Lead'} · CRM ID ${lead.crm_id} · version ${lead.version} · created by `,
      link(importPath(lead.created_by_import), `import ${lead.created_by_import}`)),
    section('Fields', 'fields', fieldList(lead.fields)),
    subTable('Contacts', 'contacts', lead.contacts),
    subTable('Communications', 'communications', lead.communications),
    subTable('Opportunities', 'opportunities', lead.opportunities),
    section(`History (${plural(history.length, 'event')})`, 'history',
      h('p', { class: 'muted' }, 'Every change to this record: which import and who made it, when, and each field before and after.'),
      changesTable(history, 'history-table', false)));
}
