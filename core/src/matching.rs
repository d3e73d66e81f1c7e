//! Matching (PRODUCT.md section 3): which record a row creates or updates,
//! and what an update changes. Also catches two rows of one file that
//! resolve to the same record.

use std::collections::HashMap;

use crate::catalogue::{ids, Category, FieldId};
use crate::event::{CrmId, FieldChange, Issue, Kind, RowOutcome};
use crate::projection::index::IndexReader;
use crate::projection::keys;
use crate::projection::records::LeadRecord;
use crate::store::{Store, StoreError};
use crate::validate::{error, warning, ParsedRow};

/// Reads records and indexes of the CRM view for matching, for the length
/// of one command under the writer lock (it keeps the index's filters).
pub struct CrmView<'a> {
    pub store: &'a dyn Store,
    index: IndexReader<'a>,
}

impl<'a> CrmView<'a> {
    pub fn new(store: &'a dyn Store) -> Self {
        CrmView {
            store,
            index: IndexReader::new(store),
        }
    }

    pub fn lead(&self, crm_id: CrmId) -> Result<Option<LeadRecord>, StoreError> {
        crate::projection::leads::read(self.store, crm_id)
    }

    /// The record with this export value. The first import into a new
    /// ledger asks for each of its rows, and an empty index answers
    /// without the key (normalising the value into a new key and hashing
    /// it: 0.13 s of CPU in a 1M-row preview).
    pub fn by_export(&self, kind: Kind, export: &str) -> Result<Option<CrmId>, StoreError> {
        if self.index.is_empty()? {
            return Ok(None);
        }
        self.index.get(&keys::by_export(kind, export))
    }

    /// Up to `limit` records of this kind with this name.
    pub fn by_name(&self, kind: Kind, name: &str, limit: usize) -> Result<Vec<CrmId>, StoreError> {
        if self.index.is_empty()? {
            return Ok(Vec::new());
        }
        self.index
            .prefixed(&keys::by_name_prefix(kind, name), limit)
    }
}

/// Matches the rows of one file, remembering what earlier rows resolved to.
pub struct Matcher<'a> {
    view: CrmView<'a>,
    kind: Kind,
    seen_ids: HashMap<CrmId, u32>,
    seen_exports: HashMap<Fingerprint, u32, Fingerprinted>,
    seen_names: HashMap<Fingerprint, u32, Fingerprinted>,
}

/// A compact fingerprint of a key (the first 128 bits of its blake3), so
/// that remembering a million keys costs 16 bytes each rather than the
/// strings. Four `u32`s rather than a `u128`, whose 16-byte alignment made
/// each entry of the maps 32 bytes instead of 20: a million-row preview's
/// map of export values grew to 64 MB instead of 40 (with the table it
/// replaced beside it while it grew), and its inserts missed the cache
/// more often.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Fingerprint([u32; 4]);

impl std::hash::Hash for Fingerprint {
    /// 64 of its bits: they are a blake3 hash already, as evenly spread
    /// as any hasher would make them, and choosing file values cannot
    /// bunch them.
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(u64::from(self.0[0]) | (u64::from(self.0[1]) << 32));
    }
}

/// Hashes a [`Fingerprint`] as the 64 bits it writes. SipHash over them
/// again was most of the two maps' inserts, a million each in a
/// million-row preview.
type Fingerprinted = std::hash::BuildHasherDefault<FingerprintHasher>;

#[derive(Default)]
struct FingerprintHasher(u64);

impl std::hash::Hasher for FingerprintHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write_u64(&mut self, bits: u64) {
        self.0 ^= bits;
    }

    fn write(&mut self, bytes: &[u8]) {
        // Not reached for a `Fingerprint`; correct (if slower) for anything.
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
}

/// The [`Fingerprint`] of `text`.
fn fingerprint(text: &str) -> Fingerprint {
    let hash = blake3::hash(text.as_bytes());
    let word = |i: usize| {
        let mut le = [0u8; 4];
        le.copy_from_slice(&hash.as_bytes()[4 * i..4 * i + 4]);
        u32::from_le_bytes(le)
    };
    Fingerprint([word(0), word(1), word(2), word(3)])
}

const SUB_CATEGORIES: [Category; 3] = [
    Category::Contact,
    Category::Communication,
    Category::Opportunity,
];

