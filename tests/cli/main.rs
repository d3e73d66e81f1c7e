//! Black-box suite: cli (modules listed here).

// The harness: a fresh data directory, the binary runner and file writers.
mod support;

// The audit questions: lead history, what an import changed, a field's changes.
mod audit;
// The JSON shapes of section 7, the data directory and the paging of listings.
mod contract;
// Reading and altering the sled database from a child process.
mod database;
// The header row: any order and case, unknown, repeated and blank headers.
mod headers;
// Rebuild, verify and the original file, checked against the sled database.
mod ledger;
// Preview and commit: re-uploads, refused commits, exit statuses.
mod lifecycle;
// Matching rows to records by CRM ID, export value and name; duplicate rows.
mod matching;
// CSV encodings, cell types, date formats, empty rows and row numbers.
mod reading;
// Contacts, communications and opportunities: only created, only with a new lead.
mod subrecords;
// Updates: blank cells never erase, unchanged rows, renamed keys.
mod updates;
// The errors of section 4: key identifiers, countries, states, lists, limits.
mod validation;
// The warnings of section 4: unreadable values, suspicious e-mails and URLs.
mod warnings;
// Workbooks: text, number and date cells, empty rows and row numbers.
mod xlsx;
