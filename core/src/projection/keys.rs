//! Key layouts of the projection tables. Integers are big-endian so that
//! key order is numeric order.

use crate::event::{CrmId, Hash, ImportId, Kind};

pub const CHECKPOINT: &[u8] = b"checkpoint";
/// Present while a catch-up writes its chunks key by key: the projections
/// may hold part of a chunk past the checkpoint (`app::Ledger::apply_feed`).
pub const PARTIAL: &[u8] = b"partial";
pub const NEXT_CRM_ID: &[u8] = b"next_crm_id";
pub const NEXT_IMPORT_ID: &[u8] = b"next_import_id";
pub const REFERENCE: &[u8] = b"data";

pub fn count(kind: Kind) -> Vec<u8> {
    vec![b'c', b'/', kind.byte()]
}

/// Export values are compared trimmed but case-sensitively: they are other
/// systems' identifiers, and some of those (Salesforce ids) are
/// case-sensitive.
pub fn export_norm(value: &str) -> &str {
    value.trim()
}

/// Names are matched ignoring case and surrounding spaces.
pub fn name_norm(value: &str) -> String {
    value.trim().to_lowercase()
}

pub fn by_export(kind: Kind, export: &str) -> Vec<u8> {
    let norm = export_norm(export);
    let mut k = Vec::with_capacity(2 + norm.len());
    k.extend_from_slice(&[b'e', kind.byte()]);
    k.extend_from_slice(norm.as_bytes());
    k
}

/// Prefix of all records of one kind with one name; the crm_id follows.
pub fn by_name_prefix(kind: Kind, name: &str) -> Vec<u8> {
    let norm = name_norm(name);
    let mut k = Vec::with_capacity(11 + norm.len());
    k.extend_from_slice(&[b'n', kind.byte()]);
    k.extend_from_slice(norm.as_bytes());
    k.push(0);
    k
}

pub fn by_name(kind: Kind, name: &str, crm_id: CrmId) -> Vec<u8> {
    let mut k = by_name_prefix(kind, name);
    k.extend_from_slice(&crm_id.to_be_bytes());
    k
}

pub fn import(import_id: ImportId) -> Vec<u8> {
    let mut k = vec![b'i'];
    k.extend_from_slice(&import_id.to_be_bytes());
    k
}

pub const IMPORT_PREFIX: &[u8] = b"i";

/// The first committed import of a file with this hash.
pub fn import_by_hash(hash: &Hash) -> Vec<u8> {
    let mut k = vec![b'f'];
    k.extend_from_slice(hash);
    k
}

pub fn token(name: &str) -> Vec<u8> {
    name.as_bytes().to_vec()
}
