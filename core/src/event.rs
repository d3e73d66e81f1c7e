//! The events of the ledger: past-tense facts, each carrying the computed
//! result (the match, the normalised values, before and after) so that
//! projections only copy them and replay never re-runs a business rule
//! against today's reference data.
//!
//! Schema: every variant has a type tag and a schema version (see
//! [`Event::type_tag`]). Adding a variant or a new versioned variant is the
//! way to evolve; an existing variant's shape never changes, because old
//! events must decode for ever. Variant order is part of the encoding:
//! append only.

use serde::{Deserialize, Serialize};

use crate::catalogue::{FieldId, ListName};
use crate::parse::DateFormat;
use crate::read::FileFormat;
use crate::reference::ReferenceData;
use crate::value::Value;

pub type ImportId = u64;
pub type CrmId = u64;
pub type Hash = [u8; 32];

/// What an import creates and matches: leads, or leads flagged as
/// organizations. Matching only ever matches records of the same kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Leads,
    Organizations,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Leads => "leads",
            Kind::Organizations => "organizations",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        match text.trim().to_ascii_lowercase().as_str() {
            "leads" | "lead" => Some(Kind::Leads),
            "organizations" | "organization" | "organisations" | "orgs" => {
                Some(Kind::Organizations)
            }
            _ => None,
        }
    }

    pub(crate) fn byte(self) -> u8 {
        match self {
            Kind::Leads => b'L',
            Kind::Organizations => b'O',
        }
    }
}

/// The stream an event belongs to; its version counts within the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Stream {
    /// Reference data: countries, states, list items.
    Reference,
    /// One import, from file received to committed (and, later, reverted).
    Import(ImportId),
    /// API tokens.
    Tokens,
}

impl Stream {
    pub fn key(self) -> Vec<u8> {
        match self {
            Stream::Reference => b"reference".to_vec(),
            Stream::Tokens => b"tokens".to_vec(),
            Stream::Import(id) => {
                let mut k = b"import/".to_vec();
                k.extend_from_slice(&id.to_be_bytes());
                k
            }
        }
    }
}

/// Whether a finding blocks the import.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One validation finding. `row` is the spreadsheet's own row number (the
/// header is row 1); `column` the header text (empty for the whole row).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    pub severity: Severity,
    pub row: u32,
    pub column: String,
    pub value: String,
    pub message: String,
}

/// A field's values as stored: sorted by field id, each field at most once.
pub type Fields = Vec<(FieldId, Value)>;

/// One field an update changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: FieldId,
    pub before: Option<Value>,
    pub after: Value,
}

/// What a previewed row will do when the import is committed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RowOutcome {
    /// The row could not be matched (its errors say why); it blocks commit.
    Invalid,
    /// A new record, with the sub-records of the same row.
    Create {
        fields: Fields,
        contact: Option<Fields>,
        communication: Option<Fields>,
        opportunity: Option<Fields>,
    },
    /// Changes to an existing record, planned against `base_version`.
    Update {
        crm_id: CrmId,
        base_version: u64,
        changes: Vec<FieldChange>,
    },
    /// Matched an existing record whose fields already hold these values.
    Unchanged { crm_id: CrmId, base_version: u64 },
}

impl RowOutcome {
    /// The action name of the preview's JSON.
    pub fn action(&self) -> Option<&'static str> {
        match self {
            RowOutcome::Invalid => None,
            RowOutcome::Create { .. } => Some("create"),
            RowOutcome::Update { .. } => Some("update"),
            RowOutcome::Unchanged { .. } => Some("unchanged"),
        }
    }
}

/// The counts a preview found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewCounts {
    pub create: u64,
    pub update: u64,
    pub unchanged: u64,
    pub errors: u64,
    pub warnings: u64,
}

/// The counts of a commit. `imported` is every row the commit applied:
/// created + updated + unchanged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitCounts {
    pub imported: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

/// The role of an API token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Auditor,
}

