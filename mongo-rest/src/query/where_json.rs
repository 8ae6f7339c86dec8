//! `where` in MongoDB's JSON syntax (and the JSON the Python-style parser
//! produces): the operator whitelists and the [`Checker`] that walks a
//! parsed filter, accepts only whitelisted operators on allowed fields and
//! builds the BSON filter, converting every value by its field's type.

use mongodb::bson::{Bson, Document};
use serde_json::{Map, Value};

use super::python::parse_python;
use super::*;
use crate::convert::{parse_object_id, parse_rfc1123, untyped};
use crate::domain::{FieldType, Resource};

/// Operators that combine whole queries (`{"$or": [{…}, {…}]}`).
pub const LOGICAL_OPERATORS: [&str; 3] = ["$and", "$or", "$nor"];

/// Operators that apply to one field (`{"score": {"$gt": 50}}`). `$regex`
/// and `$options` are further limited to the resource's `regex_filters`.
pub const FIELD_OPERATORS: [&str; 17] = [
    "$eq",
    "$ne",
    "$gt",
    "$gte",
    "$lt",
    "$lte",
    "$in",
    "$nin",
    "$exists",
    "$type",
    "$all",
    "$size",
    "$elemMatch",
    "$not",
    "$mod",
    "$regex",
    "$options",
];

/// The names `$type` accepts (MongoDB's BSON type aliases).
pub(super) const TYPE_ALIASES: [&str; 22] = [
    "double",
    "string",
    "object",
    "array",
    "binData",
    "undefined",
    "objectId",
    "bool",
    "date",
    "null",
    "regex",
    "dbPointer",
    "javascript",
    "symbol",
    "javascriptWithScope",
    "int",
    "timestamp",
    "long",
    "decimal",
    "minKey",
    "maxKey",
    "number",
];

/// `where=`: MongoDB JSON (`{"score": {"$gt": 50}}`) or Eve's Python-style syntax
/// (`score > 50 and (author == "x" or num_comments >= 10)`), checked and converted → a BSON filter.
///
/// An empty (or blank) `where` is the empty filter, as in Eve.
pub fn parse_where(text: &str, resource: &Resource) -> Result<Document, QueryError> {
    check_length(WHERE, text)?;
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(Document::new());
    }
    let value = if trimmed.starts_with('{') {
        serde_json::from_str::<Value>(text).map_err(|e| where_error(format!("not valid JSON: {e}")))?
    } else {
        parse_python(text)?
    };
    if depth(&value) > MAX_WHERE_DEPTH {
        return Err(where_error(format!("nested deeper than {MAX_WHERE_DEPTH} levels")));
    }
    let Value::Object(query) = &value else {
        return Err(where_error("must be a JSON object"));
    };
    Checker { resource }.query(query, Scope::Top)
}

/// The message for an operator outside the whitelist. The ones a client is
/// most likely to try say why.
pub(super) fn refused_operator(operator: &str) -> QueryError {
    let why = match operator {
        "$where" | "$function" | "$accumulator" => " (it runs JavaScript in the database)",
        "$expr" => " (aggregation expressions can run JavaScript)",
        _ => "",
    };
    where_error(format!("operator {operator} is not allowed{why}"))
}

/// Refuses every `$` key of an object that is on neither whitelist, before
/// the object is looked at any further, so that the message names the
/// operator even when the object is wrong in other ways too.
pub(super) fn screen(map: &Map<String, Value>) -> Result<(), QueryError> {
    match map.keys().find(|k| {
        k.starts_with('$') && !LOGICAL_OPERATORS.contains(&k.as_str()) && !FIELD_OPERATORS.contains(&k.as_str())
    }) {
        Some(operator) => Err(refused_operator(operator)),
        None => Ok(()),
    }
}

/// Where the keys of a query are: the document's fields (checked against
/// `allowed_filters`), or the subfields of an array's items inside an
/// `$elemMatch` on `path` (the array field itself was checked).
#[derive(Clone, Copy)]
pub(super) enum Scope<'p> {
    Top,
    Within(&'p str),
}

/// The walk over a parsed `where`: checks every key and converts every value.
pub(super) struct Checker<'a> {
    resource: &'a Resource,
}

