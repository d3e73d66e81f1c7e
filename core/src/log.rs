//! The hash-chained envelope of every event, and the log's head.
//!
//! An event is stored as `encode(Envelope) ++ blake3(encode(Envelope))`.
//! The envelope carries the hash of its predecessor, so changing, removing
//! or reordering any stored event breaks the chain at that event, and
//! `verify` names it.

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

/// Builds the stored bytes of an event and returns them with its hash.
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

fn decode_envelope(seq: u64, body: &[u8]) -> Result<Envelope, LogError> {
    codec::decode(body).map_err(|source| LogError::Decode { seq, source })
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
    codec::decode_head(body).map_err(|source| LogError::Decode { seq, source })
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

/// The format byte that opens every block of events.
pub const BLOCK_FORMAT: u8 = 1;
/// Format byte, first sequence number (u64 LE), event count (u32 LE).
pub const BLOCK_HEADER_LEN: usize = 1 + 8 + 4;

/// Builds one block of the events table: consecutive sealed events stored
/// as one value, under the key of its *last* event ([`seq_key`]), so that
/// the block holding event `n` is the first block at or after key `n`.
///
/// Layout: `[BLOCK_FORMAT][first seq: u64 LE][count: u32 LE]`, then per
/// event `[len: u32 LE][encode(Envelope) ++ blake3]`. The hash chain is per
/// event, exactly as if each event were stored alone: a block is only how
/// the store is asked to keep them (one write for many events).
pub struct BlockBuilder {
    first: u64,
    count: u32,
    bytes: Vec<u8>,
}

impl BlockBuilder {
    /// An empty block whose first event will be `first`.
    pub fn new(first: u64, capacity: usize) -> Self {
        let mut bytes = Vec::with_capacity(capacity.max(BLOCK_HEADER_LEN));
        bytes.push(BLOCK_FORMAT);
        bytes.extend_from_slice(&first.to_le_bytes());
        bytes.extend_from_slice(&0u32.to_le_bytes());
        BlockBuilder {
            first,
            count: 0,
            bytes,
        }
    }

    /// Seals the envelope (its `seq` must be the block's next) into the
    /// block and returns its hash.
    pub fn push(&mut self, envelope: &Envelope) -> Result<Hash, LogError> {
        debug_assert_eq!(envelope.seq, self.first + u64::from(self.count));
        let len_at = self.bytes.len();
        self.bytes.extend_from_slice(&[0u8; 4]);
        let body_at = self.bytes.len();
        if let Err(e) = codec::encode_into(envelope, &mut self.bytes) {
            self.bytes.truncate(len_at);
            return Err(LogError::Encode(e));
        }
        let hash = *blake3::hash(&self.bytes[body_at..]).as_bytes();
        self.bytes.extend_from_slice(&hash);
        let len = u32::try_from(self.bytes.len() - body_at)
            .map_err(|_| LogError::Encode(CodecError::Encode("event over 4 GiB".into())))?;
        self.bytes[len_at..body_at].copy_from_slice(&len.to_le_bytes());
        self.count += 1;
        Ok(hash)
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
    if bytes.len() < BLOCK_HEADER_LEN || bytes[0] != BLOCK_FORMAT {
        return None;
    }
    let first = u64::from_le_bytes(bytes[1..9].try_into().ok()?);
    let count = u32::from_le_bytes(bytes[9..13].try_into().ok()?);
    Some((first, count))
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

    #[test]
    fn a_block_keeps_each_event_sealed_alone() {
        let mut block = BlockBuilder::new(5, 0);
        let h5 = block.push(&envelope(5, GENESIS)).unwrap();
        let h6 = block.push(&envelope(6, h5)).unwrap();
        let (key, bytes) = block.finish().unwrap();
        assert_eq!(key, seq_key(6), "a block is keyed by its last event");
        assert_eq!(block_header(&bytes), Some((5, 2)));
        let (alone, h6_alone) = seal(&envelope(6, h5)).unwrap();
        assert_eq!(h6, h6_alone);
        assert!(
            bytes.ends_with(&alone),
            "the frame is the event as sealed alone"
        );
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