/// A fact recorded in the ledger.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Event {
    /// The default reference data, recorded as the first event of a ledger.
    ReferenceSeeded {
        data: ReferenceData,
    },
    ListItemAdded {
        list: ListName,
        item: String,
    },
    ListItemRetired {
        list: ListName,
        item: String,
    },
    /// An upload was received and stored under its hash.
    FileReceived {
        import_id: ImportId,
        kind: Kind,
        file_name: String,
        size: u64,
        blake3: Hash,
        format: FileFormat,
        date_format: DateFormat,
    },
    /// One data row was read, validated and matched (its frozen plan).
    RowValidated {
        import_id: ImportId,
        row: u32,
        lead_name: String,
        outcome: RowOutcome,
        issues: Vec<Issue>,
    },
    /// The preview is complete: file-level findings and the counts.
    PreviewSummarised {
        import_id: ImportId,
        counts: PreviewCounts,
        file_issues: Vec<Issue>,
    },
    LeadCreated {
        import_id: ImportId,
        row: u32,
        crm_id: CrmId,
        kind: Kind,
        fields: Fields,
    },
    LeadUpdated {
        import_id: ImportId,
        row: u32,
        crm_id: CrmId,
        /// The record's version after this update.
        version: u64,
        changes: Vec<FieldChange>,
    },
    ContactCreated {
        import_id: ImportId,
        row: u32,
        crm_id: CrmId,
        fields: Fields,
    },
    CommunicationCreated {
        import_id: ImportId,
        row: u32,
        crm_id: CrmId,
        fields: Fields,
    },
    OpportunityCreated {
        import_id: ImportId,
        row: u32,
        crm_id: CrmId,
        fields: Fields,
    },
    ImportCommitted {
        import_id: ImportId,
        counts: CommitCounts,
        /// How many events of this commit precede this one (they are
        /// contiguous in the log, so the commit's events are found by range).
        events: u64,
        /// Bit `f` is set when the commit wrote field `f`, for audit queries
        /// by field.
        fields_touched: u64,
    },
    TokenCreated {
        name: String,
        role: Role,
        token_hash: Hash,
    },
    TokenRevoked {
        name: String,
    },
}

impl Event {
    /// The event's type tag and schema version, stored in its envelope.
    pub fn type_tag(&self) -> (&'static str, u16) {
        let tag = match self {
            Event::ReferenceSeeded { .. } => "ReferenceSeeded",
            Event::ListItemAdded { .. } => "ListItemAdded",
            Event::ListItemRetired { .. } => "ListItemRetired",
            Event::FileReceived { .. } => "FileReceived",
            Event::RowValidated { .. } => "RowValidated",
            Event::PreviewSummarised { .. } => "PreviewSummarised",
            Event::LeadCreated { .. } => "LeadCreated",
            Event::LeadUpdated { .. } => "LeadUpdated",
            Event::ContactCreated { .. } => "ContactCreated",
            Event::CommunicationCreated { .. } => "CommunicationCreated",
            Event::OpportunityCreated { .. } => "OpportunityCreated",
            Event::ImportCommitted { .. } => "ImportCommitted",
            Event::TokenCreated { .. } => "TokenCreated",
            Event::TokenRevoked { .. } => "TokenRevoked",
        };
        (tag, 1)
    }

    /// The import this event belongs to, if any.
    pub fn import_id(&self) -> Option<ImportId> {
        match self {
            Event::FileReceived { import_id, .. }
            | Event::RowValidated { import_id, .. }
            | Event::PreviewSummarised { import_id, .. }
            | Event::LeadCreated { import_id, .. }
            | Event::LeadUpdated { import_id, .. }
            | Event::ContactCreated { import_id, .. }
            | Event::CommunicationCreated { import_id, .. }
            | Event::OpportunityCreated { import_id, .. }
            | Event::ImportCommitted { import_id, .. } => Some(*import_id),
            _ => None,
        }
    }

    /// The stream the event is appended to.
    pub fn stream(&self) -> Stream {
        match self {
            Event::ReferenceSeeded { .. }
            | Event::ListItemAdded { .. }
            | Event::ListItemRetired { .. } => Stream::Reference,
            Event::TokenCreated { .. } | Event::TokenRevoked { .. } => Stream::Tokens,
            other => Stream::Import(other.import_id().unwrap_or_default()),
        }
    }
}

/// What a `RowValidated` event's outcome is, without its values
/// ([`row_head`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OutcomeHead {
    Invalid,
    Create,
    Update { crm_id: CrmId },
    Unchanged { crm_id: CrmId },
}

