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

/// The [`Lean`] reading of an encoded event (an envelope's payload):
/// `Ok(None)` for an event it does not cover. The values are walked, not
/// decoded ([`walk_fields`]), but for the lead name and export value.
pub fn lean(payload: &[u8]) -> Result<Option<Lean>, crate::codec::CodecError> {
    let mut reader = crate::codec::Reader::new(payload)?;
    let (variant, _) = reader.read::<u32>()?;
    if variant == LEAD_CREATED {
        let ((_import_id, _row, crm_id, kind), _): ((ImportId, u32, CrmId, Kind), _) =
            reader.read()?;
        let (mut name, mut export) = (None, None);
        walk_fields(payload, reader.pos(), |field, value| {
            if field == crate::catalogue::ids::LEAD_NAME {
                name = Some(value);
            } else if field == crate::catalogue::ids::EXPORT_VALUE {
                export = Some(value);
            }
        })?;
        let mut text = |at: Option<std::ops::Range<usize>>| match at {
            Some(range) => {
                reader.seek(range.start);
                reader.read::<ValueRef<'_>>().map(|(v, _)| Some(v.text()))
            }
            None => Ok(None),
        };
        return Ok(Some(Lean::LeadCreated {
            crm_id,
            kind,
            lead_name: text(name)?.unwrap_or_default(),
            export_value: text(export)?,
        }));
    }
    if SUB_CREATED.contains(&variant) {
        let ((_import_id, _row, crm_id), _): ((ImportId, u32, CrmId), _) = reader.read()?;
        return Ok(Some(Lean::Sub { crm_id }));
    }
    Ok(None)
}

/// Walks the field list (a [`Fields`]) encoded at `pos` of `bytes`
/// without decoding its values: calls `each` with each field and the
/// range of its encoded value, and returns the position after the list.
/// It follows [`Value`]'s encoding: its variant, then text, a decimal, a
/// date and a date-time as a length and bytes, an integer as a varint, a
/// boolean as a byte (the tests check it against the decoding).
pub fn walk_fields(
    bytes: &[u8],
    pos: usize,
    mut each: impl FnMut(FieldId, std::ops::Range<usize>),
) -> Result<usize, crate::codec::CodecError> {
    use crate::codec::{varint, CodecError};
    let cut = |at: usize| CodecError::Decode(format!("a field list is cut short at byte {at}"));
    let (n, mut pos) = varint(bytes, pos)?;
    for _ in 0..n {
        let &field = bytes.get(pos).ok_or_else(|| cut(pos))?;
        let start = pos + 1;
        let (variant, after) = varint(bytes, start)?;
        pos = match variant {
            0 | 2 | 3 | 4 => {
                let (len, after) = varint(bytes, after)?;
                usize::try_from(len)
                    .ok()
                    .and_then(|len| after.checked_add(len))
                    .filter(|end| *end <= bytes.len())
                    .ok_or_else(|| cut(after))?
            }
            1 => varint(bytes, after)?.1,
            5 if after < bytes.len() => after + 1,
            5 => return Err(cut(after)),
            other => {
                return Err(CodecError::Decode(format!(
                    "value variant {other} at byte {start} is unknown"
                )))
            }
        };
        each(FieldId(field), start..pos);
    }
    Ok(pos)
}

/// An event ready to append: its envelope's stream and type, and its
/// encoded payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encoded {
    pub stream: Stream,
    pub type_tag: &'static str,
    pub schema: u16,
    pub payload: Vec<u8>,
}

impl Encoded {
    pub fn of(event: &Event) -> Result<Encoded, crate::codec::CodecError> {
        let (type_tag, schema) = event.type_tag();
        Ok(Encoded {
            stream: event.stream(),
            type_tag,
            schema,
            payload: crate::codec::encode(event)?,
        })
    }
}

/// The events that committing a planned create makes: the lead, then its
/// contact, communication and opportunity, if the row has them.
#[allow(clippy::too_many_arguments)]
pub fn create_events(
    import_id: ImportId,
    row: u32,
    crm_id: CrmId,
    kind: Kind,
    fields: Fields,
    contact: Option<Fields>,
    communication: Option<Fields>,
    opportunity: Option<Fields>,
) -> Vec<Event> {
    let mut out = Vec::with_capacity(4);
    out.push(Event::LeadCreated {
        import_id,
        row,
        crm_id,
        kind,
        fields,
    });
    if let Some(fields) = contact {
        out.push(Event::ContactCreated {
            import_id,
            row,
            crm_id,
            fields,
        });
    }
    if let Some(fields) = communication {
        out.push(Event::CommunicationCreated {
            import_id,
            row,
            crm_id,
            fields,
        });
    }
    if let Some(fields) = opportunity {
        out.push(Event::OpportunityCreated {
            import_id,
            row,
            crm_id,
            fields,
        });
    }
    out
}