impl<'a> Matcher<'a> {
    pub fn new(store: &'a dyn Store, kind: Kind) -> Self {
        Matcher {
            view: CrmView::new(store),
            kind,
            seen_ids: HashMap::new(),
            seen_exports: HashMap::default(),
            seen_names: HashMap::default(),
        }
    }

    /// Plans one row; findings go to `issues`. Returns the outcome and the
    /// lead name to show for the row.
    pub fn plan(
        &mut self,
        parsed: ParsedRow,
        issues: &mut Vec<Issue>,
    ) -> Result<(RowOutcome, String), StoreError> {
        let row = parsed.row;
        // Borrowed from the row (one copy of the name is kept, to show).
        let name = parsed.text_ref(ids::LEAD_NAME);
        let export = parsed.text_ref(ids::EXPORT_VALUE);
        let shown_name = name.as_deref().unwrap_or_default().to_string();
        let has_name = name.is_some();

        // Remember every export value the file names, whatever the rule
        // that matches the row: two rows claiming one export value are one
        // lead written twice.
        if let Some(export) = &export {
            let fp = fingerprint(keys::export_norm(export));
            if let Some(first) = self.seen_exports.insert(fp, row) {
                self.seen_exports.insert(fp, first);
                issues.push(error(row, "Export Value", export, format!(
                    "rows {first} and {row} both have Export Value `{}` (one lead, one row): merge them into one row", export.trim())));
                return Ok((RowOutcome::Invalid, shown_name));
            }
        }

        let (target, by_name) = match parsed.crm_id {
            Some(Err(())) => return Ok((RowOutcome::Invalid, shown_name)),
            Some(Ok(crm_id)) => match self.view.lead(crm_id)? {
                None => {
                    issues.push(error(row, "Account CRM ID", &crm_id.to_string(), format!(
                        "there is no record with Account CRM ID {crm_id}: IDs are made by leadger, never typed; leave it empty to create a new lead")));
                    return Ok((RowOutcome::Invalid, shown_name));
                }
                Some(record) if record.kind != self.kind => {
                    issues.push(error(row, "Account CRM ID", &crm_id.to_string(), format!(
                        "Account CRM ID {crm_id} belongs to {}, not {}: import this row as {} or fix the ID",
                        record.kind.name(), self.kind.name(), record.kind.name())));
                    return Ok((RowOutcome::Invalid, shown_name));
                }
                Some(record) => (Some(record), false),
            },
            None => match &export {
                Some(export) => match self.view.by_export(self.kind, export)? {
                    Some(id) => (self.view.lead(id)?, false),
                    None => (None, false),
                },
                None => match &name {
                    // A key cell was filled but rejected: its error says why.
                    None if parsed.key_given => return Ok((RowOutcome::Invalid, shown_name)),
                    None => {
                        issues.push(error(row, "", "", "the row has no key identifier: fill the Account CRM ID, the Export Value or the Lead Name".into()));
                        return Ok((RowOutcome::Invalid, shown_name));
                    }
                    Some(name) => {
                        let fp = fingerprint(&keys::name_norm(name));
                        if let Some(first) = self.seen_names.insert(fp, row) {
                            self.seen_names.insert(fp, first);
                            issues.push(error(row, "Lead Name", name, format!(
                                "rows {first} and {row} both match Lead Name `{}` (one lead, one row): merge them into one row, or add an Export Value to tell them apart", name.trim())));
                            return Ok((RowOutcome::Invalid, shown_name));
                        }
                        let found = self.view.by_name(self.kind, name, 11)?;
                        match found.as_slice() {
                            [] => (None, true),
                            [one] => (self.view.lead(*one)?, true),
                            many => {
                                let listed: Vec<String> =
                                    many.iter().take(10).map(|id| id.to_string()).collect();
                                let more = if many.len() > 10 { ", …" } else { "" };
                                issues.push(error(row, "Lead Name", name, format!(
                                    "several {} are named `{}` (CRM IDs {}{more}): add the Account CRM ID or the Export Value to say which",
                                    self.kind.name(), name.trim(), listed.join(", "))));
                                return Ok((RowOutcome::Invalid, shown_name));
                            }
                        }
                    }
                },
            },
        };
        let _ = by_name;
        // The row's values move into its plan below.
        drop((name, export));

        match target {
            Some(record) => self.plan_update(&parsed, record, issues, shown_name),
            // A create keeps the row's values: they move into the plan.
            None => Ok((self.plan_create(parsed, has_name, issues), shown_name)),
        }
    }