impl OutcomeHead {
    /// The head of a decoded outcome (what [`row_head`] reads of its
    /// encoding).
    pub fn of(outcome: &RowOutcome) -> Self {
        match outcome {
            RowOutcome::Invalid => OutcomeHead::Invalid,
            RowOutcome::Create { .. } => OutcomeHead::Create,
            RowOutcome::Update { crm_id, .. } => OutcomeHead::Update { crm_id: *crm_id },
            RowOutcome::Unchanged { crm_id, .. } => OutcomeHead::Unchanged { crm_id: *crm_id },
        }
    }

    /// As [`RowOutcome::action`].
    pub fn action(self) -> Option<&'static str> {
        match self {
            OutcomeHead::Invalid => None,
            OutcomeHead::Create => Some("create"),
            OutcomeHead::Update { .. } => Some("update"),
            OutcomeHead::Unchanged { .. } => Some("unchanged"),
        }
    }

    /// The record an update or an unchanged row matched.
    pub fn crm_id(self) -> Option<CrmId> {
        match self {
            OutcomeHead::Update { crm_id } | OutcomeHead::Unchanged { crm_id } => Some(crm_id),
            OutcomeHead::Invalid | OutcomeHead::Create => None,
        }
    }
}

/// The first fields of a `RowValidated` event (a row of a preview's plan),
/// borrowed from its encoding: what the answers list for each row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowHead<'a> {
    pub row: u32,
    pub lead_name: &'a str,
    pub outcome: OutcomeHead,
}

/// [`Event`]'s variants up to `RowValidated`, in the same order (the order
/// is the encoding, and [`Event`] only ever grows at its end), each
/// mirroring only the fields read: decoding stops after them.
#[derive(Deserialize)]
enum EventHead<'a> {
    ReferenceSeeded,
    ListItemAdded,
    ListItemRetired,
    FileReceived,
    RowValidated {
        #[allow(dead_code)]
        import_id: ImportId,
        row: u32,
        lead_name: &'a str,
        outcome: OutcomeHead,
    },
}

/// The head of an encoded `RowValidated` event (an envelope's payload),
/// without decoding its values or findings; an error for any other event.
pub fn row_head(payload: &[u8]) -> Result<RowHead<'_>, crate::codec::CodecError> {
    match crate::codec::decode_head(payload)? {
        EventHead::RowValidated {
            row,
            lead_name,
            outcome,
            ..
        } => Ok(RowHead {
            row,
            lead_name,
            outcome,
        }),
        EventHead::ReferenceSeeded
        | EventHead::ListItemAdded
        | EventHead::ListItemRetired
        | EventHead::FileReceived => Err(crate::codec::CodecError::Decode(
            "not a RowValidated event".into(),
        )),
    }
}

/// What projecting a lead's creation, or one of its contacts,
/// communications or opportunities, needs of the event: read from its
/// encoding ([`lean`]) without decoding the values it carries, which the
/// projections do not copy (a lead at version 1 is kept as its events'
/// sequence numbers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lean {
    LeadCreated {
        crm_id: CrmId,
        kind: Kind,
        /// The lead name and export value, as text (empty / `None` when
        /// the event has none).
        lead_name: String,
        export_value: Option<String>,
    },
    /// A `ContactCreated`, `CommunicationCreated` or `OpportunityCreated`.
    Sub { crm_id: CrmId },
}

/// A [`Value`] borrowed from its encoding (the same variants in the same
/// order).
#[derive(Deserialize)]
enum ValueRef<'a> {
    Text(&'a str),
    Integer(i64),
    Decimal(rust_decimal::Decimal),
    Date(chrono::NaiveDate),
    DateTime(chrono::NaiveDateTime),
    Bool(bool),
}

impl ValueRef<'_> {
    fn text(&self) -> String {
        match self {
            ValueRef::Text(s) => (*s).to_owned(),
            ValueRef::Integer(n) => Value::Integer(*n).to_string(),
            ValueRef::Decimal(d) => Value::Decimal(*d).to_string(),
            ValueRef::Date(d) => Value::Date(*d).to_string(),
            ValueRef::DateTime(d) => Value::DateTime(*d).to_string(),
            ValueRef::Bool(b) => Value::Bool(*b).to_string(),
        }
    }
}

