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
    /// A create's values and its sub-records' (contact, communication,
    /// opportunity), if it is a create.
    pub fn as_create(&self) -> Option<(&Fields, [Option<&Fields>; 3])> {
        match self {
            RowOutcome::Create {
                fields,
                contact,
                communication,
                opportunity,
            } => Some((
                fields,
                [
                    contact.as_ref(),
                    communication.as_ref(),
                    opportunity.as_ref(),
                ],
            )),
            _ => None,
        }
    }

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
    /// Schema 2 of `LeadCreated` (its type tag): the lead created with the
    /// values its import's plan row froze, which is the event at `plan`
    /// (a `RowValidated` of the same import and row), instead of a copy of
    /// them. Its name and export value are repeated for the projections'
    /// matching indexes. [`resolve`] turns it into the `LeadCreated` it
    /// stands for.
    LeadCreatedAsPlanned {
        import_id: ImportId,
        row: u32,
        crm_id: CrmId,
        kind: Kind,
        plan: u64,
        lead_name: String,
        export_value: Option<String>,
    },
    /// Schema 2 of `ContactCreated`, `CommunicationCreated` and
    /// `OpportunityCreated`: the sub-record created with the values of the
    /// plan row at `plan`, as [`Event::LeadCreatedAsPlanned`].
    SubCreatedAsPlanned {
        import_id: ImportId,
        row: u32,
        crm_id: CrmId,
        sub: SubKind,
        plan: u64,
    },
    /// Schema 2 of `PreviewSummarised`: also the blake3 digest of the plan
    /// the preview staged for its commit (each row's head, and what
    /// committing a planned create needs of its plan row; see
    /// `app::plan::StagedRow`). A commit that follows its preview directly
    /// reads the staged plan instead of the plan rows, once its digest is
    /// this one; `ledger verify` proves it equal to the plan rows.
    PreviewSummarisedStaged {
        import_id: ImportId,
        counts: PreviewCounts,
        file_issues: Vec<Issue>,
        staged_plan: Hash,
    },
}

/// The sub-records a row can create with its lead.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SubKind {
    Contact,
    Communication,
    Opportunity,
}

impl SubKind {
    pub const ALL: [SubKind; 3] = [
        SubKind::Contact,
        SubKind::Communication,
        SubKind::Opportunity,
    ];

