//! Projections: the CRM view, the imports and their plans, lead history,
//! reference data and tokens, each a pure function of the log.
//!
//! Architecture invariant: nothing writes a projection table except
//! [`apply`] (and [`apply_lean`], the same functions fed what a lead's
//! creation needs) and [`index::flush`] (which writes the index entries
//! `apply` buffered, at the end of a chunk, laid out by sequence number
//! alone, and the layout marker), and
//! they read nothing but the events and the projection tables themselves,
//! so replaying the log from scratch (`ledger rebuild`) gives the same
//! bytes.

pub mod index;
pub mod keys;
pub mod leads;
pub mod overlay;
pub mod records;

use crate::catalogue::ids;
use crate::codec;
use crate::event::{field_text, CrmId, Event, FieldChange, ImportId, Kind, Lean};
use crate::log::Recorded;
use crate::reference::ReferenceData;
use crate::store::{StoreError, Table};
use overlay::Overlay;
use records::{CommitInfo, ImportState, ImportStatus, TokenRecord};

/// The layout of the projection tables. Bump it whenever a table's layout
/// changes: a ledger opened on projections with another layout (or none
/// recorded, from before the marker) rebuilds them from the log.
/// 3: lead records in pages of 4, the lead index as sorted runs.
/// 4: a commit's record keeps the first CRM ID it created.
/// 5: merged index runs are written streaming, their Bloom filters sized
/// by the entries merged in.
/// 6: the Bloom filters hash with `index::hashes` (no longer blake3).
/// 7: a run's Bloom filter is stored in pieces beside its meta.
/// 8: a lead at version 1 is kept as the sequence numbers of its events,
/// in pages of 64.
/// 9: an updated lead is kept as the sequence numbers of its events too.
/// 10: a Bloom filter's bits are placed by multiply-shift, not remainder.
/// 11: updated leads are kept in pages of 64 too (`r` + page number).
/// 12: an import's record keeps the digest of its staged plan.
pub const LAYOUT_VERSION: u32 = 12;

/// The type tag of the one event that changes no projection
/// (`RowValidated`: the frozen plan stays in the log).
pub const UNPROJECTED: &str = "RowValidated";

/// Why an event could not be applied: the projections disagree with the
/// log (for example a lead updated before it was created).
#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("projection data cannot be decoded: {0}")]
    Codec(#[from] codec::CodecError),
    #[error("event {seq} does not fit the projections: {reason}")]
    Inconsistent { seq: u64, reason: String },
}

impl From<overlay::OverlayError> for ProjectionError {
    fn from(e: overlay::OverlayError) -> Self {
        match e {
            overlay::OverlayError::Store(e) => ProjectionError::Store(e),
            overlay::OverlayError::Codec(e) => ProjectionError::Codec(e),
        }
    }
}

fn load<T: serde::de::DeserializeOwned>(
    ov: &Overlay<'_>,
    table: Table,
    key: &[u8],
) -> Result<Option<T>, ProjectionError> {
    match ov.get(table, key)? {
        Some(bytes) => Ok(Some(codec::decode(&bytes)?)),
        None => Ok(None),
    }
}

fn save<T: serde::Serialize>(
    ov: &mut Overlay<'_>,
    table: Table,
    key: Vec<u8>,
    value: &T,
) -> Result<(), ProjectionError> {
    ov.put(table, key, codec::encode(value)?);
    Ok(())
}

fn load_u64(ov: &mut Overlay<'_>, table: Table, key: &[u8]) -> Result<u64, ProjectionError> {
    Ok(*ov.counter(table, key)?.0)
}

fn raise_counter(ov: &mut Overlay<'_>, key: &[u8], at_least: u64) -> Result<(), ProjectionError> {
    let (value, changed) = ov.counter(Table::ProjMeta, key)?;
    if *value < at_least {
        *value = at_least;
        *changed = true;
    }
    Ok(())
}

fn add_to_counter(ov: &mut Overlay<'_>, key: &[u8], n: u64) -> Result<(), ProjectionError> {
    let (value, changed) = ov.counter(Table::ProjMeta, key)?;
    *value += n;
    *changed = true;
    Ok(())
}

fn inconsistent(seq: u64, reason: impl Into<String>) -> ProjectionError {
    ProjectionError::Inconsistent {
        seq,
        reason: reason.into(),
    }
}

fn load_import(ov: &Overlay<'_>, seq: u64, id: ImportId) -> Result<ImportState, ProjectionError> {
    load(ov, Table::Imports, &keys::import(id))?
        .ok_or_else(|| inconsistent(seq, format!("import {id} is unknown")))
}

