//! The hash-chained envelope of every event, and the log's head.
//!
//! An event is stored sealed: its envelope's bytes, then their blake3.
//! The envelope carries the hash of its predecessor, so changing, removing
//! or reordering any stored event breaks the chain at that event, and
//! `verify` names it. Two layouts of the sealed bytes, told apart by their
//! first byte:
//! - the first, `encode(Envelope) ++ blake3` ([`seal`]), with the previous
//!   hash inside the envelope, before its payload;
//! - the second (since the log's block format 3, [`BlockBuilder`]),
//!   `[SEALED_TAIL] ++ encode(the envelope without its previous hash) ++
//!   previous hash ++ blake3` ([`seal_tail`]): the same fields, the
//!   previous hash last, so that everything an event's hash covers but the
//!   last 32 bytes is known before the event before is sealed, and an
//!   append hashes most of a chunk's bytes several events at a time
//!   ([`crate::hashing::chain`]).
//!
//! Every reader takes both ([`unseal`], [`open_head`], [`BlockReader`]).

use serde::{Deserialize, Serialize};

use crate::codec::{self, CodecError};
use crate::event::{Event, Hash, Stream};

/// The hash the first event chains to.
pub const GENESIS: Hash = [0u8; 32];

/// Everything recorded about one event besides its own hash.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// Global position in the log, from 0, without gaps.
    pub seq: u64,
    pub stream: Stream,
    /// Position within its stream, from 1.
    pub stream_version: u64,
    /// When it was recorded, in milliseconds since the Unix epoch (UTC).
    pub at_ms: i64,
    /// Who acted: a user name, a token name, or `system`.
    pub actor: String,
    pub type_tag: String,
    pub schema: u16,
    pub prev_hash: Hash,
    /// The encoded [`Event`]. Encoded as a byte string (length, then the
    /// bytes), which in bincode is exactly the encoding of a sequence of
    /// `u8`; it decodes as one copy instead of a visit per byte.
    #[serde(with = "serde_bytes")]
    pub payload: Vec<u8>,
}

/// An [`Envelope`] borrowed from its stored bytes ([`open_head`]): what a
/// reader looks at to decide whether to decode an event at all, and the
/// encoded event itself, without a copy.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
pub struct EnvelopeHead<'a> {
    pub seq: u64,
    pub stream: Stream,
    pub stream_version: u64,
    pub at_ms: i64,
    pub actor: &'a str,
    pub type_tag: &'a str,
    pub schema: u16,
    pub prev_hash: Hash,
    pub payload: &'a [u8],
}

impl EnvelopeHead<'_> {
    /// The owned envelope (what [`open_unchecked`] gives).
    pub fn to_envelope(&self) -> Envelope {
        Envelope {
            seq: self.seq,
            stream: self.stream,
            stream_version: self.stream_version,
            at_ms: self.at_ms,
            actor: self.actor.to_owned(),
            type_tag: self.type_tag.to_owned(),
            schema: self.schema,
            prev_hash: self.prev_hash,
            payload: self.payload.to_vec(),
        }
    }
}

/// A stored event, decoded.
#[derive(Clone, Debug, PartialEq)]
pub struct Recorded {
    pub envelope: Envelope,
    pub event: Event,
    pub hash: Hash,
}

/// Where the log ends: the next sequence number and the last event's hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogHead {
    pub next_seq: u64,
    pub tip: Hash,
}

impl Default for LogHead {
    fn default() -> Self {
        LogHead {
            next_seq: 0,
            tip: GENESIS,
        }
    }
}

/// Why a stored event cannot be read or trusted.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("event {seq} is shorter than its hash")]
    Truncated { seq: u64 },
    #[error("event {seq} does not match its hash (it was altered)")]
    HashMismatch { seq: u64 },
    #[error("event {seq} cannot be decoded: {source}")]
    Decode { seq: u64, source: CodecError },
    #[error("cannot encode event: {0}")]
    Encode(CodecError),
}

/// The first byte of an event sealed in the second layout (see the module
/// docs). The first layout starts with a codec format tag
/// ([`codec::TAG_BINCODE2`]), never this.
pub const SEALED_TAIL: u8 = 0xE2;

/// An envelope without its previous hash, as the second layout encodes it
/// (the fields of [`Envelope`] in the same order), borrowed: written by
/// sealing, read back from stored bytes.
#[derive(Serialize, Deserialize)]
struct TailOut<'a> {
    seq: u64,
    stream: Stream,
    stream_version: u64,
    at_ms: i64,
    actor: &'a str,
    type_tag: &'a str,
    schema: u16,
    #[serde(with = "serde_bytes", borrow)]
    payload: &'a [u8],
}

impl<'a> TailOut<'a> {
    fn of(envelope: &'a Envelope) -> Self {
        TailOut {
            seq: envelope.seq,
            stream: envelope.stream,
            stream_version: envelope.stream_version,
            at_ms: envelope.at_ms,
            actor: &envelope.actor,
            type_tag: &envelope.type_tag,
            schema: envelope.schema,
            payload: &envelope.payload,
        }
    }

    /// Appends `[SEALED_TAIL] ++ encode(self)` to `out`: what the hash of
    /// an event in the second layout covers before the previous hash.
    fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), CodecError> {
        out.push(SEALED_TAIL);
        codec::encode_into(self, out)
    }
}

/// Appends the bytes an event's hash covers in the second layout to `out`:
/// `[SEALED_TAIL] ++ encode(envelope without its previous hash) ++
/// previous hash`.
fn tail_bytes(envelope: &Envelope, out: &mut Vec<u8>) -> Result<(), LogError> {
    TailOut::of(envelope)
        .encode_into(out)
        .map_err(LogError::Encode)?;
    out.extend_from_slice(&envelope.prev_hash);
    Ok(())
}

/// Builds the stored bytes of an event in the first layout
/// (`encode(Envelope) ++ blake3`: what leadger wrote before the second,
/// and still reads) and returns them with its hash.
pub fn seal(envelope: &Envelope) -> Result<(Vec<u8>, Hash), LogError> {
    let mut bytes = codec::encode(envelope).map_err(LogError::Encode)?;
    let hash = *blake3::hash(&bytes).as_bytes();
    bytes.extend_from_slice(&hash);
    Ok((bytes, hash))
}