    /// The type tag of its events.
    pub fn type_tag(self) -> &'static str {
        match self {
            SubKind::Contact => "ContactCreated",
            SubKind::Communication => "CommunicationCreated",
            SubKind::Opportunity => "OpportunityCreated",
        }
    }
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
            Event::LeadCreatedAsPlanned { .. } => return ("LeadCreated", 2),
            Event::SubCreatedAsPlanned { sub, .. } => return (sub.type_tag(), 2),
            Event::PreviewSummarisedStaged { .. } => return ("PreviewSummarised", 2),
        };
        (tag, 1)
    }

    /// The plan row whose values an event of schema 2 of `LeadCreated`,
    /// `ContactCreated`, ... stands for.
    pub fn plan_row(&self) -> Option<u64> {
        match self {
            Event::LeadCreatedAsPlanned { plan, .. } | Event::SubCreatedAsPlanned { plan, .. } => {
                Some(*plan)
            }
            _ => None,
        }
    }

    /// The kind of lead this event creates, if it creates one.
    pub fn created_kind(&self) -> Option<Kind> {
        match self {
            Event::LeadCreated { kind, .. } | Event::LeadCreatedAsPlanned { kind, .. } => {
                Some(*kind)
            }
            _ => None,
        }
    }

    /// The import this event belongs to, if any.
    pub fn import_id(&self) -> Option<ImportId> {
        match self {
            Event::FileReceived { import_id, .. }
            | Event::RowValidated { import_id, .. }
            | Event::PreviewSummarised { import_id, .. }
            | Event::PreviewSummarisedStaged { import_id, .. }
            | Event::LeadCreated { import_id, .. }
            | Event::LeadUpdated { import_id, .. }
            | Event::ContactCreated { import_id, .. }
            | Event::CommunicationCreated { import_id, .. }
            | Event::OpportunityCreated { import_id, .. }
            | Event::LeadCreatedAsPlanned { import_id, .. }
            | Event::SubCreatedAsPlanned { import_id, .. }
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
    if SUB_CREATED.contains(&variant) || variant == SUB_CREATED_AS_PLANNED {
        let ((_import_id, _row, crm_id), _): ((ImportId, u32, CrmId), _) = reader.read()?;
        return Ok(Some(Lean::Sub { crm_id }));
    }
    if variant == LEAD_CREATED_AS_PLANNED {
        type Head<'a> = (ImportId, u32, CrmId, Kind, u64, &'a str, Option<&'a str>);
        let ((_import_id, _row, crm_id, kind, _plan, lead_name, export), _): (Head<'_>, _) =
            reader.read()?;
        return Ok(Some(Lean::LeadCreated {
            crm_id,
            kind,
            lead_name: lead_name.to_owned(),
            export_value: export.map(str::to_owned),
        }));
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
    /// Encodes `event` into `buffer` (cleared first): an append hands back
    /// the same buffer for each event, so that a plan row's 500 bytes are
    /// not grown from nothing, four reallocations, every time.
    pub fn of(event: &Event, mut buffer: Vec<u8>) -> Result<Encoded, crate::codec::CodecError> {
        let (type_tag, schema) = event.type_tag();
        buffer.clear();
        crate::codec::encode_into(event, &mut buffer)?;
        Ok(Encoded {
            stream: event.stream(),
            type_tag,
            schema,
            payload: buffer,
        })
    }
}

/// A field's value as text (what the matching indexes and the answers
/// show), if the list has the field.
pub fn field_text(fields: &Fields, field: FieldId) -> Option<String> {
    fields
        .iter()
        .find(|(f, _)| *f == field)
        .map(|(_, v)| v.to_string())
}

/// What committing a planned create needs of its plan row: the row, its
/// lead name and export value as text, and which sub-records it has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedCreate {
    /// The plan row's sequence number.
    pub plan: u64,
    pub row: u32,
    pub lead_name: String,
    pub export_value: Option<String>,
    /// Whether the row has a contact, a communication, an opportunity.
    pub subs: [bool; 3],
}

impl PlannedCreate {
    /// The planned create of the plan row at `plan` (its values decoded).
    pub fn of(plan: u64, row: u32, fields: &Fields, subs: [Option<&Fields>; 3]) -> PlannedCreate {
        PlannedCreate {
            plan,
            row,
            lead_name: field_text(fields, crate::catalogue::ids::LEAD_NAME).unwrap_or_default(),
            export_value: field_text(fields, crate::catalogue::ids::EXPORT_VALUE),
            subs: subs.map(|s| s.is_some()),
        }
    }

    /// The mask of the fields a planned create writes: bit `f` for each
    /// field `f` of the lead and of its sub-records.
    pub fn touched(fields: &Fields, subs: [Option<&Fields>; 3]) -> u64 {
        std::iter::once(fields)
            .chain(subs.into_iter().flatten())
            .flat_map(|list| list.iter())
            .fold(0u64, |mask, (f, _)| mask | 1u64 << f.0)
    }

    /// The events that committing it makes: the lead, then its contact,
    /// communication and opportunity, if the row has them, each naming
    /// the plan row for its values.
    pub fn events(self, import_id: ImportId, crm_id: CrmId, kind: Kind) -> Vec<Event> {
        let mut out = Vec::with_capacity(4);
        out.push(Event::LeadCreatedAsPlanned {
            import_id,
            row: self.row,
            crm_id,
            kind,
            plan: self.plan,
            lead_name: self.lead_name,
            export_value: self.export_value,
        });
        for (sub, has) in SubKind::ALL.into_iter().zip(self.subs) {
            if has {
                out.push(Event::SubCreatedAsPlanned {
                    import_id,
                    row: self.row,
                    crm_id,
                    sub,
                    plan: self.plan,
                });
            }
        }
        out
    }
}

/// The `LeadCreated`, `ContactCreated`, `CommunicationCreated` or
/// `OpportunityCreated` (schema 1, with its values) that an event of
/// schema 2 stands for, given `plan_row`, the event at its `plan`; any
/// other event as it is. An error says why the plan row cannot be the
/// event's: the log is damaged.
pub fn resolve(event: Event, plan_row: &Event) -> Result<Event, String> {
    let (import_id, row) = match &event {
        Event::LeadCreatedAsPlanned { import_id, row, .. }
        | Event::SubCreatedAsPlanned { import_id, row, .. } => (*import_id, *row),
        _ => return Ok(event),
    };
    let (fields, subs) = match plan_row {
        Event::RowValidated {
            import_id: plan_import,
            row: plan_row_number,
            outcome:
                RowOutcome::Create {
                    fields,
                    contact,
                    communication,
                    opportunity,
                },
            ..
        } if *plan_import == import_id && *plan_row_number == row => {
            (fields, [contact, communication, opportunity])
        }
        _ => {
            return Err(format!(
                "its plan row is not the planned create of row {row} of import {import_id}"
            ))
        }
    };
    match event {
        Event::LeadCreatedAsPlanned {
            crm_id,
            kind,
            lead_name,
            export_value,
            ..
        } => {
            let planned_name = field_text(fields, crate::catalogue::ids::LEAD_NAME);
            let planned_export = field_text(fields, crate::catalogue::ids::EXPORT_VALUE);
            if planned_name.unwrap_or_default() != lead_name || planned_export != export_value {
                return Err("its name or export value is not its plan row's".to_string());
            }
            Ok(Event::LeadCreated {
                import_id,
                row,
                crm_id,
                kind,
                fields: fields.clone(),
            })
        }
        Event::SubCreatedAsPlanned { crm_id, sub, .. } => {
            let Some(fields) = subs[sub as usize].clone() else {
                return Err(format!("its plan row has no {}", sub.type_tag()));
            };
            Ok(match sub {
                SubKind::Contact => Event::ContactCreated {
                    import_id,
                    row,
                    crm_id,
                    fields,
                },
                SubKind::Communication => Event::CommunicationCreated {
                    import_id,
                    row,
                    crm_id,
                    fields,
                },
                SubKind::Opportunity => Event::OpportunityCreated {
                    import_id,
                    row,
                    crm_id,
                    fields,
                },
            })
        }
        other => Ok(other),
    }
}

/// The variant indices of [`Event`] and [`RowOutcome`] that the lean and
/// raw readings look for (their encoding; the tests check them against it).
const ROW_VALIDATED: u32 = 4;
const LEAD_CREATED: u32 = 6;
const SUB_CREATED: [u32; 3] = [8, 9, 10];
const LEAD_CREATED_AS_PLANNED: u32 = 14;
const SUB_CREATED_AS_PLANNED: u32 = 15;
const OUTCOME_CREATE: u32 = 1;

impl PlannedCreate {
    /// The create planned by an encoded `RowValidated` event (a payload,
    /// the event at `plan`), read without decoding its values but for the
    /// lead name and export value, or `None` when its outcome is not a
    /// create (or it is another event). Also the mask of the fields it
    /// writes (bit `f` for field `f`).
    pub fn read(
        plan: u64,
        payload: &[u8],
    ) -> Result<Option<(PlannedCreate, u64)>, crate::codec::CodecError> {
        let mut reader = crate::codec::Reader::new(payload)?;
        if reader.read::<u32>()?.0 != ROW_VALIDATED {
            return Ok(None);
        }
        let ((_import_id, row, _lead_name, outcome), _): ((ImportId, u32, &str, u32), _) =
            reader.read()?;
        if outcome != OUTCOME_CREATE {
            return Ok(None);
        }
        let mut touched = 0u64;
        let (mut name, mut export) = (None, None);
        let mut pos = walk_fields(payload, reader.pos(), |field, value| {
            touched |= 1u64 << field.0;
            if field == crate::catalogue::ids::LEAD_NAME {
                name = Some(value);
            } else if field == crate::catalogue::ids::EXPORT_VALUE {
                export = Some(value);
            }
        })?;
        let mut subs = [false; 3];
        for sub in &mut subs {
            match payload.get(pos) {
                Some(0) => pos += 1,
                Some(1) => {
                    pos = walk_fields(payload, pos + 1, |field, _| touched |= 1u64 << field.0)?;
                    *sub = true;
                }
                _ => {
                    return Err(crate::codec::CodecError::Decode(format!(
                        "no sub-record's fields at byte {pos} of a plan row"
                    )))
                }
            }
        }
        let mut text = |at: Option<std::ops::Range<usize>>| match at {
            Some(range) => {
                reader.seek(range.start);
                reader.read::<ValueRef<'_>>().map(|(v, _)| Some(v.text()))
            }
            None => Ok(None),
        };
        let planned = PlannedCreate {
            plan,
            row,
            lead_name: text(name)?.unwrap_or_default(),
            export_value: text(export)?,
            subs,
        };
        Ok(Some((planned, touched)))
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
            ".{0,300}".prop_map(|s: String| Value::Text(s.into())),
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

    /// A plan row's field list with a value of every variant.
    fn all_variants(n: i64) -> Fields {
        use crate::catalogue::ids;
        vec![
            (
                ids::LEAD_NAME,
                Value::Text(format!("Lead {n} ünïcode").into()),
            ),
            (ids::EXPORT_VALUE, Value::Integer(n * 7)),
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
    }

    fn planned_create(row: u32, mask: u8) -> Event {
        let sub = |bit: u8, n: i64| (mask & (1 << bit) != 0).then(|| all_variants(n));
        Event::RowValidated {
            import_id: 300,
            row,
            lead_name: "shown name".into(),
            outcome: RowOutcome::Create {
                fields: all_variants(1),
                contact: sub(0, 2),
                communication: sub(1, 3),
                opportunity: sub(2, 4),
            },
            issues: vec![Issue {
                severity: Severity::Warning,
                row: 9,
                column: "Phone".into(),
                value: "x".into(),
                message: "odd".into(),
            }],
        }
    }

    #[test]
    fn a_create_read_raw_is_the_create_decoded() {
        for mask in 0..8u8 {
            let plan_row = planned_create(70_000 + u32::from(mask), mask);
            let (raw, touched) = PlannedCreate::read(41, &codec::encode(&plan_row).unwrap())
                .unwrap()
                .unwrap();
            let Event::RowValidated {
                outcome:
                    RowOutcome::Create {
                        fields,
                        contact,
                        communication,
                        opportunity,
                    },
                ..
            } = &plan_row
            else {
                unreachable!()
            };
            let subs = [
                contact.as_ref(),
                communication.as_ref(),
                opportunity.as_ref(),
            ];
            let decoded = PlannedCreate::of(41, 70_000 + u32::from(mask), fields, subs);
            assert_eq!(raw, decoded);
            assert_eq!(
                (raw.lead_name.as_str(), raw.export_value.as_deref()),
                ("Lead 1 ünïcode", Some("7"))
            );
            let mut all = 0u64;
            for list in std::iter::once(fields).chain(subs.into_iter().flatten()) {
                for (f, _) in list {
                    all |= 1 << f.0;
                }
            }
            assert_eq!(touched, all);
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
                PlannedCreate::read(1, &codec::encode(&not_a_create).unwrap()).unwrap(),
                None
            );
        }
    }

    #[test]
    fn a_create_as_planned_resolves_to_the_create_with_its_plan_rows_values() {
        for mask in 0..8u8 {
            let plan_row = planned_create(12, mask);
            let Event::RowValidated {
                outcome:
                    RowOutcome::Create {
                        fields,
                        contact,
                        communication,
                        opportunity,
                    },
                ..
            } = plan_row.clone()
            else {
                unreachable!()
            };
            let subs = [
                contact.as_ref(),
                communication.as_ref(),
                opportunity.as_ref(),
            ];
            let events = PlannedCreate::of(41, 12, &fields, subs).events(300, 9, Kind::Leads);
            let tags: Vec<_> = events.iter().map(|e| e.type_tag()).collect();
            let mut expected = vec![Event::LeadCreated {
                import_id: 300,
                row: 12,
                crm_id: 9,
                kind: Kind::Leads,
                fields: fields.clone(),
            }];
            let (import_id, row, crm_id) = (300, 12, 9);
            expected.extend(contact.clone().map(|fields| Event::ContactCreated {
                import_id,
                row,
                crm_id,
                fields,
            }));
            expected.extend(
                communication
                    .clone()
                    .map(|fields| Event::CommunicationCreated {
                        import_id,
                        row,
                        crm_id,
                        fields,
                    }),
            );
            expected.extend(opportunity.clone().map(|fields| Event::OpportunityCreated {
                import_id,
                row,
                crm_id,
                fields,
            }));
            let resolved: Vec<_> = events
                .iter()
                .map(|e| resolve(e.clone(), &plan_row).unwrap())
                .collect();
            assert_eq!(resolved, expected);
            // The same type tags as the events they stand for, schema 2.
            let expected_tags: Vec<_> = expected.iter().map(|e| (e.type_tag().0, 2)).collect();
            assert_eq!(tags, expected_tags);
            assert!(events.iter().all(|e| e.plan_row() == Some(41)));
            // Other events resolve to themselves.
            assert_eq!(resolve(plan_row.clone(), &plan_row).unwrap(), plan_row);
        }
    }

    #[test]
    fn a_create_as_planned_with_a_plan_row_not_its_own_does_not_resolve() {
        let plan_row = planned_create(12, 0b001);
        let Event::RowValidated {
            outcome: RowOutcome::Create { fields, .. },
            ..
        } = plan_row.clone()
        else {
            unreachable!()
        };
        let lead = |row, lead_name: &str| Event::LeadCreatedAsPlanned {
            import_id: 300,
            row,
            crm_id: 9,
            kind: Kind::Leads,
            plan: 41,
            lead_name: lead_name.into(),
            export_value: Some("7".into()),
        };
        let sub = |sub| Event::SubCreatedAsPlanned {
            import_id: 300,
            row: 12,
            crm_id: 9,
            sub,
            plan: 41,
        };
        let name = crate::event::field_text(&fields, crate::catalogue::ids::LEAD_NAME).unwrap();
        assert!(resolve(lead(12, &name), &plan_row).is_ok());
        assert!(resolve(sub(SubKind::Contact), &plan_row).is_ok());
        // Another row, another name, a sub-record the row does not have,
        // a plan row of another import or that is not a create.
        assert!(resolve(lead(13, &name), &plan_row).is_err());
        assert!(resolve(lead(12, "Someone else"), &plan_row).is_err());
        let err = resolve(sub(SubKind::Opportunity), &plan_row).unwrap_err();
        assert!(err.contains("OpportunityCreated"), "{err}");
        let mut other_import = plan_row.clone();
        if let Event::RowValidated { import_id, .. } = &mut other_import {
            *import_id = 301;
        }
        assert!(resolve(lead(12, &name), &other_import).is_err());
        assert!(resolve(lead(12, &name), &row(RowOutcome::Invalid)).is_err());
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
        // Schema 2: the events a commit makes, naming their plan row.
        let events = PlannedCreate {
            plan: 5,
            row: 4,
            lead_name: "Acme".into(),
            export_value: None,
            subs: [true, true, true],
        }
        .events(3, 79, Kind::Organizations);
        let leans: Vec<_> = events
            .iter()
            .map(|e| lean(&codec::encode(e).unwrap()).unwrap())
            .collect();
        assert_eq!(
            leans[0],
            Some(Lean::LeadCreated {
                crm_id: 79,
                kind: Kind::Organizations,
                lead_name: "Acme".into(),
                export_value: None,
            })
        );
        assert!(leans[1..]
            .iter()
            .all(|l| *l == Some(Lean::Sub { crm_id: 79 })));
        assert_eq!(leans.len(), 4);
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

    #[test]
    fn encoding_into_a_used_buffer_gives_the_bytes_of_a_new_one() {
        let events = [
            row(RowOutcome::Invalid),
            Event::ListItemRetired {
                list: crate::catalogue::ListName::Industry,
                item: "Mining".into(),
            },
            row(RowOutcome::Unchanged {
                crm_id: 1 << 40,
                base_version: 9,
            }),
        ];
        // Each event is encoded into the buffer the one before it used,
        // longer or shorter than it needs.
        let mut buffer = vec![0xAB; 4096];
        for event in &events {
            let encoded = Encoded::of(event, buffer).unwrap();
            assert_eq!(encoded.payload, codec::encode(event).unwrap());
            assert_eq!(
                (encoded.type_tag, encoded.schema),
                event.type_tag(),
                "{event:?}"
            );
            assert_eq!(encoded.stream, event.stream());
            buffer = encoded.payload;
        }
    }
}
