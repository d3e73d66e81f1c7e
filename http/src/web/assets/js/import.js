// The Import screen (admins): choose the kind, the date format and the
// file; Preview uploads it (a bar shows the bytes going up, then that the
// server is checking them) and shows the preview; Import commits it.

import { h, replace, notice, progress, showServerProgress } from './dom.js';
import { upload, session, watchProgress } from './api.js';
import { preview } from './report.js';

export function render(main) {
  if (!session.isAdmin()) {
    replace(main, h('h1', {}, 'Import'),
      notice('info', 'Your token is an auditor\'s: it may read every import but not upload one. ',
        'See the imports under Imports.'));
    return;
  }
  const kind = h('select', { id: 'kind', name: 'kind' },
    h('option', { value: 'leads' }, 'Leads'),
    h('option', { value: 'organizations' }, 'Organizations'));
  const dateFormat = h('select', { id: 'date-format', name: 'date_format' },
    h('option', { value: 'us' }, 'MM/DD/YYYY (US)'),
    h('option', { value: 'eu' }, 'DD/MM/YYYY'),
    h('option', { value: 'iso' }, 'YYYY-MM-DD only'));
  const file = h('input', { type: 'file', id: 'file', name: 'file',
    accept: '.csv,.xlsx,.xls,.ods,text/csv' });
  const button = h('button', { type: 'submit', id: 'preview', class: 'primary' }, 'Preview');
  const activity = h('div', { id: 'activity' });
  const out = h('div', { id: 'outcome' });

  const form = h('form', { class: 'panel import-form', id: 'import-form' },
    h('div', { class: 'form-row' },
      h('label', {}, 'Kind ', kind),
      h('label', {}, 'Dates like 03/04/2025 are ', dateFormat)),
    h('div', { class: 'form-row' }, h('label', { class: 'file' }, 'File ', file), button),
    h('p', { class: 'muted small' },
      'A .xlsx, .xls, .ods or .csv file whose first row holds the template\'s headers. ',
      'Preview changes nothing in the CRM: it shows what Import would do.'),
    activity);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const chosen = file.files && file.files[0];
    if (!chosen) {
      replace(activity, notice('error', 'Choose a file first.'));
      return;
    }
    const query = new URLSearchParams({ kind: kind.value, date_format: dateFormat.value });
    button.disabled = true;
    replace(out);
    const bar = progress(`Uploading ${chosen.name}…`);
    bar.set(0);
    replace(activity, bar.el);
    let stopWatching = () => {};
    try {
      const report = await upload(`/api/imports?${query}`, chosen, (fraction) => {
        if (fraction === null) {
          // The bytes are up: follow what the server does with them.
          bar.set(null, 'Checking every row: validating and matching…');
          stopWatching();
          stopWatching = watchProgress((view) =>
            showServerProgress(bar, view, 'Checking every row: validating and matching'));
        } else {
          bar.set(fraction, `Uploading ${chosen.name}: ${Math.round(fraction * 100)}%`);
        }
      });
      stopWatching();
      bar.done();
      replace(activity);
      replace(out, h('h2', { id: 'preview-title' }, `Preview of import ${report.import_id}`),
        preview(report));
    } catch (e) {
      stopWatching();
      bar.done();
      replace(activity, notice('error', `The preview failed: ${e.message}`));
    } finally {
      button.disabled = false;
    }
  });

  replace(main, h('h1', {}, 'Import'), form, out);
}