/// Splits stored bytes into the encoded envelope and its stored hash.
fn split(seq: u64, bytes: &[u8]) -> Result<(&[u8], Hash), LogError> {
    let Some(body_len) = bytes.len().checked_sub(32) else {
        return Err(LogError::Truncated { seq });
    };
    let (body, stored) = bytes.split_at(body_len);
    let mut hash = [0u8; 32];
    hash.copy_from_slice(stored);
    Ok((body, hash))
}

/// Builds the stored bytes of an event in the second layout
/// (`[SEALED_TAIL] ++ encode(envelope without its previous hash) ++
/// previous hash ++ blake3`) and returns them with its hash.
pub fn seal_tail(envelope: &Envelope) -> Result<(Vec<u8>, Hash), LogError> {
    let mut bytes = Vec::new();
    tail_bytes(envelope, &mut bytes)?;
    let hash = *blake3::hash(&bytes).as_bytes();
    bytes.extend_from_slice(&hash);
    Ok((bytes, hash))
}

/// The hashes of consecutive envelopes sealed in the second layout, the
/// first chained to `prev` and each to the one before (their own
/// `prev_hash` is not read): what [`seal_tail`] gives each once its
/// `prev_hash` is the hash before it, computed several at a time
/// ([`crate::hashing::chain`]). `scratch` is reused for their bytes.
pub fn chain_hashes(
    envelopes: &[Envelope],
    prev: Hash,
    scratch: &mut Vec<u8>,
) -> Result<Vec<Hash>, LogError> {
    scratch.clear();
    let mut ends = Vec::with_capacity(envelopes.len());
    for envelope in envelopes {
        TailOut::of(envelope)
            .encode_into(scratch)
            .map_err(LogError::Encode)?;
        ends.push(scratch.len());
    }
    let mut start = 0;
    let bodies: Vec<&[u8]> = ends
        .iter()
        .map(|&end| {
            let body = &scratch[start..end];
            start = end;
            body
        })
        .collect();
    Ok(crate::hashing::chain(&bodies, prev))
}

/// The envelope bytes of an event in the second layout (they start with
/// [`SEALED_TAIL`]), split into the encoded envelope without its previous
/// hash and that hash; `None` when too short for both.
fn tail_parts(body: &[u8]) -> Option<(&[u8], Hash)> {
    let at = body.len().checked_sub(32).filter(|at| *at > 1)?;
    let mut prev_hash = [0u8; 32];
    prev_hash.copy_from_slice(&body[at..]);
    Some((&body[1..at], prev_hash))
}

fn decode_envelope(seq: u64, body: &[u8]) -> Result<Envelope, LogError> {
    if body.first() == Some(&SEALED_TAIL) {
        return Ok(decode_head(seq, body)?.to_envelope());
    }
    codec::decode(body).map_err(|source| LogError::Decode { seq, source })
}

/// Borrows the envelope from its bytes (without the stored hash), in
/// either layout.
fn decode_head(seq: u64, body: &[u8]) -> Result<EnvelopeHead<'_>, LogError> {
    let decode_error = |source| LogError::Decode { seq, source };
    if body.first() != Some(&SEALED_TAIL) {
        return codec::decode_head(body).map_err(decode_error);
    }
    let (tail, prev_hash) = tail_parts(body)
        .ok_or_else(|| decode_error(CodecError::Decode("shorter than its previous hash".into())))?;
    let head: TailOut<'_> = codec::decode_head(tail).map_err(decode_error)?;
    Ok(EnvelopeHead {
        seq: head.seq,
        stream: head.stream,
        stream_version: head.stream_version,
        at_ms: head.at_ms,
        actor: head.actor,
        type_tag: head.type_tag,
        schema: head.schema,
        prev_hash,
        payload: head.payload,
    })
}

/// Splits stored bytes into the envelope and its hash, checking the hash.
pub fn unseal(seq: u64, bytes: &[u8]) -> Result<(Envelope, Hash), LogError> {
    let hash = check_hash(seq, bytes)?;
    let (body, _) = split(seq, bytes)?;
    Ok((decode_envelope(seq, body)?, hash))
}

/// Checks stored bytes against their hash (what [`unseal`] checks, without
/// decoding): for a caller that looked at the envelope first.
pub fn check_hash(seq: u64, bytes: &[u8]) -> Result<Hash, LogError> {
    let (body, hash) = split(seq, bytes)?;
    if blake3::hash(body).as_bytes() != &hash {
        return Err(LogError::HashMismatch { seq });
    }
    Ok(hash)
}

/// Checks many events' stored bytes against their hashes at once (what
/// [`check_hash`] checks of each, several at a time: [`crate::hashing`]);
/// the first event in the given order that fails is the error.
pub fn check_hashes(events: &[(u64, &[u8])]) -> Result<(), LogError> {
    checked_hashes(events)
        .into_iter()
        .try_for_each(|h| h.map(drop))
}

/// Each event's stored hash once checked against its bytes, or why not
/// ([`check_hash`] of each, several at a time: [`crate::hashing`]).
pub fn checked_hashes(events: &[(u64, &[u8])]) -> Vec<Result<Hash, LogError>> {
    let split_up: Vec<Result<(&[u8], Hash), LogError>> = events
        .iter()
        .map(|&(seq, bytes)| split(seq, bytes))
        .collect();
    let bodies: Vec<&[u8]> = split_up
        .iter()
        .filter_map(|s| s.as_ref().ok().map(|(body, _)| *body))
        .collect();
    let mut hashes = crate::hashing::hash_each(&bodies).into_iter();
    events
        .iter()
        .zip(split_up)
        .map(|(&(seq, _), split)| {
            let (_, stored) = split?;
            match hashes.next() {
                Some(hash) if hash == stored => Ok(stored),
                _ => Err(LogError::HashMismatch { seq }),
            }
        })
        .collect()
}