/// [`Event`]'s variants, in the same order, mirroring only what [`Lean`]
/// needs (a variant added to [`Event`] is added here too; the tests
/// decode one of each).
#[derive(Deserialize)]
enum EventLean<'a> {
    ReferenceSeeded,
    ListItemAdded,
    ListItemRetired,
    FileReceived,
    RowValidated,
    PreviewSummarised,
    LeadCreated {
        #[allow(dead_code)]
        import_id: ImportId,
        #[allow(dead_code)]
        row: u32,
        crm_id: CrmId,
        kind: Kind,
        #[serde(borrow)]
        fields: Vec<(FieldId, ValueRef<'a>)>,
    },
    LeadUpdated,
    ContactCreated {
        #[allow(dead_code)]
        import_id: ImportId,
        #[allow(dead_code)]
        row: u32,
        crm_id: CrmId,
    },
    CommunicationCreated {
        #[allow(dead_code)]
        import_id: ImportId,
        #[allow(dead_code)]
        row: u32,
        crm_id: CrmId,
    },
    OpportunityCreated {
        #[allow(dead_code)]
        import_id: ImportId,
        #[allow(dead_code)]
        row: u32,
        crm_id: CrmId,
    },
    ImportCommitted,
    TokenCreated,
    TokenRevoked,
}

