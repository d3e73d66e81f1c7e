//! Typed field values: what a cell becomes once its field's rules have read
//! it. Events and projections hold these, never raw cells.

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A normalised field value.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Value {
    Text(compact_str::CompactString),
    Integer(i64),
    Decimal(Decimal),
    Date(#[serde(serialize_with = "fast::date")] NaiveDate),
    DateTime(#[serde(serialize_with = "fast::datetime")] NaiveDateTime),
    Bool(bool),
}

/// Dates and date-times as chrono's serde writes them (`2024-02-29`,
/// `2024-02-29T13:05:00`: its `Debug` form), byte for byte, without going
/// through `fmt` one character at a time: that was half of encoding a
/// plan row (callgrind, 20,000 rows). Years outside 0 to 9999 and times
/// with a fraction of a second, which chrono writes differently, go to
/// chrono itself. A property test holds both to chrono's bytes.
mod fast {
    use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
    use serde::{Serialize, Serializer};

    fn two(out: &mut [u8], n: u32) {
        out[0] = b'0' + (n / 10 % 10) as u8;
        out[1] = b'0' + (n % 10) as u8;
    }

    /// `YYYY-MM-DD` into the first ten bytes, if the year has four digits.
    fn ymd(out: &mut [u8], d: &NaiveDate) -> bool {
        let Ok(year) = u32::try_from(d.year()) else {
            return false;
        };
        if year > 9999 {
            return false;
        }
        two(&mut out[0..2], year / 100);
        two(&mut out[2..4], year % 100);
        out[4] = b'-';
        two(&mut out[5..7], d.month());
        out[7] = b'-';
        two(&mut out[8..10], d.day());
        true
    }

    pub(super) fn date<S: Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 10];
        match ymd(&mut buf, d).then(|| std::str::from_utf8(&buf)) {
            Some(Ok(text)) => s.serialize_str(text),
            _ => d.serialize(s),
        }
    }

    pub(super) fn datetime<S: Serializer>(dt: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 19];
        if dt.nanosecond() != 0 || !ymd(&mut buf, &dt.date()) {
            return dt.serialize(s);
        }
        buf[10] = b'T';
        two(&mut buf[11..13], dt.hour());
        buf[13] = b':';
        two(&mut buf[14..16], dt.minute());
        buf[16] = b':';
        two(&mut buf[17..19], dt.second());
        match std::str::from_utf8(&buf) {
            Ok(text) => s.serialize_str(text),
            Err(_) => dt.serialize(s),
        }
    }
}

impl Value {
    /// The value as its `Display` writes it: borrowed when it is text
    /// (nearly always), formatted into a new string otherwise.
    pub fn as_text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Value::Text(text) => std::borrow::Cow::Borrowed(text.as_str()),
            other => std::borrow::Cow::Owned(other.to_string()),
        }
    }

    /// The value as JSON: text, dates and decimals as strings (decimals keep
    /// their exact digits), integers as numbers, booleans as booleans.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Integer(n) => serde_json::Value::from(*n),
            Value::Bool(b) => serde_json::Value::Bool(*b),
            other => serde_json::Value::String(other.to_string()),
        }
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Text(s) => f.write_str(s),
            Value::Integer(n) => write!(f, "{n}"),
            Value::Decimal(d) => write!(f, "{d}"),
            Value::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Value::DateTime(d) => write!(f, "{}", d.format("%Y-%m-%dT%H:%M:%S")),
            Value::Bool(true) => f.write_str("Yes"),
            Value::Bool(false) => f.write_str("No"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The fast forms are chrono's own, in bincode and in JSON,
        /// for any date chrono holds and any time of day (fractions and
        /// leap seconds included, which go to chrono).
        #[test]
        fn dates_encode_as_chrono_encodes_them(
            days in -400_000i32..4_000_000,
            secs in 0u32..86_400,
            nanos in proptest::prop_oneof![proptest::strategy::Just(0u32), 0u32..2_000_000_000],
        ) {
            let Some(date) = NaiveDate::from_num_days_from_ce_opt(days) else { return Ok(()) };
            let Some(time) = chrono::NaiveTime::from_num_seconds_from_midnight_opt(secs, nanos) else { return Ok(()) };
            let datetime = date.and_time(time);
            let cfg = bincode::config::standard();
            let chrono_date = bincode::serde::encode_to_vec(date, cfg).unwrap_or_default();
            let ours = bincode::serde::encode_to_vec(Value::Date(date), cfg).unwrap_or_default();
            proptest::prop_assert_eq!(&ours[1..], &chrono_date[..], "{:?}", date);
            let chrono_dt = bincode::serde::encode_to_vec(datetime, cfg).unwrap_or_default();
            let ours = bincode::serde::encode_to_vec(Value::DateTime(datetime), cfg).unwrap_or_default();
            proptest::prop_assert_eq!(&ours[1..], &chrono_dt[..], "{:?}", datetime);
            proptest::prop_assert_eq!(
                serde_json::to_string(&Value::DateTime(datetime)).unwrap_or_default(),
                format!("{{\"DateTime\":{}}}", serde_json::to_string(&datetime).unwrap_or_default())
            );
            proptest::prop_assert_eq!(
                serde_json::to_string(&Value::Date(date)).unwrap_or_default(),
                format!("{{\"Date\":{}}}", serde_json::to_string(&date).unwrap_or_default())
            );
        }
    }

    #[test]
    fn json_forms() {
        assert_eq!(Value::Integer(7).to_json(), serde_json::json!(7));
        assert_eq!(Value::Bool(true).to_json(), serde_json::json!(true));
        let d = Value::Decimal("1234.50".parse().unwrap_or_default());
        assert_eq!(d.to_json(), serde_json::json!("1234.50"));
        let date = NaiveDate::from_ymd_opt(2024, 2, 29).map(Value::Date);
        assert_eq!(
            date.map(|d| d.to_json()),
            Some(serde_json::json!("2024-02-29"))
        );
    }
}