/// The stored bytes of consecutive events, copied one after the other
/// with each event's sequence number and end: what a reader collects to
/// check a batch of events' hashes at once ([`SealedBatch::check`],
/// [`checked_hashes`]).
#[derive(Debug, Default)]
pub struct SealedBatch {
    bytes: Vec<u8>,
    events: Vec<(u64, usize)>,
}

impl SealedBatch {
    pub fn push(&mut self, seq: u64, sealed: &[u8]) {
        self.bytes.extend_from_slice(sealed);
        self.events.push((seq, self.bytes.len()));
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    pub fn clear(&mut self) {
        self.bytes.clear();
        self.events.clear();
    }

    /// Each event's sequence number and stored bytes, in order.
    pub fn events(&self) -> Vec<(u64, &[u8])> {
        let mut start = 0;
        self.events
            .iter()
            .map(|&(seq, end)| {
                let event = (seq, &self.bytes[start..end]);
                start = end;
                event
            })
            .collect()
    }

    /// Checks every event's hash, several at a time; the first that fails
    /// is the error.
    pub fn check(&self) -> Result<(), LogError> {
        check_hashes(&self.events())
    }
}

/// The hash stored with an event's bytes, not checked against them: for
/// the catch-up right after an append, of the events this process has
/// just sealed (it computed those hashes itself).
pub fn stored_hash(seq: u64, bytes: &[u8]) -> Result<Hash, LogError> {
    Ok(split(seq, bytes)?.1)
}

/// Decodes stored bytes without checking their hash: for the answers that
/// read back what was just written (a preview's rows, a commit's leads),
/// where hashing every event again was a tenth of the work, and to look at
/// an envelope before deciding to check it. Whatever acts on events
/// (projections, commit, verify) checks the hash.
pub fn open_unchecked(seq: u64, bytes: &[u8]) -> Result<(Envelope, Hash), LogError> {
    let (body, hash) = split(seq, bytes)?;
    Ok((decode_envelope(seq, body)?, hash))
}

/// Borrows the envelope of stored bytes without checking their hash or
/// copying anything (see [`open_unchecked`] for who may skip the check).
pub fn open_head(seq: u64, bytes: &[u8]) -> Result<EnvelopeHead<'_>, LogError> {
    let (body, _) = split(seq, bytes)?;
    decode_head(seq, body)
}

/// Decodes a stored event completely.
pub fn read_event(seq: u64, bytes: &[u8]) -> Result<Recorded, LogError> {
    let (envelope, hash) = unseal(seq, bytes)?;
    decode_payload(envelope, hash)
}

/// Completes an unsealed envelope with its decoded event (for callers that
/// looked at the envelope first and want to skip some events cheaply).
pub fn decode_payload(envelope: Envelope, hash: Hash) -> Result<Recorded, LogError> {
    let seq = envelope.seq;
    let event =
        codec::decode(&envelope.payload).map_err(|source| LogError::Decode { seq, source })?;
    Ok(Recorded {
        envelope,
        event,
        hash,
    })
}

/// The key of the block whose last event is `seq` in the events table.
pub fn seq_key(seq: u64) -> [u8; 8] {
    seq.to_be_bytes()
}

/// The format byte of a block whose events are each stored as sealed
/// alone (`encode(Envelope) ++ blake3`): what leadger wrote before the
/// compact blocks, and still reads.
pub const BLOCK_FORMAT: u8 = 1;
/// The format byte of a compact block whose events are in the first
/// sealed layout: what leadger wrote before the second, and still reads.
pub const BLOCK_FORMAT_COMPACT: u8 = 2;
/// The format byte of a compact block whose events are in the second
/// sealed layout (the previous hash last): what [`BlockBuilder`] writes.
pub const BLOCK_FORMAT_COMPACT_TAIL: u8 = 3;
/// Format byte, first sequence number (u64 LE), event count (u32 LE): the
/// header of both formats.
pub const BLOCK_HEADER_LEN: usize = 1 + 8 + 4;

/// What a compact frame stores of an event's envelope: only what differs
/// from the block's event before it (`None`: the same; a stream version
/// one more than the one before in the same stream), a type tag as an
/// index into the tags the block has named so far (`new_tag` names the
/// next), and the payload. The sequence number follows from the block's
/// first, and the previous hash is the hash stored with the event before
/// unless given (as it is for the first).
#[derive(Debug, Serialize, Deserialize)]
struct CompactHead<'a> {
    prev_hash: Option<Hash>,
    stream: Option<Stream>,
    stream_version: Option<u64>,
    at_ms: Option<i64>,
    #[serde(borrow)]
    actor: Option<&'a str>,
    tag: u32,
    #[serde(borrow)]
    new_tag: Option<(&'a str, u16)>,
    #[serde(with = "serde_bytes")]
    payload: &'a [u8],
}

/// The envelope as [`Envelope`] encodes, borrowed: how a compact frame is
/// turned back into the bytes its hash covers.
#[derive(Serialize)]
struct EnvelopeOut<'a> {
    seq: u64,
    stream: Stream,
    stream_version: u64,
    at_ms: i64,
    actor: &'a str,
    type_tag: &'a str,
    schema: u16,
    prev_hash: Hash,
    #[serde(with = "serde_bytes")]
    payload: &'a [u8],
}

/// Builds one block of the events table: consecutive sealed events stored
/// as one value, under the key of its *last* event ([`seq_key`]), so that
/// the block holding event `n` is the first block at or after key `n`.
///
/// Layout (compact, [`BLOCK_FORMAT_COMPACT_TAIL`]): `[3][first seq: u64
/// LE][count: u32 LE]`, then per event `[len: u32 LE][encode(CompactHead)
/// ++ blake3]`. Each event's hash is the hash of its whole envelope in the
/// second sealed layout, exactly as if it were stored alone
/// ([`seal_tail`]; in a block of format 2, the first layout, [`seal`]):
/// the compact frame only leaves out what the frames
/// before it say (the actor, time, stream and type that a block's events
/// share, the sequence number, the previous hash), which was about 70% of
/// a commit's events. [`BlockReader`] gives each event back as sealed
/// alone, so the hash chain, `verify` and every reader are the same for
/// both formats.
/// The fields of an envelope a compact frame may leave out when they are
/// the same as (or, for the version, one more than) the event before's.
struct Shared {
    stream: Stream,
    stream_version: u64,
    at_ms: i64,
    actor: String,
}

