//! BSON ⇄ JSON, the way Eve puts documents on the wire.
//!
//! ObjectIds travel as 24-hex strings and dates as RFC 1123 strings
//! (`Tue, 02 Apr 2013 10:29:13 GMT`); everything else is plain JSON. On the
//! way in, the schema says which strings are ids and dates
//! ([`json_to_bson`]); the driver's extended JSON (`{"$oid": …}`) never
//! reaches a client.

use chrono::{TimeZone, Utc};
use mongodb::bson::{oid::ObjectId, Bson, DateTime, Document};
use serde_json::{Map, Number, Value};

use super::domain::FieldType;

/// The RFC 1123 format Eve uses for every date (always GMT).
const RFC1123: &str = "%a, %d %b %Y %H:%M:%S GMT";

/// A BSON date as an RFC 1123 string (second precision, as HTTP dates).
pub fn rfc1123(date: DateTime) -> String {
    match Utc.timestamp_millis_opt(date.timestamp_millis()).single() {
        Some(t) => t.format(RFC1123).to_string(),
        None => "Thu, 01 Jan 1970 00:00:00 GMT".into(),
    }
}

/// Parses an RFC 1123 date (`Tue, 02 Apr 2013 10:29:13 GMT`).
pub fn parse_rfc1123(text: &str) -> Option<DateTime> {
    let parsed = chrono::DateTime::parse_from_rfc2822(text.trim()).ok()?;
    Some(DateTime::from_millis(parsed.timestamp_millis()))
}

/// Parses a 24-hex ObjectId.
pub fn parse_object_id(text: &str) -> Option<ObjectId> {
    if text.len() == 24 {
        ObjectId::parse_str(text).ok()
    } else {
        None
    }
}

/// A BSON value as Eve's JSON.
pub fn to_json(value: &Bson) -> Value {
    match value {
        Bson::Double(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
        Bson::String(s) => Value::String(s.clone()),
        Bson::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        Bson::Document(doc) => Value::Object(document_to_json(doc)),
        Bson::Boolean(b) => Value::Bool(*b),
        Bson::Null | Bson::Undefined => Value::Null,
        Bson::Int32(i) => Value::from(*i),
        Bson::Int64(i) => Value::from(*i),
        Bson::ObjectId(id) => Value::String(id.to_hex()),
        Bson::DateTime(d) => Value::String(rfc1123(*d)),
        Bson::Decimal128(d) => Value::String(d.to_string()),
        Bson::Timestamp(t) => Value::from(t.time),
        // Regexes, code, binaries and the like are not part of any domain;
        // if one is stored anyway it is shown as the driver's relaxed JSON.
        other => other.clone().into_relaxed_extjson(),
    }
}

/// A BSON document as a JSON object, keys in stored order.
pub fn document_to_json(doc: &Document) -> Map<String, Value> {
    doc.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()
}

/// A BSON value written as the JSON that [`to_json`] makes of it, without
/// building that JSON first (for hashing a document, [`crate::store::Served::content_etag`]):
/// `serde_json::to_writer(w, &AsJson(&value))` writes the bytes
/// `to_json(&value).to_string()` would.
pub struct AsJson<'a>(pub &'a Bson);

impl serde::Serialize for AsJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Bson::Double(f) if f.is_finite() => s.serialize_f64(*f),
            Bson::String(text) => s.serialize_str(text),
            Bson::Array(items) => s.collect_seq(items.iter().map(AsJson)),
            Bson::Document(doc) => s.collect_map(doc.iter().map(|(k, v)| (k, AsJson(v)))),
            Bson::Boolean(b) => s.serialize_bool(*b),
            Bson::Double(_) | Bson::Null | Bson::Undefined => s.serialize_unit(),
            Bson::Int32(i) => s.serialize_i32(*i),
            Bson::Int64(i) => s.serialize_i64(*i),
            Bson::ObjectId(id) => s.serialize_str(&id.to_hex()),
            Bson::DateTime(d) => s.serialize_str(&rfc1123(*d)),
            Bson::Decimal128(d) => s.serialize_str(&d.to_string()),
            Bson::Timestamp(t) => s.serialize_u32(t.time),
            other => to_json(other).serialize(s),
        }
    }
}

/// Why a JSON value cannot be stored as a field's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeMismatch(pub FieldType);

impl std::fmt::Display for TypeMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            FieldType::Datetime => write!(f, "must be of datetime type (an RFC 1123 date)"),
            FieldType::Objectid => write!(f, "must be of objectid type (24 hex digits)"),
            other => write!(f, "must be of {} type", other.as_str()),
        }
    }
}

/// A JSON scalar as the BSON of a field's type: `"5f…"` becomes an
/// ObjectId for an `objectid` field, an RFC 1123 string a date for a
/// `datetime` field, a whole number an `i64` for an `integer` field.
/// Lists and dicts are converted item by item by the caller (they carry
/// their own rules); here they are only checked to be arrays/objects and
/// converted without types.
pub fn json_to_bson(kind: FieldType, value: &Value) -> Result<Bson, TypeMismatch> {
    let mismatch = || TypeMismatch(kind);
    Ok(match (kind, value) {
        (FieldType::String, Value::String(s)) => Bson::String(s.clone()),
        (FieldType::Integer, Value::Number(n)) => Bson::Int64(n.as_i64().ok_or_else(mismatch)?),
        (FieldType::Float, Value::Number(n)) => Bson::Double(n.as_f64().ok_or_else(mismatch)?),
        (FieldType::Number, Value::Number(n)) => match n.as_i64() {
            Some(i) => Bson::Int64(i),
            None => Bson::Double(n.as_f64().ok_or_else(mismatch)?),
        },
        (FieldType::Boolean, Value::Bool(b)) => Bson::Boolean(*b),
        (FieldType::Datetime, Value::String(s)) => Bson::DateTime(parse_rfc1123(s).ok_or_else(mismatch)?),
        (FieldType::Objectid, Value::String(s)) => Bson::ObjectId(parse_object_id(s).ok_or_else(mismatch)?),
        (FieldType::List, Value::Array(_)) | (FieldType::Dict, Value::Object(_)) => untyped(value),
        _ => return Err(mismatch()),
    })
}

