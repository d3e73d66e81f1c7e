//! The one place that turns stored values into bytes and back.
//!
//! Every encoded value starts with a one-byte format tag, so that the
//! encoding can change later (a new tag) while old bytes stay readable.
//! Tag 1 is bincode 2 (serde mode, standard configuration: little-endian,
//! variable-length integers).

use serde::{de::DeserializeOwned, Deserialize, Serialize};

/// The format tag of bincode 2.0 with the standard configuration.
pub const TAG_BINCODE2: u8 = 1;

/// Why bytes could not be decoded: the stored data is not what this
/// version of leadger wrote.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("empty value")]
    Empty,
    #[error("unknown format tag {0}")]
    UnknownTag(u8),
    #[error("cannot decode: {0}")]
    Decode(String),
    #[error("cannot encode: {0}")]
    Encode(String),
}

fn config() -> bincode::config::Configuration {
    bincode::config::standard()
}

/// Encodes a value behind the current format tag.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::with_capacity(64);
    encode_into(value, &mut out)?;
    Ok(out)
}

/// Encodes a value behind the current format tag at the end of `out`
/// (no allocation of its own when `out` has room).
pub fn encode_into<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<(), CodecError> {
    out.push(TAG_BINCODE2);
    bincode::serde::encode_into_std_write(value, out, config())
        .map_err(|e| CodecError::Encode(e.to_string()))?;
    Ok(())
}

/// Decodes a value written by [`encode`], refusing trailing bytes.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    let (&tag, body) = bytes.split_first().ok_or(CodecError::Empty)?;
    match tag {
        TAG_BINCODE2 => {
            let (value, used) = bincode::serde::decode_from_slice(body, config())
                .map_err(|e| CodecError::Decode(e.to_string()))?;
            if used != body.len() {
                return Err(CodecError::Decode(format!(
                    "{} trailing bytes",
                    body.len() - used
                )));
            }
            Ok(value)
        }
        other => Err(CodecError::UnknownTag(other)),
    }
}

/// Decodes the head of a value written by [`encode`]: `T` borrows its
/// strings and byte strings from `bytes`, and may stop before the value's
/// end (a type that mirrors only the first fields of what was encoded,
/// such as [`crate::log::EnvelopeHead`]). For readers that need a few
/// fields of many values: no allocation, and the rest is not visited.
pub fn decode_head<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, CodecError> {
    let (&tag, body) = bytes.split_first().ok_or(CodecError::Empty)?;
    match tag {
        TAG_BINCODE2 => bincode::serde::borrow_decode_from_slice(body, config())
            .map(|(value, _)| value)
            .map_err(|e| CodecError::Decode(e.to_string())),
        other => Err(CodecError::UnknownTag(other)),
    }
}

/// Reads values one after another from an encoding, borrowing, and says
/// where each one lies in it: for reading the first fields of a value, or
/// one part of it, without decoding the rest, which bincode's sequential
/// layout (no lengths or offsets around a struct's fields) allows.
pub struct Reader<'de> {
    bytes: &'de [u8],
    pos: usize,
}

impl<'de> Reader<'de> {
    /// A reader after the format tag of `bytes`.
    pub fn new(bytes: &'de [u8]) -> Result<Self, CodecError> {
        match bytes.split_first() {
            None => Err(CodecError::Empty),
            Some((&TAG_BINCODE2, _)) => Ok(Reader { bytes, pos: 1 }),
            Some((&other, _)) => Err(CodecError::UnknownTag(other)),
        }
    }

    /// Where the next value starts in `bytes`.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Moves to `pos` of `bytes` (after a part walked by hand).
    pub fn seek(&mut self, pos: usize) {
        self.pos = pos;
    }

    /// The next value, and the range of `bytes` it was read from.
    pub fn read<T: Deserialize<'de>>(&mut self) -> Result<(T, std::ops::Range<usize>), CodecError> {
        let rest = self.bytes.get(self.pos..).ok_or(CodecError::Empty)?;
        let (value, used) = bincode::serde::borrow_decode_from_slice(rest, config())
            .map_err(|e| CodecError::Decode(e.to_string()))?;
        let range = self.pos..self.pos + used;
        self.pos += used;
        Ok((value, range))
    }
}

