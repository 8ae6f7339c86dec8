//! The collection `GET` query string: `where`, `sort`, `projection` and
//! `embedded`, parsed and checked before anything reaches MongoDB.
//!
//! `where` is the dangerous one. A MongoDB filter is a small program: some
//! operators run JavaScript in the server (`$where`, `$function`,
//! `$accumulator`), `$expr` evaluates aggregation expressions (which can call
//! `$function`), others reach further than a filter should (`$lookup`,
//! `$jsonSchema`). So a client's filter is never passed through. Both
//! syntaxes Eve accepts, MongoDB JSON (`{"score": {"$gt": 50}}`) and
//! Python-style (`score > 50 and author == "x"`), are first parsed into a
//! `serde_json::Value`; one checker then walks that value, accepts only
//! whitelisted operators on allowed fields, and builds the BSON filter key by
//! key, converting every value by the schema type of its field (hex strings
//! become ObjectIds, RFC 1123 strings become dates). Nothing the client wrote
//! reaches the filter without going through that walk.
//!
//! `sort`, `projection` and `embedded` are checked against the schema the
//! same way. Every failure is a [`QueryError`] naming the parameter; the
//! handlers answer it with a 400. What the checked documents are used for
//! (the `find`, the embedding of related documents) is the handlers' job.
//!
//! # Layout
//! - `where_json.rs`: the `where` checker: operator whitelists, the walk
//!   over a parsed filter, value conversion by field type.
//! - `python.rs`: the Python-style `where` syntax, parsed into that JSON.
//! - `sort.rs`: `sort` in both syntaxes.
//! - `projection.rs`: `projection` and `embedded`.

use serde_json::Value;

mod projection;
mod python;
mod sort;
mod where_json;

pub use projection::{default_projection, parse_embedded, parse_projection};
pub use sort::parse_sort;
pub use where_json::{parse_where, FIELD_OPERATORS, LOGICAL_OPERATORS};

/// The longest `where` (and `sort`, `projection`, `embedded`) accepted, in
/// characters. Real filters are far shorter; the limit bounds the work a
/// single request can ask of the parser and of MongoDB.
pub const MAX_WHERE_LEN: usize = 4096;

/// The deepest nesting of objects and arrays a `where` may have (and of
/// parentheses, `not`s and lists in the Python syntax).
pub const MAX_WHERE_DEPTH: usize = 20;

/// The most items in one `$in`, `$nin`, `$all`, `$and`, `$or`, `$nor` or
/// Python list.
pub const MAX_LIST_ITEMS: usize = 1000;

/// The most keys a `sort` may name (the `_id` tiebreaker is not counted).
pub const MAX_SORT_KEYS: usize = 5;

/// The most keys a `projection` may name.
pub const MAX_PROJECTION_KEYS: usize = 50;

/// A query-string parameter that cannot be used: answered 400, and the message names the parameter.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid {param}: {message}")]
pub struct QueryError {
    /// The parameter: `where`, `sort`, `projection` or `embedded`.
    pub param: &'static str,
    /// What is wrong with it, for the client.
    pub message: String,
}

const WHERE: &str = "where";
const SORT: &str = "sort";
const PROJECTION: &str = "projection";
const EMBEDDED: &str = "embedded";

fn error(param: &'static str, message: impl Into<String>) -> QueryError {
    QueryError { param, message: message.into() }
}

fn where_error(message: impl Into<String>) -> QueryError {
    error(WHERE, message)
}

/// Refuses a parameter longer than [`MAX_WHERE_LEN`] characters.
fn check_length(param: &'static str, text: &str) -> Result<(), QueryError> {
    if text.chars().count() > MAX_WHERE_LEN {
        return Err(error(param, format!("longer than {MAX_WHERE_LEN} characters")));
    }
    Ok(())
}

/// The nesting depth of objects and arrays (a scalar is 0). The recursion is
/// bounded: serde_json stops at 128 levels and the Python parser at
/// [`MAX_WHERE_DEPTH`].
fn depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// Checks a field name (in `where`, `sort` or `projection`): not empty, no
/// `$` (which would make it an operator or a positional path), no NUL (which
/// BSON keys cannot hold), no empty part between dots.
fn check_name(param: &'static str, name: &str) -> Result<(), QueryError> {
    if name.is_empty() {
        return Err(error(param, "empty field name"));
    }
    if name.contains('$') {
        return Err(error(param, format!("field name {name:?} may not contain '$'")));
    }
    if name.contains('\0') || name.split('.').any(str::is_empty) {
        return Err(error(param, format!("invalid field name {name:?}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
