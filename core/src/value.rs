//! Typed field values: what a cell becomes once its field's rules have read
//! it. Events and projections hold these, never raw cells.

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A normalised field value.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Value {
    Text(String),
    Integer(i64),
    Decimal(Decimal),
    Date(NaiveDate),
    DateTime(NaiveDateTime),
    Bool(bool),
}

impl Value {
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