/// The [`Lean`] reading of an encoded event (an envelope's payload):
/// `Ok(None)` for an event it does not cover.
pub fn lean(payload: &[u8]) -> Result<Option<Lean>, crate::codec::CodecError> {
    let text_of = |fields: &[(FieldId, ValueRef<'_>)], field: FieldId| {
        fields
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, v)| v.text())
    };
    Ok(match crate::codec::decode_head(payload)? {
        EventLean::LeadCreated {
            crm_id,
            kind,
            fields,
            ..
        } => Some(Lean::LeadCreated {
            crm_id,
            kind,
            lead_name: text_of(&fields, crate::catalogue::ids::LEAD_NAME).unwrap_or_default(),
            export_value: text_of(&fields, crate::catalogue::ids::EXPORT_VALUE),
        }),
        EventLean::ContactCreated { crm_id, .. }
        | EventLean::CommunicationCreated { crm_id, .. }
        | EventLean::OpportunityCreated { crm_id, .. } => Some(Lean::Sub { crm_id }),
        EventLean::ReferenceSeeded
        | EventLean::ListItemAdded
        | EventLean::ListItemRetired
        | EventLean::FileReceived
        | EventLean::RowValidated
        | EventLean::PreviewSummarised
        | EventLean::LeadUpdated
        | EventLean::ImportCommitted
        | EventLean::TokenCreated
        | EventLean::TokenRevoked => None,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::codec;

    fn row(outcome: RowOutcome) -> Event {
        Event::RowValidated {
            import_id: 7,
            row: 12,
            lead_name: "Acme Corp".into(),
            outcome,
            issues: vec![Issue {
                severity: Severity::Warning,
                row: 12,
                column: "Phone".into(),
                value: "x".into(),
                message: "odd".into(),
            }],
        }
    }

    #[test]
    fn a_lean_reading_reads_what_the_full_decoding_reads() {
        use crate::catalogue::ids;
        let fields = vec![
            (ids::LEAD_NAME, Value::Integer(1234)),
            (ids::EXPORT_VALUE, Value::Text("EXP-9".into())),
            (FieldId(9), Value::Bool(true)),
        ];
        let created = Event::LeadCreated {
            import_id: 3,
            row: 4,
            crm_id: 77,
            kind: Kind::Organizations,
            fields: fields.clone(),
        };
        assert_eq!(
            lean(&codec::encode(&created).unwrap()).unwrap(),
            Some(Lean::LeadCreated {
                crm_id: 77,
                kind: Kind::Organizations,
                lead_name: Value::Integer(1234).to_string(),
                export_value: Some("EXP-9".into()),
            })
        );
        let unnamed = Event::LeadCreated {
            import_id: 3,
            row: 4,
            crm_id: 78,
            kind: Kind::Leads,
            fields: vec![(FieldId(9), Value::Bool(false))],
        };
        assert_eq!(
            lean(&codec::encode(&unnamed).unwrap()).unwrap(),
            Some(Lean::LeadCreated {
                crm_id: 78,
                kind: Kind::Leads,
                lead_name: String::new(),
                export_value: None,
            })
        );
        let subs = [
            Event::ContactCreated {
                import_id: 3,
                row: 4,
                crm_id: 77,
                fields: fields.clone(),
            },
            Event::CommunicationCreated {
                import_id: 3,
                row: 4,
                crm_id: 77,
                fields: fields.clone(),
            },
            Event::OpportunityCreated {
                import_id: 3,
                row: 4,
                crm_id: 77,
                fields,
            },
        ];
        for sub in subs {
            assert_eq!(
                lean(&codec::encode(&sub).unwrap()).unwrap(),
                Some(Lean::Sub { crm_id: 77 }),
                "{sub:?}"
            );
        }
        let others = [
            row(RowOutcome::Invalid),
            Event::LeadUpdated {
                import_id: 3,
                row: 4,
                crm_id: 77,
                version: 2,
                changes: Vec::new(),
            },
            Event::TokenRevoked { name: "t".into() },
            Event::TokenCreated {
                name: "t".into(),
                role: Role::Admin,
                token_hash: [0; 32],
            },
            Event::ImportCommitted {
                import_id: 3,
                counts: CommitCounts::default(),
                events: 9,
                fields_touched: 0,
            },
            Event::ListItemAdded {
                list: ListName::LeadSource,
                item: "x".into(),
            },
        ];
        for other in others {
            assert_eq!(
                lean(&codec::encode(&other).unwrap()).unwrap(),
                None,
                "{other:?}"
            );
        }
    }

    #[test]
    fn a_row_head_reads_what_the_full_decoding_reads() {
        let fields = vec![(
            crate::catalogue::ids::LEAD_NAME,
            Value::Text("Acme Corp".into()),
        )];
        for (outcome, head) in [
            (RowOutcome::Invalid, OutcomeHead::Invalid),
            (
                RowOutcome::Create {
                    fields: fields.clone(),
                    contact: Some(fields.clone()),
                    communication: None,
                    opportunity: None,
                },
                OutcomeHead::Create,
            ),
            (
                RowOutcome::Update {
                    crm_id: 300,
                    base_version: 2,
                    changes: vec![FieldChange {
                        field: crate::catalogue::ids::LEAD_NAME,
                        before: None,
                        after: Value::Text("b".into()),
                    }],
                },
                OutcomeHead::Update { crm_id: 300 },
            ),
            (
                RowOutcome::Unchanged {
                    crm_id: 1 << 40,
                    base_version: 9,
                },
                OutcomeHead::Unchanged { crm_id: 1 << 40 },
            ),
        ] {
            let action = outcome.action();
            assert_eq!(OutcomeHead::of(&outcome), head);
            let bytes = codec::encode(&row(outcome)).unwrap();
            let got = row_head(&bytes).unwrap();
            assert_eq!(
                got,
                RowHead {
                    row: 12,
                    lead_name: "Acme Corp",
                    outcome: head
                }
            );
            assert_eq!(got.outcome.action(), action);
        }
    }

    /// The mirror must list `Event`'s variants in `Event`'s order: each
    /// earlier variant decodes as the one of the same name.
    #[test]
    fn the_head_mirrors_the_order_of_the_variants() {
        let earlier = [
            Event::ReferenceSeeded {
                data: crate::reference::ReferenceData::defaults(),
            },
            Event::ListItemAdded {
                list: crate::catalogue::ListName::Industry,
                item: "Mining".into(),
            },
            Event::ListItemRetired {
                list: crate::catalogue::ListName::Industry,
                item: "Mining".into(),
            },
            Event::FileReceived {
                import_id: 1,
                kind: Kind::Leads,
                file_name: "a.csv".into(),
                size: 3,
                blake3: [0; 32],
                format: crate::read::FileFormat::Csv,
                date_format: DateFormat::Us,
            },
        ];
        for event in earlier {
            let bytes = codec::encode(&event).unwrap();
            let name = match codec::decode_head::<EventHead<'_>>(&bytes).unwrap() {
                EventHead::ReferenceSeeded => "ReferenceSeeded",
                EventHead::ListItemAdded => "ListItemAdded",
                EventHead::ListItemRetired => "ListItemRetired",
                EventHead::FileReceived => "FileReceived",
                EventHead::RowValidated { .. } => "RowValidated",
            };
            assert_eq!(name, event.type_tag().0);
            assert!(row_head(&bytes).is_err());
        }
        let bytes = codec::encode(&row(RowOutcome::Invalid)).unwrap();
        assert!(matches!(
            codec::decode_head::<EventHead<'_>>(&bytes).unwrap(),
            EventHead::RowValidated { import_id: 7, .. }
        ));
    }
}