/// A preview's summary: the import is previewed, with its counts,
/// file-level findings and the digest of its staged plan, if any.
fn preview_summarised(
    ov: &mut Overlay<'_>,
    seq: u64,
    import_id: ImportId,
    counts: crate::event::PreviewCounts,
    file_issues: Vec<crate::event::Issue>,
    staged_plan: Option<crate::event::Hash>,
) -> Result<(), ProjectionError> {
    let mut state = load_import(ov, seq, import_id)?;
    state.status = ImportStatus::Previewed;
    state.preview_seqs.1 = seq;
    state.counts = counts;
    state.file_issues = file_issues;
    state.staged_plan = staged_plan;
    save(ov, Table::Imports, keys::import(import_id), &state)
}

/// Applies one recorded event to the projections (through the overlay).
/// It takes the event: its values move into the records, uncopied.
pub fn apply(ov: &mut Overlay<'_>, rec: Recorded) -> Result<(), ProjectionError> {
    let Recorded {
        envelope, event, ..
    } = rec;
    let seq = envelope.seq;
    match event {
        Event::ReferenceSeeded { data } => {
            save(ov, Table::Reference, keys::REFERENCE.to_vec(), &data)?;
        }
        Event::ListItemAdded { list, item } => {
            change_reference(ov, seq, |data| data.add_item(list, &item))?;
        }
        Event::ListItemRetired { list, item } => {
            change_reference(ov, seq, |data| data.retire_item(list, &item))?;
        }
        Event::FileReceived {
            import_id,
            kind,
            file_name,
            size,
            blake3,
            format,
            date_format,
        } => {
            let already: Option<ImportId> =
                load(ov, Table::Imports, &keys::import_by_hash(&blake3))?;
            let state = ImportState {
                import_id,
                kind,
                file_name,
                size,
                blake3,
                format,
                date_format,
                actor: envelope.actor,
                received_at_ms: envelope.at_ms,
                status: ImportStatus::Previewing,
                counts: Default::default(),
                file_issues: Vec::new(),
                already_imported_as: already,
                preview_seqs: (seq, seq),
                commit: None,
                staged_plan: None,
            };
            save(ov, Table::Imports, keys::import(import_id), &state)?;
            raise_counter(ov, keys::NEXT_IMPORT_ID, import_id + 1)?;
        }
        // The frozen plan stays in the log: commit and reports read the
        // preview's events back by their range, so a million-row preview
        // writes its rows once.
        Event::RowValidated { .. } => {}
        Event::PreviewSummarised {
            import_id,
            counts,
            file_issues,
        } => preview_summarised(ov, seq, import_id, counts, file_issues, None)?,
        Event::PreviewSummarisedStaged {
            import_id,
            counts,
            file_issues,
            staged_plan,
        } => preview_summarised(ov, seq, import_id, counts, file_issues, Some(staged_plan))?,
        Event::LeadCreated {
            crm_id,
            kind,
            fields,
            ..
        } => {
            let lead_name = field_text(&fields, ids::LEAD_NAME).unwrap_or_default();
            let export = field_text(&fields, ids::EXPORT_VALUE);
            lead_created(ov, seq, crm_id, kind, &lead_name, export.as_deref())?;
        }
        Event::LeadCreatedAsPlanned {
            crm_id,
            kind,
            lead_name,
            export_value,
            ..
        } => lead_created(ov, seq, crm_id, kind, &lead_name, export_value.as_deref())?,
        Event::SubCreatedAsPlanned { crm_id, .. } => sub_created(ov, seq, crm_id)?,
        Event::LeadUpdated {
            crm_id, changes, ..
        } => {
            let mut history = ov
                .take_history(crm_id)?
                .ok_or_else(|| inconsistent(seq, format!("lead {crm_id} is unknown")))?;
            // Only a new name or export value moves index entries, which
            // are per kind: only then is the lead's kind read.
            let keyed = changes
                .iter()
                .any(|c| c.field == ids::LEAD_NAME || c.field == ids::EXPORT_VALUE);
            if keyed {
                let kind = ov.kind_of(crm_id, &history)?;
                index_changes(ov, kind, crm_id, &changes);
            }
            history.push(seq);
            ov.put_updated(crm_id, history);
        }
        event @ (Event::ContactCreated { .. }
        | Event::CommunicationCreated { .. }
        | Event::OpportunityCreated { .. }) => {
            let crm_id = records::sub_of(&event).unwrap_or_default();
            sub_created(ov, seq, crm_id)?;
        }
        Event::ImportCommitted {
            import_id,
            counts,
            events,
            fields_touched,
        } => {
            let mut state = load_import(ov, seq, import_id)?;
            state.status = ImportStatus::Committed;
            // Every `LeadCreated` of the commit came before, with
            // consecutive IDs ending just below the counter.
            let next_crm_id = load_u64(ov, Table::ProjMeta, keys::NEXT_CRM_ID)?.max(1);
            state.commit = Some(CommitInfo::of(
                envelope.actor,
                envelope.at_ms,
                counts,
                seq,
                events,
                fields_touched,
                next_crm_id.saturating_sub(counts.created),
            ));
            save(ov, Table::Imports, keys::import(import_id), &state)?;
            let by_hash = keys::import_by_hash(&state.blake3);
            if ov.get(Table::Imports, &by_hash)?.is_none() {
                save(ov, Table::Imports, by_hash, &import_id)?;
            }
        }
        Event::TokenCreated {
            name,
            role,
            token_hash,
        } => {
            let key = keys::token(&name);
            let token = TokenRecord {
                name,
                role,
                token_hash,
                created_at_ms: envelope.at_ms,
                created_by: envelope.actor,
                revoked_at_ms: None,
            };
            save(ov, Table::Tokens, key, &token)?;
        }
        Event::TokenRevoked { name } => {
            if let Some(mut token) = load::<TokenRecord>(ov, Table::Tokens, &keys::token(&name))? {
                token.revoked_at_ms = Some(envelope.at_ms);
                save(ov, Table::Tokens, keys::token(&name), &token)?;
            }
        }
    }
    Ok(())
}