pub struct BlockBuilder {
    first: u64,
    count: u32,
    bytes: Vec<u8>,
    /// What the next frame compares with of the event before.
    last: Option<Shared>,
    tags: Vec<(String, u16)>,
    /// The canonical encoding of the event being pushed (reused).
    scratch: Vec<u8>,
    /// Its events are in the second sealed layout (format 3), not the
    /// first (format 2, which only tests of old logs write).
    tail: bool,
}

impl BlockBuilder {
    /// An empty block whose first event will be `first`.
    pub fn new(first: u64, capacity: usize) -> Self {
        Self::with_format(first, capacity, BLOCK_FORMAT_COMPACT_TAIL)
    }

    /// An empty block of format 2 (events in the first sealed layout), as
    /// leadger wrote them before format 3: for tests of logs it wrote.
    #[cfg(test)]
    pub(crate) fn first_layout(first: u64, capacity: usize) -> Self {
        Self::with_format(first, capacity, BLOCK_FORMAT_COMPACT)
    }

    fn with_format(first: u64, capacity: usize, format: u8) -> Self {
        let mut bytes = Vec::with_capacity(capacity.max(BLOCK_HEADER_LEN));
        bytes.push(format);
        bytes.extend_from_slice(&first.to_le_bytes());
        bytes.extend_from_slice(&0u32.to_le_bytes());
        BlockBuilder {
            first,
            count: 0,
            bytes,
            last: None,
            tags: Vec::new(),
            scratch: Vec::with_capacity(256),
            tail: format == BLOCK_FORMAT_COMPACT_TAIL,
        }
    }

    /// Seals the envelope (its `seq` must be the block's next) into the
    /// block and returns its hash.
    pub fn push(&mut self, envelope: &Envelope) -> Result<Hash, LogError> {
        self.scratch.clear();
        if self.tail {
            tail_bytes(envelope, &mut self.scratch)?;
        } else {
            codec::encode_into(envelope, &mut self.scratch).map_err(LogError::Encode)?;
        }
        let hash = *blake3::hash(&self.scratch).as_bytes();
        self.push_sealed(envelope, hash)?;
        Ok(hash)
    }

    /// [`BlockBuilder::push`] of an envelope whose hash in the second
    /// layout the caller computed ([`chain_hashes`]), into a block of
    /// format 3.
    pub fn push_hashed(&mut self, envelope: &Envelope, hash: Hash) -> Result<(), LogError> {
        debug_assert!(
            self.tail,
            "a hash of the second layout in a block of the first"
        );
        debug_assert_eq!(
            seal_tail(envelope).map(|(_, h)| h).ok(),
            Some(hash),
            "a hash that is not the envelope's"
        );
        self.push_sealed(envelope, hash)
    }

    fn push_sealed(&mut self, envelope: &Envelope, hash: Hash) -> Result<(), LogError> {
        let refuse = |what: &str| LogError::Encode(CodecError::Encode(what.to_string()));
        if envelope.seq != self.first + u64::from(self.count) {
            return Err(refuse("an event out of order in a block"));
        }
        let last = self.last.as_ref();
        // The hash of the event before ends the block's bytes.
        let chained = last.is_some() && self.bytes[self.bytes.len() - 32..] == envelope.prev_hash;
        let same_stream = last.is_some_and(|l| l.stream == envelope.stream);
        let tag_index = self
            .tags
            .iter()
            .position(|(tag, schema)| *tag == envelope.type_tag && *schema == envelope.schema);
        let head = CompactHead {
            prev_hash: (!chained).then_some(envelope.prev_hash),
            stream: (!same_stream).then_some(envelope.stream),
            stream_version: (!(same_stream
                && last.is_some_and(|l| l.stream_version + 1 == envelope.stream_version)))
            .then_some(envelope.stream_version),
            at_ms: (last.map(|l| l.at_ms) != Some(envelope.at_ms)).then_some(envelope.at_ms),
            actor: (last.map(|l| l.actor.as_str()) != Some(envelope.actor.as_str()))
                .then_some(envelope.actor.as_str()),
            tag: u32::try_from(tag_index.unwrap_or(self.tags.len()))
                .map_err(|_| refuse("too many type tags in a block"))?,
            new_tag: match tag_index {
                Some(_) => None,
                None => Some((envelope.type_tag.as_str(), envelope.schema)),
            },
            payload: &envelope.payload,
        };
        let len_at = self.bytes.len();
        self.bytes.extend_from_slice(&[0u8; 4]);
        let body_at = self.bytes.len();
        if let Err(e) = codec::encode_into(&head, &mut self.bytes) {
            self.bytes.truncate(len_at);
            return Err(LogError::Encode(e));
        }
        self.bytes.extend_from_slice(&hash);
        let len =
            u32::try_from(self.bytes.len() - body_at).map_err(|_| refuse("event over 4 GiB"))?;
        self.bytes[len_at..body_at].copy_from_slice(&len.to_le_bytes());
        if tag_index.is_none() {
            self.tags.push((envelope.type_tag.clone(), envelope.schema));
        }
        match &mut self.last {
            Some(l) => {
                l.stream = envelope.stream;
                l.stream_version = envelope.stream_version;
                l.at_ms = envelope.at_ms;
                if l.actor != envelope.actor {
                    l.actor.clone_from(&envelope.actor);
                }
            }
            None => {
                self.last = Some(Shared {
                    stream: envelope.stream,
                    stream_version: envelope.stream_version,
                    at_ms: envelope.at_ms,
                    actor: envelope.actor.clone(),
                })
            }
        }
        self.count += 1;
        Ok(())
    }

    /// Bytes in the block so far.
    pub fn size(&self) -> usize {
        self.bytes.len()
    }