/// The variant indices of [`Event`] and [`RowOutcome`] that splicing
/// writes and reads (their encoding; the tests check them against it).
const ROW_VALIDATED: u32 = 4;
const LEAD_CREATED: u32 = 6;
const SUB_CREATED: [u32; 3] = [8, 9, 10];
const SUB_TAGS: [&str; 3] = [
    "ContactCreated",
    "CommunicationCreated",
    "OpportunityCreated",
];
const OUTCOME_CREATE: u32 = 1;

/// A planned create read from its `RowValidated` event with its values
/// left encoded: the commit's events for it ([`RawCreate::events`]) are
/// made by splicing those bytes, which encode a `Fields` the same way in a
/// plan row and in `LeadCreated`, `ContactCreated`, `CommunicationCreated`
/// and `OpportunityCreated`, instead of decoding every value and encoding
/// it again (a third of a commit's work on two threads).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawCreate {
    pub row: u32,
    pub lead_name: String,
    payload: Vec<u8>,
    fields: std::ops::Range<usize>,
    /// The contact's, communication's and opportunity's fields, if any.
    subs: [Option<std::ops::Range<usize>>; 3],
    /// Bit `f` set for each field `f` the row writes.
    pub touched: u64,
}

impl RawCreate {
    /// The create planned by an encoded `RowValidated` event (a payload),
    /// or `None` when its outcome is not a create (or it is another event).
    pub fn read(payload: &[u8]) -> Result<Option<RawCreate>, crate::codec::CodecError> {
        let mut reader = crate::codec::Reader::new(payload)?;
        if reader.read::<u32>()?.0 != ROW_VALIDATED {
            return Ok(None);
        }
        let ((_import_id, row, lead_name, outcome), _): ((ImportId, u32, &str, u32), _) =
            reader.read()?;
        if outcome != OUTCOME_CREATE {
            return Ok(None);
        }
        let mut touched = 0u64;
        let mut touch = |field: FieldId, _| touched |= 1u64 << field.0;
        let start = reader.pos();
        let end = walk_fields(payload, start, &mut touch)?;
        let fields = start..end;
        let mut subs: [Option<std::ops::Range<usize>>; 3] = [None, None, None];
        let mut pos = end;
        for sub in &mut subs {
            match payload.get(pos) {
                Some(0) => pos += 1,
                Some(1) => {
                    let end = walk_fields(payload, pos + 1, &mut touch)?;
                    *sub = Some(pos + 1..end);
                    pos = end;
                }
                _ => {
                    return Err(crate::codec::CodecError::Decode(format!(
                        "no sub-record's fields at byte {pos} of a plan row"
                    )))
                }
            }
        }
        Ok(Some(RawCreate {
            row,
            lead_name: lead_name.to_owned(),
            payload: payload.to_vec(),
            fields,
            subs,
            touched,
        }))
    }

    /// The events committing this create makes: the lead, then each of
    /// its contact, communication and opportunity (what [`Event`]'s
    /// `LeadCreated`, `ContactCreated`, ... encode to).
    pub fn events(
        &self,
        import_id: ImportId,
        crm_id: CrmId,
        kind: Kind,
    ) -> Result<Vec<Encoded>, crate::codec::CodecError> {
        let encoded = |type_tag, payload| Encoded {
            stream: Stream::Import(import_id),
            type_tag,
            schema: 1,
            payload,
        };
        let mut out = Vec::with_capacity(4);
        let head = (LEAD_CREATED, import_id, self.row, crm_id, kind);
        out.push(encoded(
            "LeadCreated",
            crate::codec::encode_spliced(&head, &self.payload[self.fields.clone()])?,
        ));
        for ((sub, variant), tag) in self.subs.iter().zip(SUB_CREATED).zip(SUB_TAGS) {
            if let Some(range) = sub {
                let head = (variant, import_id, self.row, crm_id);
                out.push(encoded(
                    tag,
                    crate::codec::encode_spliced(&head, &self.payload[range.clone()])?,
                ));
            }
        }
        Ok(out)
    }
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

