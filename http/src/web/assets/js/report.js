// An import as the API reports it: the preview (counts, the file, "already
// imported", errors, warnings, the plan), the Import button for admins,
// and the results of a commit. Used by the Import screen right after an
// upload and by an import's page in the history.

import { h, replace, link, leadPath, importPath, notice, cards, section, progress,
  bytes, count, plural, day, showServerProgress } from './dom.js';
import { dataTable } from './table.js';
import { postJson, session, watchProgress } from './api.js';

const ISSUE_COLUMNS = [
  { key: 'row', title: 'Row', numeric: true },
  { key: 'column', title: 'Column' },
  { key: 'value', title: 'Value' },
  { key: 'message', title: 'Message' },
];

function crmLink(crmId) {
  return crmId === null || crmId === undefined ? h('span', { class: 'muted' }, 'new') :
    link(leadPath(crmId), String(crmId));
}

function fileLine(r) {
  return h('p', { class: 'file-line' },
    h('strong', {}, r.file.name), ` · ${bytes(r.file.size)} · ${r.kind} · dates ${r.date_format} · `,
    'blake3 ', h('code', { class: 'hash' }, r.file.blake3));
}

/** The commit's answer: counts and each lead as a link to its page. */
export function results(commit) {
  const c = commit.counts;
  // The link is built from the CRM ID; the answer's `url` says the same.
  const leads = dataTable({
    id: 'results-leads',
    columns: [
      { key: 'row', title: 'Row', numeric: true },
      { key: 'crm_id', title: 'CRM ID', numeric: true },
      { key: 'lead_name', title: 'Lead', cell: (l) => link(leadPath(l.crm_id), l.lead_name) },
      { key: 'action', title: 'Action', cell: (l) => h('span', { class: `badge ${l.action}` }, l.action) },
    ],
    rows: commit.leads,
    empty: 'No leads.',
  });
  return section('Results', 'results',
    notice('ok', `Import ${commit.import_id} was committed by ${commit.committed_by} on ${day(commit.committed_at)}: ` +
      `${plural(c.imported, 'lead')} imported.`),
    cards([['imported', c.imported], ['created', c.created, 'create'],
      ['updated', c.updated, 'update'], ['unchanged', c.unchanged, 'unchanged']], 'results-counts'),
    leads);
}

/** The Import button, or why there is none. Only admins get a button. */
function commitArea(report, onCommitted) {
  if (!session.isAdmin()) return null;
  if (report.status === 'committed') return null;
  const hasErrors = report.counts.errors > 0;
  const area = h('div', { class: 'commit-area' });
  const button = h('button', { type: 'button', id: 'commit', class: 'primary', disabled: hasErrors },
    `Import ${plural(report.rows.length, 'row')}`);
  const why = hasErrors ?
    h('span', { class: 'muted' }, 'Fix the errors in the file and preview it again to import it.') :
    h('span', { class: 'muted' }, 'Applies exactly this preview, all or nothing.');
  button.addEventListener('click', async () => {
    button.disabled = true;
    const bar = progress('Importing: applying the preview…');
    bar.set(null);
    area.append(bar.el);
    const stopWatching = watchProgress((view) =>
      showServerProgress(bar, view, 'Importing: applying the preview'));
    try {
      const commit = await postJson(`/api/imports/${Number(report.import_id)}/commit`);
      stopWatching();
      bar.done();
      replace(area, results(commit));
      area.scrollIntoView({ block: 'start' });
      if (onCommitted) onCommitted(commit);
    } catch (e) {
      stopWatching();
      bar.done();
      button.disabled = false;
      area.append(notice('error', `The import was refused: ${e.message}`));
    }
  });
  area.append(h('div', { class: 'form-row' }, button, why));
  return area;
}

/** A whole preview: what a person needs to decide to press Import. */
export function preview(report, onCommitted) {
  const c = report.counts;
  const out = h('div', { id: 'report', dataset: { importId: String(report.import_id) } });
  out.append(fileLine(report));
  if (report.already_imported_as !== null && report.already_imported_as !== undefined) {
    const on = report.already_imported_on ? ` on ${day(report.already_imported_on)}` : '';
    out.append(notice('warn', h('span', { id: 'already-imported' },
      'This file was already imported as ',
      link(importPath(report.already_imported_as), `import ${report.already_imported_as}`), `${on}.`)));
  }
  out.append(cards([['create', c.create, 'create'], ['update', c.update, 'update'],
    ['unchanged', c.unchanged, 'unchanged'], ['errors', c.errors, c.errors ? 'error' : ''],
    ['warnings', c.warnings, c.warnings ? 'warn' : '']], 'counts'));
  if (c.errors > 0) {
    out.append(section(`Errors (${count(c.errors)})`, 'errors',
      h('p', {}, 'Nothing can be imported until every error is fixed in the file. ',
        'Sort by a column by clicking its header.'),
      dataTable({ id: 'errors-table', columns: ISSUE_COLUMNS, rows: report.errors })));
  }
  if (c.warnings > 0) {
    out.append(section(`Warnings (${count(c.warnings)})`, 'warnings',
      h('p', {}, 'Warnings do not block the import; each says what will be done.'),
      dataTable({ id: 'warnings-table', columns: ISSUE_COLUMNS, rows: report.warnings })));
  }
  const commitBox = commitArea(report, onCommitted);
  if (commitBox) out.append(commitBox);
  if (report.results) out.append(results(report.results));
  out.append(section(`Leads (${count(report.rows.length)})`, 'plan',
    dataTable({
      id: 'plan-table',
      columns: [
        { key: 'row', title: 'Row', numeric: true },
        { key: 'lead_name', title: 'Lead' },
        { key: 'action', title: 'Action', cell: (r) => h('span', { class: `badge ${r.action}` }, r.action) },
        { key: 'crm_id', title: 'CRM ID', numeric: true, cell: (r) => crmLink(r.crm_id) },
      ],
      rows: report.rows,
      empty: 'No rows would be imported.',
    })));
  return out;
}