    /// The block's key and value, or `None` when it holds no event.
    pub fn finish(mut self) -> Option<([u8; 8], Vec<u8>)> {
        if self.count == 0 {
            return None;
        }
        let last = self.first + u64::from(self.count) - 1;
        self.bytes[9..13].copy_from_slice(&self.count.to_le_bytes());
        Some((seq_key(last), self.bytes))
    }
}

/// The header of a stored block: its first sequence number and count.
pub fn block_header(bytes: &[u8]) -> Option<(u64, u32)> {
    if bytes.len() < BLOCK_HEADER_LEN
        || !matches!(
            bytes[0],
            BLOCK_FORMAT | BLOCK_FORMAT_COMPACT | BLOCK_FORMAT_COMPACT_TAIL
        )
    {
        return None;
    }
    let first = u64::from_le_bytes(bytes[1..9].try_into().ok()?);
    let count = u32::from_le_bytes(bytes[9..13].try_into().ok()?);
    Some((first, count))
}

/// What [`BlockReader::event_unless`] did with a frame: wrote its event
/// whole (and, in a compact block, says where its type tag and payload lie
/// in the block), or passed over it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    Whole(Option<(std::ops::Range<usize>, std::ops::Range<usize>)>),
    Skipped,
}

/// Which frames [`BlockReader::frame`] only reads for the ones after.
#[derive(Clone, Copy)]
enum Skip<'a> {
    None,
    Tag(&'a str),
    All,
}

/// Where `part`, a slice of `block`, lies in it.
fn offset_bytes(block: &[u8], part: &[u8]) -> std::ops::Range<usize> {
    let at = part.as_ptr() as usize - block.as_ptr() as usize;
    at..at + part.len()
}

/// What a reader of a compact block carries from one frame to the next:
/// the fields a frame may leave out, as positions in the block's bytes.
#[derive(Debug, Default)]
pub struct BlockReader {
    compact: bool,
    /// Compact, with events in the second sealed layout (format 3).
    tail: bool,
    prev_hash: Hash,
    stream: Option<Stream>,
    stream_version: u64,
    at_ms: i64,
    actor: std::ops::Range<usize>,
    tags: Vec<(std::ops::Range<usize>, u16)>,
}

impl BlockReader {
    /// The reader of a block (its header checked by [`block_header`]).
    pub fn new(block: &[u8]) -> Self {
        let format = block.first().copied();
        BlockReader {
            compact: matches!(
                format,
                Some(BLOCK_FORMAT_COMPACT | BLOCK_FORMAT_COMPACT_TAIL)
            ),
            tail: format == Some(BLOCK_FORMAT_COMPACT_TAIL),
            ..BlockReader::default()
        }
    }

    /// Writes to `out` (cleared first) the event `seq` whose frame is
    /// `block[frame]`, as sealed alone (in the layout of its block's
    /// format, what [`unseal`] reads): in a block of the first format the
    /// frame itself; in a compact block, made from the frame and those
    /// before it.
    /// Frames must be given in order, each once, from the block's first.
    pub fn event(
        &mut self,
        block: &[u8],
        frame: std::ops::Range<usize>,
        seq: u64,
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        self.event_unless(block, frame, seq, out, None).map(|_| ())
    }

    /// [`BlockReader::event`], but for an event of a compact block whose
    /// type tag is `skip`: [`Frame::Skipped`], and nothing written to `out`
    /// (the frame is still read, for the frames after it). Events of a
    /// block of the first format are always written. For an event of a
    /// compact block, also where its type tag and payload lie in `block`
    /// (what a reader looks at first, without decoding `out` again).
    pub fn event_unless(
        &mut self,
        block: &[u8],
        frame: std::ops::Range<usize>,
        seq: u64,
        out: &mut Vec<u8>,
        skip: Option<&str>,
    ) -> Result<Frame, String> {
        let skip = skip.map_or(Skip::None, Skip::Tag);
        self.frame(block, frame, seq, out, skip)
    }

    /// Reads the frame of event `seq` only for what the frames after it
    /// need, as [`BlockReader::event_unless`] does with an event it skips:
    /// for a reader that wants a later event of the block (a lead's, read
    /// by its sequence number), which would otherwise make every event
    /// before it whole again for nothing. Writes nothing to `out`.
    pub fn pass_over(
        &mut self,
        block: &[u8],
        frame: std::ops::Range<usize>,
        seq: u64,
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        self.frame(block, frame, seq, out, Skip::All).map(|_| ())
    }