    fn plan_update(
        &mut self,
        parsed: &ParsedRow,
        record: LeadRecord,
        issues: &mut Vec<Issue>,
        shown_name: String,
    ) -> Result<(RowOutcome, String), StoreError> {
        let row = parsed.row;
        let shown_name = if shown_name.is_empty() {
            record.text(ids::LEAD_NAME).unwrap_or_default()
        } else {
            shown_name
        };
        if let Some(first) = self.seen_ids.insert(record.crm_id, row) {
            self.seen_ids.insert(record.crm_id, first);
            // Name the key identifier this row was matched by.
            let (column, value) = match (&parsed.crm_id, parsed.text(ids::EXPORT_VALUE)) {
                (Some(Ok(id)), _) => ("Account CRM ID", id.to_string()),
                (_, Some(export)) => ("Export Value", export),
                _ => ("Lead Name", parsed.text(ids::LEAD_NAME).unwrap_or_default()),
            };
            issues.push(error(row, column, &value, format!(
                "rows {first} and {row} both match the record with CRM ID {} (one lead, one row): merge them into one row", record.crm_id)));
            return Ok((RowOutcome::Invalid, shown_name));
        }
        for cat in SUB_CATEGORIES {
            if let Some((column, value)) = &parsed.first_filled[cat as usize] {
                issues.push(warning(row, column, value, format!(
                    "the {} fields were ignored: {}s are only created together with a new lead, and this row updates CRM ID {}",
                    cat.name(), cat.name(), record.crm_id)));
            }
        }
        let mut changes = Vec::new();
        for (field, value) in &parsed.main {
            let before = record.get(*field);
            if before == Some(value) {
                continue;
            }
            if *field == ids::EXPORT_VALUE {
                let taken = self.view.by_export(record.kind, &value.as_text())?;
                if let Some(other) = taken.filter(|id| *id != record.crm_id) {
                    issues.push(error(row, "Export Value", &value.to_string(), format!(
                        "Export Value `{value}` already belongs to CRM ID {other}: export values are unique; fix one of them")));
                    return Ok((RowOutcome::Invalid, shown_name));
                }
            }
            changes.push(FieldChange {
                field: *field,
                before: before.cloned(),
                after: value.clone(),
            });
        }
        let outcome = if changes.is_empty() {
            RowOutcome::Unchanged {
                crm_id: record.crm_id,
                base_version: record.version,
            }
        } else {
            RowOutcome::Update {
                crm_id: record.crm_id,
                base_version: record.version,
                changes,
            }
        };
        Ok((outcome, shown_name))
    }

    fn plan_create(
        &mut self,
        mut parsed: ParsedRow,
        has_name: bool,
        issues: &mut Vec<Issue>,
    ) -> RowOutcome {
        let row = parsed.row;
        if !has_name {
            issues.push(error(row, "Lead Name", "", "a new lead needs a Lead Name: fill it, or give the Account CRM ID or Export Value of an existing lead".into()));
            return RowOutcome::Invalid;
        }
        let mut subs: [Option<Vec<(FieldId, crate::value::Value)>>; 3] = [None, None, None];
        let mut incomplete = false;
        for (slot, cat) in subs.iter_mut().zip(SUB_CATEGORIES) {
            if !parsed.filled[cat as usize] {
                continue;
            }
            let fields = parsed.category(cat);
            let missing: Vec<&str> = cat
                .fields()
                .filter(|def| def.key && !fields.iter().any(|(f, _)| *f == def.id))
                .map(|def| def.header)
                .collect();
            if missing.is_empty() {
                *slot = Some(parsed.take_category(cat));
            } else {
                incomplete = true;
                issues.push(error(row, missing[0], "", format!(
                    "the row fills {} fields but not {}: a {} needs all of its key identifiers; fill them or clear the {} fields",
                    cat.name(), missing.join(" and "), cat.name(), cat.name())));
            }
        }
        // Like every other matching error, the row then plans nothing: it
        // is not counted as a lead to create.
        if incomplete {
            return RowOutcome::Invalid;
        }
        let [contact, communication, opportunity] = subs;
        RowOutcome::Create {
            fields: parsed.main,
            contact,
            communication,
            opportunity,
        }
    }
}

#[cfg(test)]
#[path = "matching_tests.rs"]
mod tests;