impl Checker<'_> {
    /// A query: field conditions and `$and`/`$or`/`$nor`, all of which must hold.
    fn query(&self, query: &Map<String, Value>, scope: Scope<'_>) -> Result<Document, QueryError> {
        screen(query)?;
        let mut filter = Document::new();
        for (key, value) in query {
            if key.starts_with('$') {
                let operator = key.as_str();
                if !LOGICAL_OPERATORS.contains(&operator) {
                    return Err(where_error(format!(
                        "operator {operator} applies to a field, as in {{\"field\": {{\"{operator}\": …}}}}"
                    )));
                }
                let clauses = match value {
                    Value::Array(items) if !items.is_empty() && items.len() <= MAX_LIST_ITEMS => items,
                    _ => {
                        return Err(where_error(format!(
                            "{operator} needs a non-empty array of at most {MAX_LIST_ITEMS} queries"
                        )))
                    }
                };
                let mut converted = Vec::with_capacity(clauses.len());
                for clause in clauses {
                    let Value::Object(clause) = clause else {
                        return Err(where_error(format!("{operator} needs an array of query objects")));
                    };
                    converted.push(Bson::Document(self.query(clause, scope)?));
                }
                filter.insert(key.clone(), converted);
            } else {
                check_name(WHERE, key)?;
                let path = match scope {
                    Scope::Top if !self.resource.filter_allowed(key) => {
                        return Err(where_error(format!("filter on field {key} is not allowed")));
                    }
                    Scope::Top => key.clone(),
                    Scope::Within(array) => format!("{array}.{key}"),
                };
                filter.insert(key.clone(), self.condition(&path, value)?);
            }
        }
        Ok(filter)
    }

    /// The value of a field key: an operator document, or a value to match.
    fn condition(&self, path: &str, value: &Value) -> Result<Bson, QueryError> {
        match value {
            Value::Object(map) if map.keys().any(|k| k.starts_with('$')) => {
                screen(map)?;
                if let Some(plain) = map.keys().find(|k| !k.starts_with('$')) {
                    return Err(where_error(format!(
                        "field {path}: {plain:?} is mixed with operators; use either operators or a sub-document"
                    )));
                }
                Ok(Bson::Document(self.operators(path, map)?))
            }
            _ => self.literal(path, value),
        }
    }

    /// An operator document on one field: `{"$gt": 5, "$lt": 10}`.
    fn operators(&self, path: &str, operators: &Map<String, Value>) -> Result<Document, QueryError> {
        screen(operators)?;
        let mut converted = Document::new();
        let mut pattern = None;
        let mut flags = None;
        for (operator, value) in operators {
            let bson = match operator.as_str() {
                "$eq" | "$ne" | "$gt" | "$gte" | "$lt" | "$lte" => self.literal(path, value)?,
                "$in" | "$nin" | "$all" => match value {
                    Value::Array(items) if items.len() <= MAX_LIST_ITEMS => {
                        Bson::Array(items.iter().map(|item| self.literal(path, item)).collect::<Result<_, _>>()?)
                    }
                    _ => {
                        return Err(where_error(format!(
                            "{operator} on field {path} needs an array of at most {MAX_LIST_ITEMS} values"
                        )))
                    }
                },
                "$exists" => match value {
                    Value::Bool(b) => Bson::Boolean(*b),
                    _ => return Err(where_error(format!("$exists on field {path} needs true or false"))),
                },
                "$type" => type_operand(value)
                    .ok_or_else(|| where_error(format!("$type on field {path} needs a BSON type name or number")))?,
                "$size" => match value.as_u64().and_then(|n| i64::try_from(n).ok()) {
                    Some(n) => Bson::Int64(n),
                    None => return Err(where_error(format!("$size on field {path} needs a non-negative integer"))),
                },
                "$mod" => mod_operand(value).ok_or_else(|| {
                    where_error(format!("$mod on field {path} needs [divisor, remainder], integers, divisor not 0"))
                })?,
                "$elemMatch" => Bson::Document(self.elem_match(path, value)?),
                "$not" => match value {
                    Value::Object(inner) if !inner.is_empty() && inner.keys().all(|k| k.starts_with('$')) => {
                        Bson::Document(self.operators(path, inner)?)
                    }
                    _ => {
                        if let Value::Object(inner) = value {
                            screen(inner)?;
                        }
                        return Err(where_error(format!(
                            "$not on field {path} needs an operator object, like {{\"$gt\": 5}}"
                        )));
                    }
                },
                "$regex" | "$options" => {
                    if !self.resource.regex_allowed(path) {
                        return Err(where_error(format!("regex is not allowed on field {path}")));
                    }
                    let Value::String(text) = value else {
                        return Err(where_error(format!("{operator} on field {path} needs a string")));
                    };
                    if operator == "$regex" {
                        pattern = Some(text.as_str());
                    } else {
                        flags = Some(text.as_str());
                    }
                    Bson::String(text.clone())
                }
                // `screen` let through only the two whitelists: this is a
                // logical operator used where a field condition belongs.
                _ => {
                    return Err(where_error(format!(
                        "operator {operator} combines queries and cannot apply to field {path}"
                    )))
                }
            };
            converted.insert(operator.clone(), bson);
        }
        match (pattern, flags) {
            (None, Some(_)) => Err(where_error(format!("$options on field {path} needs a $regex"))),
            (Some(pattern), flags) => {
                check_regex(path, pattern, flags.unwrap_or(""))?;
                Ok(converted)
            }
            (None, None) => Ok(converted),
        }
    }

    /// `$elemMatch`: operators on the array's items (`{"$gt": 5}`), or a
    /// query on the subfields of its items (`{"votes": {"$gt": 5}}`).
    fn elem_match(&self, path: &str, value: &Value) -> Result<Document, QueryError> {
        let Value::Object(map) = value else {
            return Err(where_error(format!("$elemMatch on field {path} needs an object")));
        };
        screen(map)?;
        let is_field_operator = |k: &String| k.starts_with('$') && !LOGICAL_OPERATORS.contains(&k.as_str());
        if map.keys().any(is_field_operator) {
            if map.keys().any(|k| !is_field_operator(k)) {
                return Err(where_error(format!(
                    "$elemMatch on field {path} mixes operators on the items with conditions on their fields"
                )));
            }
            self.operators(path, map)
        } else {
            self.query(map, Scope::Within(path))
        }
    }

    /// A value to compare with, converted by the field's type. Objects are
    /// sub-documents matched exactly; arrays are converted item by item
    /// (an exact array match, or the candidates of `$in`).
    fn literal(&self, path: &str, value: &Value) -> Result<Bson, QueryError> {
        match value {
            Value::Null => Ok(Bson::Null),
            Value::Object(_) => {
                no_operator_keys(path, value)?;
                Ok(untyped(value))
            }
            Value::Array(items) if items.len() > MAX_LIST_ITEMS => {
                Err(where_error(format!("field {path}: a list has more than {MAX_LIST_ITEMS} values")))
            }
            Value::Array(items) => {
                Ok(Bson::Array(items.iter().map(|item| self.literal(path, item)).collect::<Result<_, _>>()?))
            }
            _ => self.scalar(path, value),
        }
    }

    /// A string, number or boolean as the BSON its field stores.
    fn scalar(&self, path: &str, value: &Value) -> Result<Bson, QueryError> {
        Ok(match (self.element_type(path), value) {
            (Some(FieldType::Objectid), Value::String(s)) => Bson::ObjectId(parse_object_id(s).ok_or_else(|| {
                where_error(format!("field {path} holds ObjectIds and {s:?} is not 24 hex digits"))
            })?),
            (Some(FieldType::Objectid), _) => {
                return Err(where_error(format!("field {path} holds ObjectIds: compare it with a 24-hex string")))
            }
            (Some(FieldType::Datetime), Value::String(s)) => Bson::DateTime(parse_rfc1123(s).ok_or_else(|| {
                where_error(format!(
                    "field {path} holds dates and {s:?} is not an RFC 1123 date (like \"Tue, 02 Apr 2013 10:29:13 GMT\")"
                ))
            })?),
            (Some(FieldType::Datetime), _) => {
                return Err(where_error(format!("field {path} holds dates: compare it with an RFC 1123 date string")))
            }
            (Some(FieldType::Float), Value::Number(n)) => Bson::Double(n.as_f64().unwrap_or(f64::NAN)),
            // Eve's guess for fields the schema does not type (allow_unknown,
            // schemaless dicts and lists): what looks like an id or a date is one.
            (None, Value::String(s)) => match (parse_object_id(s), parse_rfc1123(s)) {
                (Some(id), _) => Bson::ObjectId(id),
                (None, Some(date)) => Bson::DateTime(date),
                (None, None) => Bson::String(s.clone()),
            },
            // Integer and number fields: whole numbers as i64, others as f64;
            // strings, booleans and mismatched types as they are (a string
            // compared with a number field simply matches nothing).
            _ => untyped(value),
        })
    }

    /// The type a scalar compared with `path` must have: the field's type,
    /// or its items' type for a list (MongoDB matches a value against each
    /// item). `None` when the schema does not say.
    fn element_type(&self, path: &str) -> Option<FieldType> {
        let Some(mut field) = self.resource.field(path) else {
            // Meta fields are not in the schema but have fixed types.
            return self.resource.field_type(path);
        };
        while field.kind == FieldType::List {
            field = field.items.as_deref()?;
        }
        Some(field.kind)
    }
}