    fn frame(
        &mut self,
        block: &[u8],
        frame: std::ops::Range<usize>,
        seq: u64,
        out: &mut Vec<u8>,
        skip: Skip<'_>,
    ) -> Result<Frame, String> {
        out.clear();
        if !self.compact {
            if !matches!(skip, Skip::All) {
                out.extend_from_slice(&block[frame]);
            }
            return Ok(Frame::Whole(None));
        }
        let damaged = |what: &str| format!("event {seq} is damaged: {what}");
        let body_end = frame
            .end
            .checked_sub(32)
            .filter(|end| *end > frame.start)
            .ok_or_else(|| damaged("shorter than its hash"))?;
        let body = &block[frame.start..body_end];
        let head: CompactHead<'_> =
            codec::decode_head(body).map_err(|e| damaged(&e.to_string()))?;
        let offset = |s: &str| {
            let at = s.as_ptr() as usize - block.as_ptr() as usize;
            at..at + s.len()
        };
        let stream = match (head.stream, self.stream) {
            (Some(stream), _) => {
                self.stream_version = head
                    .stream_version
                    .ok_or_else(|| damaged("a new stream without its version"))?;
                stream
            }
            (None, Some(stream)) => {
                self.stream_version = match head.stream_version {
                    Some(version) => version,
                    None => self.stream_version + 1,
                };
                stream
            }
            (None, None) => return Err(damaged("no stream")),
        };
        self.stream = Some(stream);
        let first = self.tags.is_empty();
        match head.prev_hash {
            Some(prev_hash) => self.prev_hash = prev_hash,
            None if first => return Err(damaged("no previous hash")),
            None => {}
        }
        match head.at_ms {
            Some(at_ms) => self.at_ms = at_ms,
            None if first => return Err(damaged("no time")),
            None => {}
        }
        match head.actor {
            Some(actor) => self.actor = offset(actor),
            None if first => return Err(damaged("no actor")),
            None => {}
        }
        if let Some((tag, schema)) = head.new_tag {
            if head.tag as usize != self.tags.len() {
                return Err(damaged("a type tag out of order"));
            }
            self.tags.push((offset(tag), schema));
        }
        let (tag, schema) = self
            .tags
            .get(head.tag as usize)
            .cloned()
            .ok_or_else(|| damaged("an unknown type tag"))?;
        let text = |range: std::ops::Range<usize>| {
            std::str::from_utf8(&block[range]).map_err(|e| damaged(&e.to_string()))
        };
        let stored = &block[body_end..frame.end];
        let skipped = match skip {
            Skip::None => false,
            Skip::Tag(skip) => block[tag.clone()] == *skip.as_bytes(),
            Skip::All => true,
        };
        if skipped {
            self.prev_hash.copy_from_slice(stored);
            return Ok(Frame::Skipped);
        }
        let parts = (tag.clone(), offset_bytes(block, head.payload));
        let (actor, type_tag) = (text(self.actor.clone())?, text(tag)?);
        if self.tail {
            TailOut {
                seq,
                stream,
                stream_version: self.stream_version,
                at_ms: self.at_ms,
                actor,
                type_tag,
                schema,
                payload: head.payload,
            }
            .encode_into(out)
            .map_err(|e| damaged(&e.to_string()))?;
            out.extend_from_slice(&self.prev_hash);
        } else {
            codec::encode_into(
                &EnvelopeOut {
                    seq,
                    stream,
                    stream_version: self.stream_version,
                    at_ms: self.at_ms,
                    actor,
                    type_tag,
                    schema,
                    prev_hash: self.prev_hash,
                    payload: head.payload,
                },
                out,
            )
            .map_err(|e| damaged(&e.to_string()))?;
        }
        out.extend_from_slice(stored);
        self.prev_hash.copy_from_slice(stored);
        Ok(Frame::Whole(Some(parts)))
    }
}