    fn any_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        prop_oneof![
            ".{0,300}".prop_map(Value::Text),
            any::<i64>().prop_map(Value::Integer),
            (any::<i64>(), 0u32..10)
                .prop_map(|(n, scale)| Value::Decimal(rust_decimal::Decimal::new(n, scale))),
            (1900i32..2100, 1u32..366).prop_map(|(y, d)| Value::Date(
                chrono::NaiveDate::from_yo_opt(y, d).unwrap_or_default()
            )),
            (1900i32..2100, 1u32..366, 0u32..86_400, 0u32..2_000_000_000).prop_map(
                |(y, d, s, ns)| Value::DateTime(
                    chrono::NaiveDate::from_yo_opt(y, d)
                        .unwrap_or_default()
                        .and_time(
                            chrono::NaiveTime::from_num_seconds_from_midnight_opt(s, ns)
                                .unwrap_or_default()
                        )
                )
            ),
            any::<bool>().prop_map(Value::Bool),
        ]
    }

    proptest::proptest! {
        #[test]
        fn walking_a_field_list_finds_each_encoded_value(
            fields in proptest::collection::vec((any_field(), any_value()), 0..40)
        ) {
            let bytes = codec::encode(&(fields.clone(), 9u8)).unwrap();
            let mut walked = Vec::new();
            let end = walk_fields(&bytes, 1, |f, range| walked.push((f, range))).unwrap();
            proptest::prop_assert_eq!(bytes[end], 9);
            proptest::prop_assert_eq!(walked.len(), fields.len());
            for ((field, range), (f, v)) in walked.into_iter().zip(fields) {
                proptest::prop_assert_eq!(field, f);
                let mut one = vec![codec::TAG_BINCODE2];
                one.extend_from_slice(&bytes[range]);
                proptest::prop_assert_eq!(codec::decode::<Value>(&one).unwrap(), v);
            }
            let cut_short = walk_fields(&bytes[..end - 1], 1, |_, _| ()).is_err();
            proptest::prop_assert!(cut_short);
        }
    }

    fn any_field() -> impl proptest::strategy::Strategy<Value = FieldId> {
        use proptest::prelude::*;
        (0u8..64).prop_map(FieldId)
    }

    #[test]
    fn spliced_creates_encode_as_the_decoded_ones() {
        use crate::catalogue::ids;
        let fields = |n: i64| -> Fields {
            vec![
                (ids::LEAD_NAME, Value::Text(format!("Lead {n} ünïcode"))),
                (FieldId(5), Value::Integer(n * 1_000_003)),
                (
                    FieldId(9),
                    Value::Decimal(rust_decimal::Decimal::new(n * 1234, 2)),
                ),
                (
                    FieldId(12),
                    Value::Date(chrono::NaiveDate::from_ymd_opt(2020, 1, 1 + n as u32).unwrap()),
                ),
                (FieldId(31), Value::Bool(n % 2 == 0)),
                (
                    FieldId(29),
                    Value::DateTime(
                        chrono::NaiveDate::from_ymd_opt(2021, 5, 6)
                            .unwrap()
                            .and_hms_milli_opt(7, 8, 9, 10)
                            .unwrap(),
                    ),
                ),
            ]
        };
        for mask in 0..8u8 {
            let sub = |bit: u8, n: i64| (mask & (1 << bit) != 0).then(|| fields(n));
            let outcome = RowOutcome::Create {
                fields: fields(1),
                contact: sub(0, 2),
                communication: sub(1, 3),
                opportunity: sub(2, 4),
            };
            let plan_row = Event::RowValidated {
                import_id: 300,
                row: 70_000 + u32::from(mask),
                lead_name: "Lead 1".into(),
                outcome: outcome.clone(),
                issues: vec![Issue {
                    severity: Severity::Warning,
                    row: 9,
                    column: "Phone".into(),
                    value: "x".into(),
                    message: "odd".into(),
                }],
            };
            let raw = RawCreate::read(&codec::encode(&plan_row).unwrap())
                .unwrap()
                .unwrap();
            assert_eq!(
                (raw.row, raw.lead_name.as_str()),
                (70_000 + u32::from(mask), "Lead 1")
            );
            let RowOutcome::Create {
                fields,
                contact,
                communication,
                opportunity,
            } = outcome
            else {
                unreachable!()
            };
            let mut touched = 0u64;
            for list in [
                Some(&fields),
                contact.as_ref(),
                communication.as_ref(),
                opportunity.as_ref(),
            ]
            .into_iter()
            .flatten()
            {
                for (f, _) in list {
                    touched |= 1 << f.0;
                }
            }
            assert_eq!(raw.touched, touched);
            let decoded: Vec<Encoded> = create_events(
                300,
                raw.row,
                1 << 40,
                Kind::Organizations,
                fields,
                contact,
                communication,
                opportunity,
            )
            .iter()
            .map(|e| Encoded::of(e).unwrap())
            .collect();
            assert_eq!(decoded.len(), 1 + mask.count_ones() as usize);
            assert_eq!(
                raw.events(300, 1 << 40, Kind::Organizations).unwrap(),
                decoded
            );
        }
        for not_a_create in [
            row(RowOutcome::Invalid),
            row(RowOutcome::Unchanged {
                crm_id: 4,
                base_version: 1,
            }),
            Event::TokenRevoked { name: "t".into() },
        ] {
            assert_eq!(
                RawCreate::read(&codec::encode(&not_a_create).unwrap()).unwrap(),
                None
            );
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