/// Refuses an exact-match sub-document that holds a `$` key anywhere: the
/// driver would send it as it is, and MongoDB or a later stage could read it
/// as an operator or as extended JSON (`{"$code": …}`).
pub(super) fn no_operator_keys(path: &str, value: &Value) -> Result<(), QueryError> {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                if key.starts_with('$') || key.contains('\0') {
                    return Err(where_error(format!("field {path}: {key:?} is not allowed inside a value")));
                }
                no_operator_keys(path, item)?;
            }
            Ok(())
        }
        Value::Array(items) => items.iter().try_for_each(|item| no_operator_keys(path, item)),
        _ => Ok(()),
    }
}

/// `$type`'s operand: an alias, a type number, or a non-empty list of them.
pub(super) fn type_operand(value: &Value) -> Option<Bson> {
    match value {
        Value::String(alias) if TYPE_ALIASES.contains(&alias.as_str()) => Some(Bson::String(alias.clone())),
        Value::Number(n) => match n.as_i64()? {
            code @ (-1 | 1..=19 | 127) => Some(Bson::Int32(code as i32)),
            _ => None,
        },
        Value::Array(items) if !items.is_empty() && items.len() <= TYPE_ALIASES.len() => {
            items.iter().map(|item| if item.is_array() { None } else { type_operand(item) }).collect()
        }
        _ => None,
    }
}