/// The envelope of `event` at `seq`, as tests store it (no chain: the
/// previous hash is the genesis one).
#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) fn test_envelope(seq: u64, event: &Event) -> Envelope {
    let (tag, schema) = event.type_tag();
    Envelope {
        seq,
        stream: event.stream(),
        stream_version: seq + 1,
        at_ms: 0,
        actor: "a".into(),
        type_tag: tag.into(),
        schema,
        prev_hash: GENESIS,
        payload: codec::encode(event).unwrap(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::catalogue::ListName;

    fn envelope(seq: u64, prev_hash: Hash) -> Envelope {
        let event = Event::ListItemAdded {
            list: ListName::Industry,
            item: "Mining".into(),
        };
        let (tag, schema) = event.type_tag();
        Envelope {
            seq,
            stream: Stream::Reference,
            stream_version: seq + 1,
            at_ms: 1_700_000_000_000,
            actor: "alice".into(),
            type_tag: tag.into(),
            schema,
            prev_hash,
            payload: codec::encode(&event).unwrap(),
        }
    }

    #[test]
    fn a_head_is_the_envelope_borrowed() {
        let envelope = envelope(3, GENESIS);
        let (bytes, _) = seal(&envelope).unwrap();
        let head = open_head(3, &bytes).unwrap();
        assert_eq!(head.type_tag, "ListItemAdded");
        assert_eq!(head.actor, "alice");
        assert_eq!(head.payload, &envelope.payload[..]);
        assert_eq!(head.to_envelope(), envelope);
        assert_eq!(open_unchecked(3, &bytes).unwrap().0, envelope);
        assert!(open_head(3, &bytes[..40]).is_err());
    }

    #[test]
    fn sealed_events_read_back_and_chain() {
        let (first, h0) = seal(&envelope(0, GENESIS)).unwrap();
        let (second, h1) = seal(&envelope(1, h0)).unwrap();
        let a = read_event(0, &first).unwrap();
        let b = read_event(1, &second).unwrap();
        assert_eq!(a.hash, h0);
        assert_eq!(b.envelope.prev_hash, a.hash);
        assert_eq!(b.hash, h1);
        assert!(matches!(b.event, Event::ListItemAdded { .. }));
    }

    #[test]
    fn any_flipped_byte_is_caught() {
        let (bytes, _) = seal(&envelope(0, GENESIS)).unwrap();
        for idx in 0..bytes.len() {
            let mut altered = bytes.clone();
            altered[idx] ^= 0x01;
            assert!(unseal(0, &altered).is_err(), "byte {idx} flip not caught");
            assert!(
                matches!(check_hash(0, &altered), Err(LogError::HashMismatch { .. })),
                "byte {idx} flip not caught by check_hash"
            );
        }
        assert_eq!(check_hash(0, &bytes).unwrap(), unseal(0, &bytes).unwrap().1);
        assert!(matches!(
            unseal(0, &bytes[..10]),
            Err(LogError::Truncated { .. })
        ));
    }

    /// The frames of a block, in order.
    fn frames(block: &[u8]) -> Vec<std::ops::Range<usize>> {
        let (_, count) = block_header(block).unwrap();
        let mut pos = BLOCK_HEADER_LEN;
        (0..count)
            .map(|_| {
                let len = u32::from_le_bytes(block[pos..pos + 4].try_into().unwrap()) as usize;
                let frame = pos + 4..pos + 4 + len;
                pos = frame.end;
                frame
            })
            .collect()
    }

    /// Each event of a block as sealed alone, read back with a
    /// [`BlockReader`].
    fn read_back(block: &[u8], first: u64) -> Result<Vec<Vec<u8>>, String> {
        let mut reader = BlockReader::new(block);
        let mut out = Vec::new();
        frames(block)
            .into_iter()
            .zip(first..)
            .map(|(frame, seq)| {
                reader.event(block, frame, seq, &mut out)?;
                Ok(out.clone())
            })
            .collect()
    }

    /// The stored bytes of a compact block of `envelopes` from `first`.
    fn compact_block(first: u64, envelopes: &[Envelope]) -> Vec<u8> {
        let mut block = BlockBuilder::new(first, 0);
        for env in envelopes {
            block.push(env).unwrap();
        }
        block.finish().unwrap().1
    }

    /// Envelopes that share some fields with the one before and not
    /// others, chained but for one.
    fn varied(first: u64, n: u64) -> Vec<Envelope> {
        let mut prev = GENESIS;
        (first..first + n)
            .map(|seq| {
                let mut env = envelope(seq, prev);
                if seq % 3 == 0 {
                    env.stream = Stream::Import(seq / 6);
                }
                if seq % 4 == 0 {
                    env.stream_version += 7;
                }
                if seq % 5 == 0 {
                    env.at_ms += 1;
                    env.actor = format!("actor {}", seq % 2);
                }
                if seq % 2 == 0 {
                    env.type_tag = "LeadCreated".into();
                    env.schema = 2;
                }
                if seq == first + 4 {
                    env.prev_hash = [9u8; 32];
                }
                prev = seal_tail(&env).unwrap().1;
                env
            })
            .collect()
    }

    #[test]
    fn a_compact_block_gives_back_each_event_as_sealed_alone() {
        let envelopes = varied(5, 12);
        let mut block = BlockBuilder::new(5, 0);
        let mut alone_bytes = 0;
        for env in &envelopes {
            let (alone, hash) = seal_tail(env).unwrap();
            assert_eq!(block.push(env).unwrap(), hash);
            alone_bytes += alone.len();
        }
        let (key, bytes) = block.finish().unwrap();
        assert_eq!(key, seq_key(16), "a block is keyed by its last event");
        assert_eq!(block_header(&bytes), Some((5, 12)));
        let back = read_back(&bytes, 5).unwrap();
        for (env, back) in envelopes.iter().zip(&back) {
            assert_eq!(back, &seal_tail(env).unwrap().0);
            assert_eq!(unseal(env.seq, back).unwrap().0, *env);
        }
        assert!(
            bytes.len() < alone_bytes,
            "{} against {alone_bytes}",
            bytes.len()
        );
        // Out of order is refused.
        let mut block = BlockBuilder::new(5, 0);
        assert!(block.push(&envelopes[1]).is_err());
    }

    #[test]
    fn events_of_a_skipped_type_are_passed_over_and_the_rest_read_whole() {
        let envelopes = varied(3, 12);
        let bytes = compact_block(3, &envelopes);
        let mut reader = BlockReader::new(&bytes);
        let mut out = Vec::new();
        let mut skipped = 0;
        for ((frame, seq), env) in frames(&bytes).into_iter().zip(3..).zip(&envelopes) {
            let read = reader
                .event_unless(&bytes, frame, seq, &mut out, Some("LeadCreated"))
                .unwrap();
            let passed = read == Frame::Skipped;
            assert_eq!(passed, env.type_tag == "LeadCreated", "event {seq}");
            if passed {
                skipped += 1;
                assert!(out.is_empty());
            } else {
                assert_eq!(out, seal_tail(env).unwrap().0, "event {seq}");
                // Where the frame's type tag and payload lie.
                let Frame::Whole(Some((tag, payload))) = read else {
                    panic!("{read:?}")
                };
                assert_eq!(&bytes[tag], env.type_tag.as_bytes());
                assert_eq!(&bytes[payload], &env.payload[..]);
            }
        }
        assert_eq!(skipped, 6);
    }

    #[test]
    fn events_passed_over_leave_the_ones_after_them_whole() {
        let envelopes = varied(3, 12);
        let bytes = compact_block(3, &envelopes);
        for passed in 0..envelopes.len() {
            let mut reader = BlockReader::new(&bytes);
            let mut out = Vec::new();
            for ((frame, seq), env) in frames(&bytes).into_iter().zip(3..).zip(&envelopes) {
                if (seq - 3) < passed as u64 {
                    reader.pass_over(&bytes, frame, seq, &mut out).unwrap();
                    assert!(out.is_empty(), "event {seq} was made whole");
                } else {
                    reader.event(&bytes, frame, seq, &mut out).unwrap();
                    assert_eq!(
                        out,
                        seal_tail(env).unwrap().0,
                        "event {seq} after {passed} passed"
                    );
                }
            }
        }
    }

    #[test]
    fn a_block_of_the_first_format_still_reads() {
        let envelopes = varied(0, 5);
        let mut bytes = vec![BLOCK_FORMAT];
        bytes.extend_from_slice(&0u64.to_le_bytes());
        bytes.extend_from_slice(&5u32.to_le_bytes());
        for env in &envelopes {
            let (alone, _) = seal(env).unwrap();
            bytes.extend_from_slice(&(alone.len() as u32).to_le_bytes());
            bytes.extend_from_slice(&alone);
        }
        let back = read_back(&bytes, 0).unwrap();
        let alone: Vec<_> = envelopes.iter().map(|e| seal(e).unwrap().0).collect();
        assert_eq!(back, alone);
    }

    /// A compact block of format 2 (events in the first sealed layout,
    /// what leadger wrote before format 3) reads back as before: each
    /// event as [`seal`] stores it alone, its hash checked and decoded.
    #[test]
    fn a_compact_block_of_the_first_layout_still_reads() {
        let envelopes = varied(5, 12);
        let mut block = BlockBuilder::first_layout(5, 0);
        let mut prev = GENESIS;
        let mut chained = Vec::new();
        for env in &envelopes {
            let mut env = env.clone();
            if env.seq != 9 {
                env.prev_hash = prev;
            }
            let (_, hash) = seal(&env).unwrap();
            assert_eq!(block.push(&env).unwrap(), hash);
            prev = hash;
            chained.push(env);
        }
        let (_, bytes) = block.finish().unwrap();
        assert_eq!(bytes[0], BLOCK_FORMAT_COMPACT);
        let back = read_back(&bytes, 5).unwrap();
        for (env, back) in chained.iter().zip(&back) {
            assert_eq!(back, &seal(env).unwrap().0);
            assert_eq!(unseal(env.seq, back).unwrap().0, *env);
            assert_eq!(open_head(env.seq, back).unwrap().to_envelope(), *env);
        }
    }

    /// An event in the second layout starts with its own byte, keeps the
    /// previous hash last, and reads back through every reader; its hash
    /// is what [`chain_hashes`] gives for it in a chain.
    #[test]
    fn the_second_layout_ends_with_the_previous_hash() {
        let envelopes = varied(5, 12);
        let mut prev = GENESIS;
        let mut chained = Vec::new();
        for env in &envelopes {
            let mut env = env.clone();
            env.prev_hash = prev;
            let (bytes, hash) = seal_tail(&env).unwrap();
            assert_eq!(bytes[0], SEALED_TAIL);
            assert_eq!(&bytes[bytes.len() - 64..bytes.len() - 32], &prev[..]);
            assert_eq!(unseal(env.seq, &bytes).unwrap(), (env.clone(), hash));
            assert_eq!(open_head(env.seq, &bytes).unwrap().to_envelope(), env);
            assert_eq!(read_event(env.seq, &bytes).unwrap().hash, hash);
            prev = hash;
            chained.push(env);
        }
        let mut scratch = Vec::new();
        let hashes = chain_hashes(&chained, GENESIS, &mut scratch).unwrap();
        let sealed: Vec<Hash> = chained.iter().map(|e| seal_tail(e).unwrap().1).collect();
        assert_eq!(hashes, sealed);
        // The envelopes' own previous hashes are not what it reads.
        let mut unchained = chained.clone();
        for env in &mut unchained {
            env.prev_hash = [1u8; 32];
        }
        assert_eq!(
            chain_hashes(&unchained, GENESIS, &mut scratch).unwrap(),
            sealed
        );
        // Every flipped byte is caught, and a cut one is not read.
        let (bytes, _) = seal_tail(&chained[3]).unwrap();
        for idx in 0..bytes.len() {
            let mut altered = bytes.clone();
            altered[idx] ^= 0x01;
            assert!(unseal(8, &altered).is_err(), "byte {idx} flip not caught");
        }
        assert!(open_head(8, &bytes[..40]).is_err());
    }

    #[test]
    fn any_flipped_byte_of_a_compact_frame_is_caught() {
        let envelopes = varied(0, 4);
        let bytes = compact_block(0, &envelopes);
        let frames = frames(&bytes);
        for frame in &frames {
            for idx in frame.clone() {
                let mut altered = bytes.clone();
                altered[idx] ^= 0x01;
                // Either the frame no longer reads, or an event (this one,
                // or the next, which chains to its stored hash) does not
                // match its hash.
                let caught = match read_back(&altered, 0) {
                    Err(_) => true,
                    Ok(events) => events
                        .iter()
                        .zip(0..)
                        .any(|(e, seq)| check_hash(seq, e).is_err() || unseal(seq, e).is_err()),
                };
                assert!(caught, "byte {idx} flip not caught");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn any_envelopes_read_back_from_a_compact_block(
            picks in proptest::collection::vec((0u8..4, 0u8..3, proptest::bool::ANY, 0u8..5), 1..40)
        ) {
            let mut prev = GENESIS;
            let mut block = BlockBuilder::new(100, 0);
            let mut alone = Vec::new();
            for (i, (stream, actor, chained, tag)) in picks.into_iter().enumerate() {
                let seq = 100 + i as u64;
                let mut env = envelope(seq, if chained { prev } else { [tag; 32] });
                env.stream = match stream {
                    0 => Stream::Reference,
                    1 => Stream::Tokens,
                    s => Stream::Import(u64::from(s) * 70_000),
                };
                env.stream_version = u64::from(tag) * 3 + i as u64;
                env.actor = format!("actor {actor}");
                env.at_ms = i64::from(actor) - 1;
                env.type_tag = format!("Tag{}", tag % 3);
                env.schema = u16::from(tag);
                let (bytes, hash) = seal_tail(&env).unwrap();
                proptest::prop_assert_eq!(block.push(&env).unwrap(), hash);
                prev = hash;
                alone.push(bytes);
            }
            let (_, bytes) = block.finish().unwrap();
            proptest::prop_assert_eq!(read_back(&bytes, 100).unwrap(), alone);
        }
    }

    /// Regression: an append whose events exactly filled its last block
    /// finished an empty block too, under the key of the previous block's
    /// last event, and so overwrote it.
    #[test]
    fn an_empty_block_is_not_stored() {
        assert!(BlockBuilder::new(8, 0).finish().is_none());
        assert!(BlockBuilder::new(0, 0).finish().is_none());
    }

    /// The payload is encoded as a byte string, which must be the very
    /// bytes a sequence of `u8` was encoded as: logs written before the
    /// change read the same, and their hashes still match.
    #[test]
    fn a_byte_string_payload_encodes_as_a_sequence_of_bytes_did() {
        #[derive(Serialize)]
        struct AsSequence {
            seq: u64,
            stream: Stream,
            stream_version: u64,
            at_ms: i64,
            actor: String,
            type_tag: String,
            schema: u16,
            prev_hash: Hash,
            payload: Vec<u8>,
        }
        let env = envelope(3, [7u8; 32]);
        let old = AsSequence {
            seq: env.seq,
            stream: env.stream,
            stream_version: env.stream_version,
            at_ms: env.at_ms,
            actor: env.actor.clone(),
            type_tag: env.type_tag.clone(),
            schema: env.schema,
            prev_hash: env.prev_hash,
            payload: env.payload.clone(),
        };
        assert_eq!(codec::encode(&env).unwrap(), codec::encode(&old).unwrap());
        let (bytes, _) = seal(&env).unwrap();
        assert_eq!(unseal(3, &bytes).unwrap().0, env);
    }
}