/// JSON to BSON with no schema: numbers become `i64` when whole, `f64`
/// otherwise; strings stay strings (no guessing of ids or dates).
pub fn untyped(value: &Value) -> Bson {
    match value {
        Value::Null => Bson::Null,
        Value::Bool(b) => Bson::Boolean(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Bson::Int64(i),
            None => Bson::Double(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => Bson::String(s.clone()),
        Value::Array(items) => Bson::Array(items.iter().map(untyped).collect()),
        Value::Object(map) => Bson::Document(map.iter().map(|(k, v)| (k.clone(), untyped(v))).collect()),
    }
}

/// A TOML value (from the domain file) as JSON, to go through the same
/// conversion as request bodies. TOML's own dates are refused: Eve's dates
/// are RFC 1123 strings, and one spelling keeps the file unambiguous.
pub fn toml_to_json(value: &toml::Value) -> Result<Value, String> {
    Ok(match value {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => {
            serde_json::Number::from_f64(*f).map(Value::Number).ok_or_else(|| format!("{f} is not a JSON number"))?
        }
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => {
            return Err(format!("{d}: write dates as RFC 1123 strings (\"Tue, 02 Apr 2013 10:29:13 GMT\")"))
        }
        toml::Value::Array(items) => Value::Array(items.iter().map(toml_to_json).collect::<Result<_, _>>()?),
        toml::Value::Table(table) => {
            let mut map = serde_json::Map::new();
            for (key, value) in table {
                map.insert(key.clone(), toml_to_json(value)?);
            }
            Value::Object(map)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::doc;
    use serde_json::json;

    #[test]
    fn dates_travel_as_rfc1123_both_ways() {
        let date = DateTime::from_millis(1_364_898_553_000);
        assert_eq!(rfc1123(date), "Tue, 02 Apr 2013 10:29:13 GMT");
        assert_eq!(parse_rfc1123("Tue, 02 Apr 2013 10:29:13 GMT"), Some(date));
        assert_eq!(parse_rfc1123("2013-04-02"), None);
    }

    #[test]
    fn ids_and_dates_become_strings_on_the_wire() {
        let id = ObjectId::parse_str("4b43a616a1b588c68c000000").unwrap();
        let doc = doc! { "_id": id, "at": DateTime::from_millis(0), "n": 3_i64, "f": 1.5, "tags": ["a"] };
        assert_eq!(
            Value::Object(document_to_json(&doc)),
            json!({"_id": "4b43a616a1b588c68c000000", "at": "Thu, 01 Jan 1970 00:00:00 GMT", "n": 3, "f": 1.5, "tags": ["a"]})
        );
    }

    #[test]
    fn as_json_writes_the_bytes_of_to_json() {
        use mongodb::bson::{Decimal128, Regex, Timestamp};
        let id = ObjectId::parse_str("4b43a616a1b588c68c000000").unwrap();
        let doc = doc! {
            "_id": id, "title": "Quotes \" and \\ and é ✓ \n", "at": DateTime::from_millis(1_364_898_553_000),
            "i32": -7_i32, "i64": 9_007_199_254_740_993_i64, "f": 0.1, "big": 1e300, "nan": f64::NAN, "inf": f64::INFINITY,
            "neg0": -0.0, "yes": true, "none": Bson::Null, "undefined": Bson::Undefined, "empty": [], "nested": { "b": [1, { "c": "d" }], "a": {} },
            "dec": Decimal128::from_bytes([1; 16]), "ts": Timestamp { time: 7, increment: 1 },
            "re": Regex { pattern: "^a".into(), options: "i".into() },
        };
        for (key, value) in &doc {
            let written = serde_json::to_string(&AsJson(value)).unwrap();
            assert_eq!(written, to_json(value).to_string(), "{key}");
        }
        let whole = serde_json::to_string(&AsJson(&Bson::Document(doc.clone()))).unwrap();
        assert_eq!(whole, Value::Object(document_to_json(&doc)).to_string());
    }

    #[test]
    fn the_schema_type_decides_the_bson_type() {
        assert_eq!(json_to_bson(FieldType::Integer, &json!(3)), Ok(Bson::Int64(3)));
        assert!(json_to_bson(FieldType::Integer, &json!(3.5)).is_err());
        assert_eq!(json_to_bson(FieldType::Float, &json!(3)), Ok(Bson::Double(3.0)));
        assert!(matches!(json_to_bson(FieldType::Objectid, &json!("4b43a616a1b588c68c000000")), Ok(Bson::ObjectId(_))));
        assert!(json_to_bson(FieldType::Objectid, &json!("4b43")).is_err());
        assert!(json_to_bson(FieldType::String, &json!(1)).is_err());
        assert_eq!(
            json_to_bson(FieldType::String, &json!("4b43a616a1b588c68c000000")),
            Ok(Bson::String("4b43a616a1b588c68c000000".into()))
        );
    }
}