/// `$mod`'s operand: `[divisor, remainder]`, whole numbers, divisor not 0.
pub(super) fn mod_operand(value: &Value) -> Option<Bson> {
    match value.as_array()?.as_slice() {
        [divisor, remainder] => {
            let (divisor, remainder) = (divisor.as_i64()?, remainder.as_i64()?);
            (divisor != 0).then(|| Bson::Array(vec![Bson::Int64(divisor), Bson::Int64(remainder)]))
        }
        _ => None,
    }
}

/// Checks a `$regex` before MongoDB sees it: flags from `imsx` only, and a
/// pattern that Rust's `regex` crate accepts within a size limit. That
/// crate's syntax is PCRE's without backreferences and lookaround, the
/// features behind the worst backtracking, so a malformed or exotic pattern
/// is a 400 here rather than a database error later. (It does not make every
/// pattern cheap for MongoDB's backtracking engine; a time limit on the query
/// is what bounds that.)
pub(super) fn check_regex(path: &str, pattern: &str, flags: &str) -> Result<(), QueryError> {
    let mut builder = regex::RegexBuilder::new(pattern);
    builder.size_limit(1 << 20).nest_limit(50);
    for flag in flags.chars() {
        match flag {
            'i' => builder.case_insensitive(true),
            'm' => builder.multi_line(true),
            's' => builder.dot_matches_new_line(true),
            'x' => builder.ignore_whitespace(true),
            other => {
                return Err(where_error(format!("$options on field {path}: unknown flag {other:?} (use i, m, s, x)")))
            }
        };
    }
    builder.build().map(drop).map_err(|e| {
        // The crate's message draws the pattern over several lines; its last
        // line says what is wrong.
        let text = e.to_string();
        let reason = text.lines().last().unwrap_or("invalid pattern").trim_start_matches("error: ");
        where_error(format!("$regex on field {path}: {reason}"))
    })
}