/// Applies an event read lean ([`crate::event::lean`]): what [`apply`]
/// does with the whole event, by the same functions.
pub fn apply_lean(ov: &mut Overlay<'_>, seq: u64, lean: Lean) -> Result<(), ProjectionError> {
    match lean {
        Lean::LeadCreated {
            crm_id,
            kind,
            lead_name,
            export_value,
        } => lead_created(ov, seq, crm_id, kind, &lead_name, export_value.as_deref()),
        Lean::Sub { crm_id } => sub_created(ov, seq, crm_id),
    }
}

/// A lead created by the event at `seq`: its index entries, its page
/// entry, its kind's count and the next CRM ID.
fn lead_created(
    ov: &mut Overlay<'_>,
    seq: u64,
    crm_id: CrmId,
    kind: Kind,
    lead_name: &str,
    export: Option<&str>,
) -> Result<(), ProjectionError> {
    ov.index_put(keys::by_name(kind, lead_name, crm_id), crm_id);
    if let Some(export) = export {
        ov.index_put(keys::by_export(kind, export), crm_id);
    }
    ov.create_lead(crm_id, seq);
    let count_key = keys::count(kind);
    add_to_counter(ov, &count_key, 1)?;
    raise_counter(ov, keys::NEXT_CRM_ID, crm_id + 1)?;
    Ok(())
}

/// A contact, communication or opportunity of lead `crm_id`, created by
/// the event at `seq` (`event` gives the whole event, when it is needed).
fn sub_created(ov: &mut Overlay<'_>, seq: u64, crm_id: CrmId) -> Result<(), ProjectionError> {
    if ov.add_sub(seq, crm_id)? {
        Ok(())
    } else {
        Err(inconsistent(seq, format!("lead {crm_id} is unknown")))
    }
}

/// Adds or retires a list item in the reference data.
fn change_reference<E>(
    ov: &mut Overlay<'_>,
    seq: u64,
    change: impl FnOnce(&mut ReferenceData) -> Result<(), E>,
) -> Result<(), ProjectionError> {
    let mut data: ReferenceData = load(ov, Table::Reference, keys::REFERENCE)?
        .ok_or_else(|| inconsistent(seq, "reference data was never seeded"))?;
    // The command checked the change before recording it, so an error
    // here cannot happen for a log this code wrote; ignoring it keeps
    // replay total.
    let _ = change(&mut data);
    save(ov, Table::Reference, keys::REFERENCE.to_vec(), &data)?;
    Ok(())
}

/// Applies field changes to a record, moving its name and export-value
/// index entries when those fields change.
/// The index entries an update changes: its lead name's and export
/// value's, from each change's value before (the record's, since a commit
/// is refused when the record changed after its preview) and after.
fn index_changes(ov: &mut Overlay<'_>, kind: Kind, crm_id: CrmId, changes: &[FieldChange]) {
    for change in changes {
        if change.field == ids::LEAD_NAME {
            let old = change
                .before
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default();
            ov.index_remove(keys::by_name(kind, &old, crm_id));
            ov.index_put(
                keys::by_name(kind, &change.after.to_string(), crm_id),
                crm_id,
            );
        }
        if change.field == ids::EXPORT_VALUE {
            if let Some(old) = &change.before {
                ov.index_remove(keys::by_export(kind, &old.to_string()));
            }
            ov.index_put(keys::by_export(kind, &change.after.to_string()), crm_id);
        }
    }
}
