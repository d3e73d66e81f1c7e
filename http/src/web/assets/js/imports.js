// The history of imports (when, who, the file and its blake3, the kind,
// the counts, the state), and one import's page: its preview and results,
// every change its commit made (each field, before and after), and the
// original file to download.

import { h, replace, link, leadPath, importPath, notice, section, when, count, plural, bytes,
  valueText } from './dom.js';
import { dataTable } from './table.js';
import { getJson, fetchFile, saveBlob } from './api.js';
import { preview } from './report.js';

const PAGE = 50;

function downloadButton(importId, fileName) {
  const button = h('button', { type: 'button', class: 'secondary small download-file',
    title: `Download the original ${fileName}` }, 'Download');
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const file = await fetchFile(`/api/imports/${Number(importId)}/file`, fileName);
      saveBlob(file.blob, file.name);
    } catch (e) {
      button.after(notice('error', e.message));
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

function countsText(i) {
  const c = i.commit_counts;
  if (c) return `${count(c.created)} created · ${count(c.updated)} updated · ${count(c.unchanged)} unchanged`;
  const p = i.counts;
  return `${count(p.create)} to create · ${count(p.update)} to update · ${count(p.unchanged)} unchanged` +
    (p.errors ? ` · ${count(p.errors)} errors` : '') + (p.warnings ? ` · ${count(p.warnings)} warnings` : '');
}

export async function renderList(main, offset = 0) {
  const box = h('div', {}, h('p', { class: 'muted' }, 'Loading the imports…'));
  replace(main, h('h1', {}, 'Imports'), box);
  let listing;
  try {
    listing = await getJson(`/api/imports?limit=${PAGE}&offset=${Number(offset)}`);
  } catch (e) {
    replace(box, notice('error', e.message));
    return;
  }
  const table = dataTable({
    id: 'imports-table',
    columns: [
      { key: 'import_id', title: '#', numeric: true,
        cell: (i) => link(importPath(i.import_id), String(i.import_id)) },
      { key: 'uploaded_at', title: 'When', cell: (i) => when(i.uploaded_at) },
      { key: 'uploaded_by', title: 'Who',
        text: (i) => (i.committed_by && i.committed_by !== i.uploaded_by ?
          `${i.uploaded_by}, committed by ${i.committed_by}` : i.uploaded_by) },
      { key: 'file', title: 'File', text: (i) => `${i.file.name} ${i.file.blake3}`,
        cell: (i) => h('div', {}, h('div', {}, i.file.name, h('span', { class: 'muted' }, ` · ${bytes(i.file.size)}`)),
          h('code', { class: 'hash', title: 'blake3' }, i.file.blake3)) },
      { key: 'kind', title: 'Kind' },
      { key: 'counts', title: 'Counts', text: countsText },
      { key: 'status', title: 'Status', cell: (i) => h('span', { class: `badge ${i.status}` }, i.status) },
      { key: 'actions', title: '', text: () => '',
        cell: (i) => h('div', { class: 'actions' }, link(importPath(i.import_id), 'Details'),
          downloadButton(i.import_id, i.file.name)) },
    ],
    rows: listing.imports,
    empty: 'No imports yet.',
  });
  const pager = h('div', { class: 'form-row pager' },
    h('span', { class: 'muted' }, listing.total === 0 ? '' :
      `${count(offset + 1)}–${count(offset + listing.imports.length)} of ${count(listing.total)}, newest first`),
    offset > 0 ? h('button', { type: 'button', class: 'secondary small',
      on: { click: () => renderList(main, Math.max(0, offset - PAGE)) } }, 'Newer') : null,
    offset + PAGE < listing.total ? h('button', { type: 'button', class: 'secondary small',
      on: { click: () => renderList(main, offset + PAGE) } }, 'Older') : null);
  replace(box, table, pager);
}

/** Every change as one row per field: what an auditor reads and copies. */
export function changesTable(entries, id, withLead) {
  const rows = entries.flatMap((e) => (e.changes.length ? e.changes : [null]).map((c) => ({
    ...e,
    field: c ? c.field : '',
    before: c ? valueText(c.before) : '',
    after: c ? valueText(c.after) : '',
  })));
  const columns = [
    { key: 'at', title: 'When', cell: (r) => when(r.at) },
    { key: 'actor', title: 'Who' },
    { key: 'import_id', title: 'Import', numeric: true,
      cell: (r) => (r.import_id === null ? '' : link(importPath(r.import_id), String(r.import_id))) },
    withLead ? { key: 'crm_id', title: 'Lead', numeric: true,
      cell: (r) => link(leadPath(r.crm_id), String(r.crm_id)) } : null,
    { key: 'row', title: 'Row', numeric: true },
    { key: 'event', title: 'Event' },
    { key: 'field', title: 'Field' },
    { key: 'before', title: 'Before', cell: (r) => (r.before === '' ? h('span', { class: 'muted' }, '—') : r.before) },
    { key: 'after', title: 'After' },
  ].filter(Boolean);
  return dataTable({ id, columns, rows, empty: 'No changes.' });
}

export async function renderOne(main, importId) {
  const box = h('div', {}, h('p', { class: 'muted' }, 'Loading the import…'));
  replace(main, h('h1', {}, `Import ${importId}`), box);
  let report;
  let changes;
  try {
    [report, changes] = await Promise.all([
      getJson(`/api/imports/${importId}`),
      getJson(`/api/imports/${importId}/changes`),
    ]);
  } catch (e) {
    replace(box, notice('error', e.message));
    return;
  }
  const reload = () => renderOne(main, importId);
  replace(box,
    h('div', { class: 'form-row' },
      h('span', {}, 'Uploaded by ', h('strong', {}, report.uploaded_by), ' at ', when(report.uploaded_at),
        ' · ', h('span', { class: `badge ${report.status}` }, report.status)),
      downloadButton(report.import_id, report.file.name)),
    preview(report, reload),
    section(`Changes (${plural(changes.length, 'event')})`, 'changes',
      report.status === 'committed' ? null :
        h('p', { class: 'muted' }, 'Not committed: it has changed nothing yet.'),
      changesTable(changes, 'changes-table', true)));
}
