//! Black-box suite: http. Each test starts the real `leadger serve` on a
//! free loopback port over a fresh data directory and drives it with ureq.
#![allow(clippy::unwrap_used)]

// The harness: spawn_app() and named request helpers.
mod support;

// The files tests upload: multipart bodies, CSVs, xlsx workbooks.
mod files;

// Upload (CSV, xlsx), preview with errors, commit, stale/repeated commit.
mod imports;

// The CRM view: listing, paging, one record, history.
mod leads;

// Every error status with its JSON body.
mod errors;

// The OpenAPI document, the docs page, templates, verify.
mod openapi;

// The CLI's --json and the API answer the same JSON.
mod parity;

// Tokens: first-start admin token, CLI create/list/revoke, roles; tokens
// are events and no secret is stored.
mod tokens;

// Uploads and reads while a large import commits.
mod concurrency;

// What a running preview or commit is doing, for a progress bar.
mod progress;

// The data directory lock and graceful shutdown (with a commit in flight).
mod lifecycle;