/// The variable-length unsigned integer at `pos` of `bytes`, as bincode's
/// standard configuration writes one (a value under 251 in one byte, else
/// a marker byte and 2, 4 or 8 little-endian bytes), and the position
/// after it: for walking an encoding without decoding it.
pub fn varint(bytes: &[u8], pos: usize) -> Result<(u64, usize), CodecError> {
    let cut = || CodecError::Decode(format!("cut short at byte {pos}"));
    let &first = bytes.get(pos).ok_or_else(cut)?;
    let wide = |len: usize| -> Result<(u64, usize), CodecError> {
        let raw = bytes.get(pos + 1..pos + 1 + len).ok_or_else(cut)?;
        let mut le = [0u8; 8];
        le[..len].copy_from_slice(raw);
        Ok((u64::from_le_bytes(le), pos + 1 + len))
    };
    match first {
        0..=250 => Ok((u64::from(first), pos + 1)),
        251 => wide(2),
        252 => wide(4),
        253 => wide(8),
        other => Err(CodecError::Decode(format!(
            "byte {other} at {pos} does not start a u64"
        ))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::value::Value;
    use proptest::prelude::*;

    #[test]
    fn a_reader_reads_the_parts_of_an_encoding() {
        #[derive(Serialize)]
        struct Outer {
            a: u64,
            inner: Vec<(u8, String)>,
            b: String,
        }
        let inner = vec![(3u8, "x".to_string()), (200, "yz".into())];
        let bytes = encode(&Outer {
            a: 70_000,
            inner: inner.clone(),
            b: "tail".into(),
        })
        .unwrap();
        let mut reader = Reader::new(&bytes).unwrap();
        let (a, _) = reader.read::<u64>().unwrap();
        let (read, range) = reader.read::<Vec<(u8, &str)>>().unwrap();
        assert_eq!((a, read), (70_000, vec![(3, "x"), (200, "yz")]));
        let (b, _) = reader.read::<&str>().unwrap();
        assert_eq!(b, "tail");
        // The range is where inner's encoding lies.
        let mut whole = encode(&inner).unwrap();
        whole.remove(0);
        assert_eq!(&bytes[range], &whole[..]);
        assert!(matches!(reader.read::<u8>(), Err(CodecError::Decode(_))));
        assert!(matches!(Reader::new(&[7]), Err(CodecError::UnknownTag(7))));
    }

    proptest! {
        #[test]
        fn varints_read_as_bincode_writes_them(n in any::<u64>(), small in 0u64..70_000) {
            for v in [n, small, small * 70_000, small * 70_000 * 70_000] {
                let bytes = encode(&(v, 7u8)).unwrap();
                let (read, after) = varint(&bytes, 1).unwrap();
                prop_assert_eq!(read, v);
                prop_assert_eq!(bytes[after], 7);
                prop_assert!(varint(&bytes[..after - 1], 1).is_err());
            }
        }
    }

    #[test]
    fn round_trips_values() {
        let values = vec![
            Value::Text("Müller & Söhne".into()),
            Value::Integer(-42),
            Value::Decimal("1234.50".parse().unwrap()),
            Value::Date(chrono::NaiveDate::from_ymd_opt(1980, 4, 30).unwrap()),
            Value::Bool(true),
        ];
        let bytes = encode(&values).unwrap();
        assert_eq!(bytes[0], TAG_BINCODE2);
        let back: Vec<Value> = decode(&bytes).unwrap();
        assert_eq!(back, values);
    }

    #[test]
    fn refuses_unknown_tags_and_trailing_bytes() {
        let mut bytes = encode(&7u64).unwrap();
        bytes.push(0);
        assert!(matches!(decode::<u64>(&bytes), Err(CodecError::Decode(_))));
        bytes[0] = 9;
        assert!(matches!(
            decode::<u64>(&bytes),
            Err(CodecError::UnknownTag(9))
        ));
        assert!(matches!(decode::<u64>(&[]), Err(CodecError::Empty)));
    }

    #[test]
    fn a_head_borrows_and_stops_early() {
        #[derive(Serialize)]
        struct Full {
            n: u64,
            name: String,
            rest: Vec<String>,
        }
        #[derive(Deserialize)]
        struct Head<'a> {
            n: u64,
            name: &'a str,
        }
        let bytes = encode(&Full {
            n: 300,
            name: "Acme".into(),
            rest: vec!["not read".into()],
        })
        .unwrap();
        let head: Head<'_> = decode_head(&bytes).unwrap();
        assert_eq!((head.n, head.name), (300, "Acme"));
        let mut bytes = bytes;
        bytes[0] = 9;
        assert!(matches!(
            decode_head::<Head<'_>>(&bytes),
            Err(CodecError::UnknownTag(9))
        ));
        assert!(matches!(decode_head::<u64>(&[]), Err(CodecError::Empty)));
    }

    proptest! {
        #[test]
        fn any_text_and_numbers_round_trip(s in ".*", n in any::<i64>()) {
            let v = (Value::Text(s.clone().into()), Value::Integer(n));
            let back: (Value, Value) = decode(&encode(&v).unwrap()).unwrap();
            prop_assert_eq!(back, v);
        }

        /// A text value is a `CompactString` (held inline up to 24 bytes,
        /// not allocated), encoded as the `String` it replaced was: the
        /// same bytes, so the logs written before read the same, and the
        /// hashes over them hold.
        #[test]
        fn a_text_value_encodes_as_a_string(s in ".{0,80}") {
            #[derive(Serialize, Deserialize)]
            enum AsString {
                Text(String),
            }
            let compact = encode(&Value::Text(s.as_str().into())).unwrap();
            prop_assert_eq!(&compact, &encode(&AsString::Text(s.clone())).unwrap());
            let back: Value = decode(&compact).unwrap();
            prop_assert_eq!(back, Value::Text(s.into()));
        }
    }
}
