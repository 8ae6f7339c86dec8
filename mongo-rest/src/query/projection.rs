//! `projection` (inclusive or exclusive, meta fields always kept, hidden
//! fields only on request) and `embedded` (which relations to expand).

use mongodb::bson::{Bson, Document};
use serde_json::{Map, Value};

use super::*;
use crate::domain::{FieldType, Resource, META_FIELDS};

/// Parses a parameter that must be a JSON object.
pub(super) fn json_object(param: &'static str, text: &str) -> Result<Map<String, Value>, QueryError> {
    check_length(param, text)?;
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(error(param, "must be a JSON object")),
        Err(e) => Err(error(param, format!("not valid JSON: {e}"))),
    }
}

/// A `1`/`0` (or `true`/`false`) value of `key`.
pub(super) fn flag(param: &'static str, key: &str, value: &Value) -> Result<bool, QueryError> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::Number(n) if n.as_i64() == Some(1) => Ok(true),
        Value::Number(n) if n.as_i64() == Some(0) => Ok(false),
        _ => Err(error(param, format!("the value of {key} must be 1 or 0"))),
    }
}

/// `projection=`: a JSON object `{"title": 1}` (inclusive) or `{"selftext": 0}` (exclusive); mixing 1 and 0 is refused; unknown fields refused; meta fields (`_id`, `_created`, `_updated`, `_etag`) are always returned (strip them from an exclusive projection, add them to an inclusive one). Returns the BSON projection; with no `projection=` param the caller uses `default_projection`.
///
/// Hidden fields stay hidden unless named in an inclusive projection: an
/// exclusive one (or `{}`) also excludes them, as [`default_projection`] does.
pub fn parse_projection(text: &str, resource: &Resource) -> Result<Document, QueryError> {
    let map = json_object(PROJECTION, text)?;
    if map.len() > MAX_PROJECTION_KEYS {
        return Err(error(PROJECTION, format!("at most {MAX_PROJECTION_KEYS} fields")));
    }
    let mut include = None;
    let mut fields = Vec::new();
    for (key, value) in &map {
        if let Value::Object(operators) = value {
            let operator = operators.keys().find(|k| k.starts_with('$')).map_or("an object", String::as_str);
            return Err(error(PROJECTION, format!("{operator} on {key} is not allowed: values are 1 or 0")));
        }
        if key.contains('$') {
            return Err(error(PROJECTION, format!("{key:?}: operators and positional projections are not allowed")));
        }
        check_name(PROJECTION, key)?;
        let included = flag(PROJECTION, key, value)?;
        if META_FIELDS.contains(&key.as_str()) {
            continue;
        }
        if resource.field(key).is_none() {
            return Err(error(PROJECTION, format!("unknown field {key}")));
        }
        if include.is_some_and(|first| first != included) {
            return Err(error(PROJECTION, "cannot mix 1 (fields to include) and 0 (fields to exclude)"));
        }
        include = Some(included);
        fields.push(key.as_str());
    }
    // MongoDB refuses `{"a": 1, "a.b": 1}` (a path collision); say so here.
    for a in &fields {
        if let Some(b) = fields.iter().find(|b| b.strip_prefix(a).is_some_and(|rest| rest.starts_with('.'))) {
            return Err(error(PROJECTION, format!("{a} and {b} overlap")));
        }
    }
    let mut projection = Document::new();
    if include == Some(true) {
        for field in fields.iter().copied().chain(META_FIELDS) {
            projection.insert(field, 1);
        }
    } else {
        for field in &fields {
            projection.insert(*field, 0);
        }
        for hidden in &resource.hidden_fields {
            let named = fields
                .iter()
                .any(|f| f == hidden || f.strip_prefix(hidden.as_str()).is_some_and(|rest| rest.starts_with('.')));
            if !named {
                projection.insert(hidden.clone(), 0);
            }
        }
    }
    Ok(projection)
}

/// The projection used when the client sends none: excludes `resource.hidden_fields`; None if nothing hidden.
pub fn default_projection(resource: &Resource) -> Option<Document> {
    if resource.hidden_fields.is_empty() {
        return None;
    }
    Some(resource.hidden_fields.iter().map(|field| (field.clone(), Bson::Int32(0))).collect())
}

/// `embedded=`: `{"post_id": 1}`; every key must be a field (top-level or list of) with an embeddable data_relation; returns the field names (value 0 entries are dropped).
pub fn parse_embedded(text: &str, resource: &Resource) -> Result<Vec<String>, QueryError> {
    let map = json_object(EMBEDDED, text)?;
    let mut fields = Vec::new();
    for (key, value) in &map {
        let field = resource.schema.get(key).ok_or_else(|| error(EMBEDDED, format!("unknown field {key}")))?;
        let relation = match field.kind {
            FieldType::List => field.items.as_ref().and_then(|items| items.data_relation.as_ref()),
            _ => field.data_relation.as_ref(),
        };
        if !relation.is_some_and(|r| r.embeddable) {
            return Err(error(EMBEDDED, format!("field {key} cannot be embedded")));
        }
        if flag(EMBEDDED, key, value)? {
            fields.push(key.clone());
        }
    }
    Ok(fields)
}
