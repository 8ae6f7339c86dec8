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

use mongodb::bson::{Bson, DateTime, Document};
use serde_json::{Map, Number, Value};

use super::convert::{parse_object_id, parse_rfc1123, rfc1123, untyped};
use super::domain::{FieldType, Resource, META_FIELDS};

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

// --- where -----------------------------------------------------------------

/// Operators that combine whole queries (`{"$or": [{…}, {…}]}`).
const LOGICAL_OPERATORS: [&str; 3] = ["$and", "$or", "$nor"];

/// Operators that apply to one field (`{"score": {"$gt": 50}}`). `$regex`
/// and `$options` are further limited to the resource's `regex_filters`.
const FIELD_OPERATORS: [&str; 17] = [
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
const TYPE_ALIASES: [&str; 22] = [
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

/// The message for an operator outside the whitelist. The ones a client is
/// most likely to try say why.
fn refused_operator(operator: &str) -> QueryError {
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
fn screen(map: &Map<String, Value>) -> Result<(), QueryError> {
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
enum Scope<'p> {
    Top,
    Within(&'p str),
}

/// The walk over a parsed `where`: checks every key and converts every value.
struct Checker<'a> {
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
fn no_operator_keys(path: &str, value: &Value) -> Result<(), QueryError> {
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
fn type_operand(value: &Value) -> Option<Bson> {
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
fn mod_operand(value: &Value) -> Option<Bson> {
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
fn check_regex(path: &str, pattern: &str, flags: &str) -> Result<(), QueryError> {
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

// --- the Python-style syntax --------------------------------------------------

/// One token of the Python-style syntax (also used for `sort`'s list form).
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    /// `==`, `!=`, `>`, `>=`, `<` or `<=`.
    Cmp(&'static str),
    /// An identifier, possibly dotted: a field, a keyword, `True`, `ObjectId`.
    Name(String),
    Str(String),
    Num(Number),
    End,
}

/// A token and the column (1-based, in characters) where it starts.
#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    column: usize,
}

/// Splits Python-style text into tokens; the last one is always `End`.
fn tokenize(param: &'static str, text: &str) -> Result<Vec<Token>, QueryError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        let tok = match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' | ')' | '[' | ']' | ',' => {
                i += 1;
                match c {
                    '(' => Tok::LParen,
                    ')' => Tok::RParen,
                    '[' => Tok::LBracket,
                    ']' => Tok::RBracket,
                    _ => Tok::Comma,
                }
            }
            '=' | '!' | '<' | '>' => {
                let op = match (c, chars.get(i + 1) == Some(&'=')) {
                    ('=', true) => "==",
                    ('!', true) => "!=",
                    ('<', true) => "<=",
                    ('>', true) => ">=",
                    ('<', false) => "<",
                    ('>', false) => ">",
                    _ => {
                        return Err(error(
                            param,
                            format!("unexpected {c:?} at column {column} (comparisons are ==, !=, >, >=, <, <=)"),
                        ))
                    }
                };
                i += op.len();
                Tok::Cmp(op)
            }
            '"' | '\'' => {
                let (text, next) = string_literal(param, &chars, i)?;
                i = next;
                Tok::Str(text)
            }
            '-' | '0'..='9' => {
                let (number, next) = number_literal(param, &chars, i)?;
                i = next;
                Tok::Num(number)
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '.') {
                    i += 1;
                }
                let name: String = chars[start..i].iter().collect();
                if name.split('.').any(str::is_empty) {
                    return Err(error(param, format!("invalid name {name:?} at column {column}")));
                }
                Tok::Name(name)
            }
            other => return Err(error(param, format!("unexpected character {other:?} at column {column}"))),
        };
        tokens.push(Token { tok, column });
    }
    tokens.push(Token { tok: Tok::End, column: chars.len() + 1 });
    Ok(tokens)
}

/// A quoted string starting at `chars[start]`, with Python's common escapes;
/// returns the text and the index after the closing quote.
fn string_literal(param: &'static str, chars: &[char], start: usize) -> Result<(String, usize), QueryError> {
    let quote = chars[start];
    let mut text = String::new();
    let mut i = start + 1;
    loop {
        match chars.get(i) {
            None => return Err(error(param, format!("unterminated string at column {}", start + 1))),
            Some(&c) if c == quote => return Ok((text, i + 1)),
            Some('\\') => {
                let escaped = match chars.get(i + 1) {
                    Some('n') => '\n',
                    Some('t') => '\t',
                    Some('r') => '\r',
                    Some('0') => '\0',
                    Some(&c @ ('\\' | '\'' | '"')) => c,
                    Some(&c @ ('u' | 'x')) => {
                        let len = if c == 'u' { 4 } else { 2 };
                        let hex: String = chars.iter().skip(i + 2).take(len).collect();
                        let code = (hex.len() == len).then(|| u32::from_str_radix(&hex, 16).ok()).flatten();
                        match code.and_then(char::from_u32) {
                            Some(decoded) => {
                                i += len;
                                decoded
                            }
                            None => return Err(error(param, format!("invalid \\{c} escape at column {}", i + 1))),
                        }
                    }
                    _ => return Err(error(param, format!("unknown escape at column {}", i + 1))),
                };
                text.push(escaped);
                i += 2;
            }
            Some(&c) => {
                text.push(c);
                i += 1;
            }
        }
    }
}

/// A number starting at `chars[start]` (`-12`, `3.5`, `1e3`); returns it and
/// the index after it. Whole numbers must fit an i64.
fn number_literal(param: &'static str, chars: &[char], start: usize) -> Result<(Number, usize), QueryError> {
    let column = start + 1;
    let digits = |mut i: usize| {
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let mut i = start + usize::from(chars[start] == '-');
    let integer_end = digits(i);
    if integer_end == i {
        return Err(error(param, format!("unexpected '-' at column {column}")));
    }
    i = integer_end;
    let mut is_float = false;
    if chars.get(i) == Some(&'.') && chars.get(i + 1).is_some_and(char::is_ascii_digit) {
        i = digits(i + 1);
        is_float = true;
    }
    if matches!(chars.get(i), Some('e' | 'E')) {
        let sign = usize::from(matches!(chars.get(i + 1), Some('+' | '-')));
        let end = digits(i + 1 + sign);
        if end == i + 1 + sign {
            return Err(error(param, format!("invalid number at column {column}")));
        }
        i = end;
        is_float = true;
    }
    let text: String = chars[start..i].iter().collect();
    let number = if is_float {
        text.parse::<f64>().ok().and_then(Number::from_f64)
    } else {
        text.parse::<i64>().ok().map(Number::from)
    };
    number.map(|n| (n, i)).ok_or_else(|| error(param, format!("number out of range at column {column}")))
}

/// Parses the Python-style `where` into the JSON the checker takes:
/// `a == 1` → `{"a": 1}`, `a > 1` → `{"a": {"$gt": 1}}`, `a in [..]` →
/// `$in`, `a not in [..]` → `$nin`, `not x` → `{"$nor": [x]}`, `and`/`or` →
/// `$and`/`$or`. `ObjectId("…")` and `datetime(…)` become the strings the
/// JSON syntax would carry (a hex id, an RFC 1123 date), so that their
/// conversion is decided by the field's type in one place.
fn parse_python(text: &str) -> Result<Value, QueryError> {
    let tokens = tokenize(WHERE, text)?;
    let mut parser = Parser { param: WHERE, tokens, pos: 0, depth: 0 };
    let query = parser.or_expr()?;
    if parser.peek().tok != Tok::End {
        return Err(parser.expected("'and', 'or' or the end"));
    }
    Ok(query)
}

/// A recursive-descent parser over the tokens, with a depth limit so that
/// `((((…` cannot exhaust the stack.
struct Parser {
    param: &'static str,
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

/// Words that cannot be field names in the Python syntax.
const KEYWORDS: [&str; 4] = ["and", "or", "not", "in"];

impl Parser {
    fn peek(&self) -> &Token {
        &self.tokens[self.pos]
    }

    /// Moves past the current token (never past `End`).
    fn advance(&mut self) {
        if self.pos + 1 < self.tokens.len() {
            self.pos += 1;
        }
    }

    fn expected(&self, what: &str) -> QueryError {
        error(self.param, format!("expected {what} at column {}", self.peek().column))
    }

    fn at_word(&self, word: &str) -> bool {
        matches!(&self.peek().tok, Tok::Name(name) if name == word)
    }

    /// Consumes `tok` if it is next.
    fn eat(&mut self, tok: &Tok) -> bool {
        let found = self.peek().tok == *tok;
        if found {
            self.advance();
        }
        found
    }

    fn expect(&mut self, tok: &Tok, what: &str) -> Result<(), QueryError> {
        if self.eat(tok) {
            Ok(())
        } else {
            Err(self.expected(what))
        }
    }

    /// Enters one level of nesting (parenthesis, `not`, list).
    fn enter(&mut self) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > MAX_WHERE_DEPTH {
            return Err(error(
                self.param,
                format!("nested deeper than {MAX_WHERE_DEPTH} levels at column {}", self.peek().column),
            ));
        }
        Ok(())
    }

    /// `or_expr := and_expr ("or" and_expr)*`
    fn or_expr(&mut self) -> Result<Value, QueryError> {
        let mut terms = vec![self.and_expr()?];
        while self.at_word("or") {
            self.advance();
            terms.push(self.and_expr()?);
        }
        Ok(combine("$or", terms))
    }

    /// `and_expr := not_expr ("and" not_expr)*`
    fn and_expr(&mut self) -> Result<Value, QueryError> {
        let mut terms = vec![self.not_expr()?];
        while self.at_word("and") {
            self.advance();
            terms.push(self.not_expr()?);
        }
        Ok(combine("$and", terms))
    }

    /// `not_expr := "not" not_expr | atom`
    fn not_expr(&mut self) -> Result<Value, QueryError> {
        if !self.at_word("not") {
            return self.atom();
        }
        self.advance();
        self.enter()?;
        let negated = self.not_expr()?;
        self.depth -= 1;
        Ok(single("$nor", Value::Array(vec![negated])))
    }

    /// `atom := "(" expr ")" | NAME op VALUE | NAME "in" LIST | NAME "not" "in" LIST`
    fn atom(&mut self) -> Result<Value, QueryError> {
        match &self.peek().tok {
            Tok::LParen => {
                self.advance();
                self.enter()?;
                let inner = self.or_expr()?;
                self.expect(&Tok::RParen, "')'")?;
                self.depth -= 1;
                Ok(inner)
            }
            Tok::Name(name) if !KEYWORDS.contains(&name.as_str()) => {
                let field = name.clone();
                self.advance();
                self.comparison(field)
            }
            _ => Err(self.expected("a field name or '('")),
        }
    }

    /// What follows a field name: a comparison, `in` or `not in`.
    fn comparison(&mut self, field: String) -> Result<Value, QueryError> {
        let condition = match self.peek().tok.clone() {
            Tok::Cmp(op) => {
                self.advance();
                let value = self.value()?;
                match op {
                    "==" => value,
                    "!=" => single("$ne", value),
                    ">" => single("$gt", value),
                    ">=" => single("$gte", value),
                    "<" => single("$lt", value),
                    _ => single("$lte", value),
                }
            }
            Tok::Name(word) if word == "in" => {
                self.advance();
                single("$in", self.list()?)
            }
            Tok::Name(word) if word == "not" => {
                self.advance();
                if !self.at_word("in") {
                    return Err(self.expected("'in' after 'not'"));
                }
                self.advance();
                single("$nin", self.list()?)
            }
            _ => return Err(self.expected("a comparison (==, !=, >, >=, <, <=, in, not in)")),
        };
        Ok(single(&field, condition))
    }

    /// A list value (after `in` / `not in`).
    fn list(&mut self) -> Result<Value, QueryError> {
        if self.peek().tok != Tok::LBracket {
            return Err(self.expected("a list [...]"));
        }
        self.value()
    }

    /// `VALUE := STRING | NUMBER | True | False | None | LIST | ObjectId("…") | datetime(y, m, d[, H, M, S])`
    fn value(&mut self) -> Result<Value, QueryError> {
        let value = match self.peek().tok.clone() {
            Tok::Str(text) => Value::String(text),
            Tok::Num(number) => Value::Number(number),
            Tok::Name(word) => match word.as_str() {
                "True" | "true" => Value::Bool(true),
                "False" | "false" => Value::Bool(false),
                "None" | "null" => Value::Null,
                "ObjectId" => return self.object_id(),
                "datetime" => return self.datetime(),
                _ => return Err(self.expected("a value")),
            },
            Tok::LBracket => {
                self.advance();
                self.enter()?;
                let mut items = Vec::new();
                while !self.eat(&Tok::RBracket) {
                    if items.len() == MAX_LIST_ITEMS {
                        return Err(self.expected(&format!("at most {MAX_LIST_ITEMS} values in a list, and ']'")));
                    }
                    items.push(self.value()?);
                    if !self.eat(&Tok::Comma) && self.peek().tok != Tok::RBracket {
                        return Err(self.expected("',' or ']'"));
                    }
                }
                self.depth -= 1;
                return Ok(Value::Array(items));
            }
            _ => return Err(self.expected("a value")),
        };
        self.advance();
        Ok(value)
    }

    /// `ObjectId("…")` → the id's hex string (checked here, so that a bad id
    /// is reported at its column).
    fn object_id(&mut self) -> Result<Value, QueryError> {
        let column = self.peek().column;
        self.advance();
        self.expect(&Tok::LParen, "'(' after ObjectId")?;
        let Tok::Str(hex) = self.peek().tok.clone() else {
            return Err(self.expected("a quoted id"));
        };
        let id = parse_object_id(&hex)
            .ok_or_else(|| error(self.param, format!("ObjectId at column {column} needs 24 hex digits")))?;
        self.advance();
        self.expect(&Tok::RParen, "')'")?;
        Ok(Value::String(id.to_hex()))
    }

    /// `datetime(2013, 4, 2, 10, 29, 13)` (UTC, 3 to 6 numbers) → its RFC 1123 string.
    fn datetime(&mut self) -> Result<Value, QueryError> {
        let column = self.peek().column;
        self.advance();
        self.expect(&Tok::LParen, "'(' after datetime")?;
        let mut parts = Vec::new();
        while !self.eat(&Tok::RParen) {
            match &self.peek().tok {
                Tok::Num(n) if parts.len() < 6 && n.is_i64() => parts.push(n.as_i64().unwrap_or_default()),
                _ => return Err(self.expected("a whole number or ')'")),
            }
            self.advance();
            if !self.eat(&Tok::Comma) && self.peek().tok != Tok::RParen {
                return Err(self.expected("',' or ')'"));
            }
        }
        datetime_string(&parts).map(Value::String).ok_or_else(|| {
            error(
                self.param,
                format!("datetime at column {column} needs a valid year, month, day[, hour, minute, second]"),
            )
        })
    }
}

/// `{key: value}`.
fn single(key: &str, value: Value) -> Value {
    let mut map = Map::new();
    map.insert(key.to_owned(), value);
    Value::Object(map)
}

/// One term as it is, several under `$and` / `$or`.
fn combine(operator: &str, mut terms: Vec<Value>) -> Value {
    if terms.len() == 1 {
        terms.remove(0)
    } else {
        single(operator, Value::Array(terms))
    }
}

/// The RFC 1123 string of `datetime(year, month, day[, hour, minute, second])`, UTC.
fn datetime_string(parts: &[i64]) -> Option<String> {
    if parts.len() < 3 {
        return None;
    }
    let part = |i: usize| u32::try_from(parts.get(i).copied().unwrap_or(0)).ok();
    let date = chrono::NaiveDate::from_ymd_opt(i32::try_from(parts[0]).ok()?, part(1)?, part(2)?)?;
    let time = date.and_hms_opt(part(3)?, part(4)?, part(5)?)?;
    Some(rfc1123(DateTime::from_millis(time.and_utc().timestamp_millis())))
}

// --- sort ----------------------------------------------------------------------

/// `sort=`: `a,-b` or Eve's `[("a", -1), ("b", 1)]`. Returns the sort document; always ends with `_id` (same direction as the last key, or 1) as a tiebreaker unless `_id` already appears, so pages never overlap.
///
/// The list form also takes JSON (`[["a", -1]]`). Fields must be allowed
/// filters (sorting by a field reveals its order as much as filtering does).
pub fn parse_sort(text: &str, resource: &Resource) -> Result<Document, QueryError> {
    check_length(SORT, text)?;
    let trimmed = text.trim();
    let keys = if trimmed.is_empty() {
        return Err(error(SORT, "empty"));
    } else if trimmed.starts_with('[') {
        sort_list(text)?
    } else {
        trimmed
            .split(',')
            .map(|part| {
                let part = part.trim();
                match part.strip_prefix('-') {
                    Some(field) => (field.trim().to_owned(), -1),
                    None => (part.to_owned(), 1),
                }
            })
            .collect::<Vec<_>>()
    };
    if keys.len() > MAX_SORT_KEYS {
        return Err(error(SORT, format!("at most {MAX_SORT_KEYS} keys")));
    }
    let mut sort = Document::new();
    for (field, direction) in &keys {
        check_name(SORT, field)?;
        if !resource.filter_allowed(field) {
            return Err(error(SORT, format!("sorting by field {field} is not allowed")));
        }
        if sort.contains_key(field) {
            return Err(error(SORT, format!("field {field} appears twice")));
        }
        sort.insert(field.clone(), *direction);
    }
    if !sort.contains_key("_id") {
        sort.insert("_id", keys.last().map_or(1, |(_, direction)| *direction));
    }
    Ok(sort)
}

/// The list form of `sort`: `[("a", -1), ("b", 1)]` or `[["a", -1]]`.
fn sort_list(text: &str) -> Result<Vec<(String, i32)>, QueryError> {
    let tokens = tokenize(SORT, text)?;
    let mut parser = Parser { param: SORT, tokens, pos: 0, depth: 0 };
    parser.expect(&Tok::LBracket, "'['")?;
    let mut keys = Vec::new();
    while !parser.eat(&Tok::RBracket) {
        let close = match parser.peek().tok {
            Tok::LParen => Tok::RParen,
            Tok::LBracket => Tok::RBracket,
            _ => return Err(parser.expected("a (\"field\", direction) pair")),
        };
        parser.advance();
        let Tok::Str(field) = parser.peek().tok.clone() else {
            return Err(parser.expected("a quoted field name"));
        };
        parser.advance();
        parser.expect(&Tok::Comma, "','")?;
        let direction = match &parser.peek().tok {
            Tok::Num(n) if n.as_i64() == Some(1) => 1,
            Tok::Num(n) if n.as_i64() == Some(-1) => -1,
            _ => return Err(parser.expected("a direction, 1 or -1,")),
        };
        parser.advance();
        parser.eat(&Tok::Comma);
        parser.expect(&close, if close == Tok::RParen { "')'" } else { "']'" })?;
        keys.push((field, direction));
        if !parser.eat(&Tok::Comma) && parser.peek().tok != Tok::RBracket {
            return Err(parser.expected("',' or ']'"));
        }
        if keys.len() > MAX_SORT_KEYS {
            return Err(error(SORT, format!("at most {MAX_SORT_KEYS} keys")));
        }
    }
    if parser.peek().tok != Tok::End {
        return Err(parser.expected("the end"));
    }
    Ok(keys)
}

// --- projection and embedded -------------------------------------------------------

/// Parses a parameter that must be a JSON object.
fn json_object(param: &'static str, text: &str) -> Result<Map<String, Value>, QueryError> {
    check_length(param, text)?;
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(error(param, "must be a JSON object")),
        Err(e) => Err(error(param, format!("not valid JSON: {e}"))),
    }
}

/// A `1`/`0` (or `true`/`false`) value of `key`.
fn flag(param: &'static str, key: &str, value: &Value) -> Result<bool, QueryError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Domain;
    use mongodb::bson::{doc, oid::ObjectId};

    const DOMAIN: &str = r#"
        [resources.posts]
        allowed_filters = ["title", "author", "score", "num_comments", "ratio", "created_utc", "tags",
                           "comments", "author_id", "related", "address", "extra", "view_count"]
        regex_filters = ["title", "comments.body"]
        hidden_fields = ["keywords"]
        [resources.posts.schema]
        title = { type = "string" }
        author = { type = "string" }
        selftext = { type = "string" }
        score = { type = "integer" }
        num_comments = { type = "integer" }
        ratio = { type = "float" }
        view_count = { type = "integer", nullable = true }
        created_utc = { type = "datetime" }
        tags = { type = "list", items = { type = "string" } }
        keywords = { type = "list", items = { type = "string" } }
        author_id = { type = "objectid", data_relation = { resource = "users", embeddable = true } }
        editor_id = { type = "objectid", data_relation = { resource = "users" } }
        related = { type = "list", items = { type = "objectid", data_relation = { resource = "posts", embeddable = true } } }
        address = { type = "dict", schema = { city = { type = "string" } } }
        extra = { type = "dict" }
        [resources.posts.schema.comments]
        type = "list"
        items = { type = "dict", schema = { body = { type = "string" }, by = { type = "objectid" }, votes = { type = "integer" } } }

        [resources.users.schema]
        name = { type = "string" }
    "#;

    const ID: &str = "4b43a616a1b588c68c000000";
    const ID2: &str = "5f0c2a9e8b3c4d5e6f708192";
    const DATE: &str = "Tue, 02 Apr 2013 10:29:13 GMT";

    fn posts() -> Resource {
        Domain::parse(DOMAIN).unwrap().resource("posts").unwrap().clone()
    }

    fn filter(text: &str) -> Result<Document, QueryError> {
        parse_where(text, &posts())
    }

    /// The message of a refused `where`, checked to name the parameter.
    fn refused(text: &str) -> String {
        let e = filter(text).expect_err(text);
        assert_eq!(e.param, "where", "{text}");
        let shown = e.to_string();
        assert!(shown.starts_with("invalid where: "), "{shown}");
        shown
    }

    fn oid(hex: &str) -> ObjectId {
        ObjectId::parse_str(hex).unwrap()
    }

    #[test]
    fn both_syntaxes_give_the_same_filter() {
        let expected = doc! { "$and": [
            { "score": { "$gt": 50_i64 } },
            { "$or": [ { "author": "x" }, { "num_comments": { "$gte": 10_i64 } } ] },
        ] };
        let python = filter(r#"score > 50 and (author == "x" or num_comments >= 10)"#).unwrap();
        let json =
            filter(r#"{"$and": [{"score": {"$gt": 50}}, {"$or": [{"author": "x"}, {"num_comments": {"$gte": 10}}]}]}"#)
                .unwrap();
        assert_eq!(python, expected);
        assert_eq!(json, expected);
        assert_eq!(filter("  ").unwrap(), Document::new());
        assert_eq!(filter("{}").unwrap(), Document::new());
    }

    #[test]
    fn python_operators_map_to_mongodb_ones() {
        assert_eq!(filter("score != 3").unwrap(), doc! { "score": { "$ne": 3_i64 } });
        assert_eq!(filter("score < -1.5").unwrap(), doc! { "score": { "$lt": -1.5 } });
        assert_eq!(filter("score <= 2e1").unwrap(), doc! { "score": { "$lte": 20.0 } });
        assert_eq!(filter("ratio == 2").unwrap(), doc! { "ratio": 2.0 });
        assert_eq!(
            filter(r#"tags in ["a", 'b\'c', "\u00e9"]"#).unwrap(),
            doc! { "tags": { "$in": ["a", "b'c", "é"] } }
        );
        assert_eq!(filter("tags not in ['x',]").unwrap(), doc! { "tags": { "$nin": ["x"] } });
        assert_eq!(
            filter("not score > 5 and view_count == None").unwrap(),
            doc! { "$and": [ { "$nor": [ { "score": { "$gt": 5_i64 } } ] }, { "view_count": null } ] }
        );
        assert_eq!(
            filter("address.city == 'Oslo' or title == True or title == false").unwrap(),
            doc! { "$or": [ { "address.city": "Oslo" }, { "title": true }, { "title": false } ] }
        );
    }

    #[test]
    fn ids_and_dates_are_converted_by_the_schema() {
        let by_id = doc! { "_id": oid(ID) };
        assert_eq!(filter(&format!(r#"{{"_id": "{ID}"}}"#)).unwrap(), by_id);
        assert_eq!(filter(&format!(r#"_id == ObjectId("{ID}")"#)).unwrap(), by_id);
        assert_eq!(filter(&format!(r#"_id == "{ID}""#)).unwrap(), by_id);
        assert_eq!(
            filter(&format!(r#"{{"author_id": {{"$in": ["{ID}", "{ID2}"], "$ne": "{ID2}"}}}}"#)).unwrap(),
            doc! { "author_id": { "$in": [oid(ID), oid(ID2)], "$ne": oid(ID2) } }
        );
        // A list of ids compares its items; `in` takes ObjectId(…) too.
        assert_eq!(
            filter(&format!(r#"related in [ObjectId("{ID}"), "{ID2}"]"#)).unwrap(),
            doc! { "related": { "$in": [oid(ID), oid(ID2)] } }
        );
        // A string field keeps hex strings as strings.
        assert_eq!(filter(&format!(r#"title == "{ID}""#)).unwrap(), doc! { "title": ID });

        let date = DateTime::from_millis(1_364_898_553_000);
        let expected = doc! { "created_utc": { "$gt": date } };
        assert_eq!(filter(&format!(r#"{{"created_utc": {{"$gt": "{DATE}"}}}}"#)).unwrap(), expected);
        assert_eq!(filter("created_utc > datetime(2013, 4, 2, 10, 29, 13)").unwrap(), expected);
        assert_eq!(
            filter("_created >= datetime(2013, 4, 2)").unwrap(),
            doc! { "_created": { "$gte": DateTime::from_millis(1_364_860_800_000) } }
        );
        // Inside $elemMatch the items' schema types the subfields.
        assert_eq!(
            filter(&format!(r#"{{"comments": {{"$elemMatch": {{"by": "{ID}", "votes": {{"$gt": 2}}}}}}}}"#)).unwrap(),
            doc! { "comments": { "$elemMatch": { "by": oid(ID), "votes": { "$gt": 2_i64 } } } }
        );

        // Malformed ids and dates name the field.
        assert!(refused(r#"{"_id": "4b43"}"#).contains("_id"));
        assert!(refused(r#"{"author_id": {"$in": ["nothex"]}}"#).contains("author_id"));
        assert!(refused(r#"{"author_id": 12}"#).contains("author_id"));
        assert!(refused(r#"created_utc > "yesterday""#).contains("created_utc"));
        assert!(refused(r#"_id == ObjectId("xyz")"#).contains("ObjectId at column 8"));
        assert!(refused("created_utc > datetime(2013, 13, 2)").contains("datetime at column 15"));
    }

    #[test]
    fn untyped_fields_get_eves_guess() {
        assert_eq!(
            filter(&format!(r#"{{"extra.ref": "{ID}", "extra.at": "{DATE}", "extra.name": "bob", "extra.n": 2}}"#))
                .unwrap(),
            doc! {
                "extra.ref": oid(ID),
                "extra.at": DateTime::from_millis(1_364_898_553_000),
                "extra.name": "bob",
                "extra.n": 2_i64,
            }
        );
    }

    #[test]
    fn code_running_operators_are_refused_everywhere() {
        let templates = [
            r#"{"OP": "sleep(1000)"}"#,
            r#"{"$and": [{"score": 1}, {"OP": "sleep(1000)"}]}"#,
            r#"{"$or": [{"OP": "sleep(1000)"}]}"#,
            r#"{"$nor": [{"OP": "sleep(1000)"}]}"#,
            r#"{"$and": [{"$or": [{"$nor": [{"OP": "sleep(1000)"}]}]}]}"#,
            r#"{"score": {"$not": {"OP": "sleep(1000)"}}}"#,
            r#"{"score": {"$not": {"$gt": 1, "OP": "sleep(1000)"}}}"#,
            r#"{"score": {"$gt": 1, "OP": "sleep(1000)"}}"#,
            r#"{"score": {"OP": "sleep(1000)", "plain": 1}}"#,
            r#"{"tags": {"$elemMatch": {"OP": "sleep(1000)"}}}"#,
            r#"{"comments": {"$elemMatch": {"body": "x", "OP": "sleep(1000)"}}}"#,
            r#"{"comments": {"$elemMatch": {"$and": [{"OP": "sleep(1000)"}]}}}"#,
            r#"{"comments": {"$elemMatch": {"votes": {"$not": {"OP": "sleep(1000)"}}}}}"#,
        ];
        for operator in ["$where", "$function", "$accumulator", "$expr", "$jsonSchema", "$text", "$comment", "$lookup"]
        {
            for template in templates {
                let text = template.replace("OP", operator);
                let message = refused(&text);
                assert!(message.contains(&format!("operator {operator} is not allowed")), "{text}: {message}");
            }
        }
        assert!(refused(r#"{"$where": "1"}"#).contains("JavaScript"));
    }

    #[test]
    fn extended_json_and_operator_keys_in_values_are_refused() {
        assert!(refused(&format!(r#"{{"_id": {{"$oid": "{ID}"}}}}"#)).contains("$oid is not allowed"));
        assert!(refused(r#"{"title": {"$code": "function() {}"}}"#).contains("$code is not allowed"));
        assert!(refused(r#"{"title": {"$eq": {"$code": "x"}}}"#).contains("not allowed"));
        assert!(refused(r#"{"address": {"city": {"$where": "1"}}}"#).contains("not allowed"));
        assert!(refused(r#"{"score": {"$in": [{"a": [{"$where": "1"}]}]}}"#).contains("not allowed"));
        // A plain sub-document is an exact match.
        assert_eq!(filter(r#"{"address": {"city": "Oslo"}}"#).unwrap(), doc! { "address": { "city": "Oslo" } });
        // Operators in the wrong place name themselves.
        assert!(refused(r#"{"$gt": 5}"#).contains("$gt applies to a field"));
        assert!(refused(r#"{"score": {"$or": [{"a": 1}]}}"#).contains("$or combines queries"));
    }

    #[test]
    fn regex_only_on_regex_fields() {
        assert_eq!(
            filter(r#"{"title": {"$regex": "^rust", "$options": "i"}}"#).unwrap(),
            doc! { "title": { "$regex": "^rust", "$options": "i" } }
        );
        assert_eq!(
            filter(r#"{"title": {"$not": {"$regex": "java"}}}"#).unwrap(),
            doc! { "title": { "$not": { "$regex": "java" } } }
        );
        assert!(filter(r#"{"comments": {"$elemMatch": {"body": {"$regex": "x"}}}}"#).is_ok());
        for text in [
            r#"{"author": {"$regex": "^a"}}"#,
            r#"{"author": {"$options": "i", "$regex": "^a"}}"#,
            r#"{"author": {"$not": {"$regex": "^a"}}}"#,
            r#"{"$or": [{"author": {"$regex": "^a"}}]}"#,
            r#"{"comments": {"$elemMatch": {"by": {"$regex": "^a"}}}}"#,
        ] {
            assert!(refused(text).contains("regex is not allowed on field"), "{text}");
        }
        assert!(refused(r#"{"title": {"$regex": "a", "$options": "g"}}"#).contains("unknown flag"));
        assert!(refused(r#"{"title": {"$options": "i"}}"#).contains("needs a $regex"));
        assert!(refused(r#"{"title": {"$regex": 5}}"#).contains("needs a string"));
        assert!(refused(r#"{"title": {"$regex": "("}}"#).contains("$regex on field title"));
        assert!(refused(r#"{"title": {"$regex": "a(?=b)"}}"#).contains("look-around"));
    }

    #[test]
    fn fields_must_be_allowed_and_well_formed() {
        assert!(refused(r#"{"selftext": "x"}"#).contains("filter on field selftext is not allowed"));
        assert!(refused(r#"selftext == "x""#).contains("filter on field selftext is not allowed"));
        assert!(refused(r#"{"$or": [{"score": 1}, {"keywords": "x"}]}"#).contains("keywords"));
        assert!(refused(r#"{"ghost": 1}"#).contains("ghost"));
        assert!(refused(r#"{"": 1}"#).contains("empty field name"));
        assert!(refused(r#"{"title$x": 1}"#).contains("may not contain '$'"));
        assert!(refused(r#"{"address..city": 1}"#).contains("invalid field name"));
    }

    #[test]
    fn operand_types_are_checked() {
        assert_eq!(
            filter(r#"{"tags": {"$size": 2, "$all": ["a", "b"], "$exists": true, "$type": ["array", 4]}}"#).unwrap(),
            doc! { "tags": { "$size": 2_i64, "$all": ["a", "b"], "$exists": true, "$type": ["array", 4] } }
        );
        assert_eq!(
            filter(r#"{"score": {"$mod": [4, 1]}, "tags": {"$elemMatch": {"$gt": "a", "$lt": "m"}}}"#).unwrap(),
            doc! { "score": { "$mod": [4_i64, 1_i64] }, "tags": { "$elemMatch": { "$gt": "a", "$lt": "m" } } }
        );
        for (text, operator) in [
            (r#"{"tags": {"$size": -1}}"#, "$size"),
            (r#"{"tags": {"$size": 1.5}}"#, "$size"),
            (r#"{"tags": {"$exists": 1}}"#, "$exists"),
            (r#"{"tags": {"$type": "bogus"}}"#, "$type"),
            (r#"{"score": {"$mod": [0, 1]}}"#, "$mod"),
            (r#"{"score": {"$mod": [3]}}"#, "$mod"),
            (r#"{"score": {"$in": 3}}"#, "$in"),
            (r#"{"score": {"$not": 3}}"#, "$not"),
            (r#"{"$or": []}"#, "$or"),
            (r#"{"$and": [1]}"#, "$and"),
            (r#"{"tags": {"$elemMatch": "a"}}"#, "$elemMatch"),
            (r#"{"comments": {"$elemMatch": {"$gt": 1, "body": "x"}}}"#, "$elemMatch"),
        ] {
            assert!(refused(text).contains(operator), "{text}");
        }
    }

    #[test]
    fn malformed_text_is_refused_with_the_column() {
        assert!(refused(r#"{"score": "#).contains("not valid JSON"));
        assert!(refused(r#"{"score": 1} trailing"#).contains("not valid JSON"));
        assert_eq!(refused("score >= and x"), "invalid where: expected a value at column 10");
        assert!(refused("score > ").contains("expected a value at column 9"));
        assert!(refused("score > 5 and").contains("expected a field name or '(' at column 14"));
        assert!(refused("(score > 5").contains("expected ')' at column 11"));
        assert!(refused("score = 5").contains("column 7"));
        assert!(refused("score 5").contains("expected a comparison"));
        assert!(refused("score > 5 author == 'x'").contains("expected 'and', 'or' or the end at column 11"));
        assert!(refused(r#"title == "open"#).contains("unterminated string at column 10"));
        assert!(refused(r#"title == "a\qb""#).contains("unknown escape"));
        assert!(refused("title == other").contains("expected a value at column 10"));
        assert!(refused("tags in 'a'").contains("expected a list"));
        assert!(refused("tags not 'a'").contains("'in' after 'not'"));
        assert!(refused("score > 99999999999999999999").contains("out of range"));
        assert!(refused(r#"title == {"$where": "1"}"#).contains("unexpected character '{'"));
        assert!(refused("[1]").contains("expected a field name"));
    }

    #[test]
    fn size_and_depth_are_limited() {
        let long = format!(r#"{{"title": "{}"}}"#, "a".repeat(MAX_WHERE_LEN));
        assert!(refused(&long).contains("longer than 4096"));

        let mut deep = String::from(r#"{"score": 1}"#);
        for _ in 0..10 {
            deep = format!(r#"{{"$and": [{deep}]}}"#);
        }
        assert!(refused(&deep).contains("nested deeper than 20"));
        let mut shallow = String::from(r#"{"score": 1}"#);
        for _ in 0..9 {
            shallow = format!(r#"{{"$and": [{shallow}]}}"#);
        }
        assert!(filter(&shallow).is_ok());

        let parens = format!("{}score == 1{}", "(".repeat(30), ")".repeat(30));
        assert!(refused(&parens).contains("nested deeper than 20"));
        assert!(refused(&format!("{}score == 1", "not ".repeat(30))).contains("nested deeper than 20"));

        let many: Vec<String> = (0..=MAX_LIST_ITEMS).map(|i| i.to_string()).collect();
        assert!(refused(&format!(r#"{{"score": {{"$in": [{}]}}}}"#, many.join(","))).contains("at most 1000"));
        assert!(refused(&format!("score in [{}]", many.join(","))).contains("at most 1000"));
    }

    #[test]
    fn sort_takes_both_syntaxes_and_ends_with_id() {
        let resource = posts();
        let sort = |text: &str| parse_sort(text, &resource);
        let expected = doc! { "score": -1, "title": 1, "_id": 1 };
        assert_eq!(sort("-score, title").unwrap(), expected);
        assert_eq!(sort(r#"[("score", -1), ("title", 1)]"#).unwrap(), expected);
        assert_eq!(sort(r#"[["score", -1], ["title", 1]]"#).unwrap(), expected);
        assert_eq!(sort(r#"[["score", -1]]"#).unwrap(), doc! { "score": -1, "_id": -1 });
        assert_eq!(sort("-_created,-_id").unwrap(), doc! { "_created": -1, "_id": -1 });
        assert_eq!(sort(" _id ").unwrap(), doc! { "_id": 1 });

        let message = |text: &str| {
            let e = sort(text).expect_err(text);
            assert_eq!(e.param, "sort");
            e.to_string()
        };
        assert!(message(r#"[("score", 2)]"#).contains("expected a direction, 1 or -1, at column 12"));
        assert!(message(r#"[("score", "desc")]"#).contains("direction"));
        assert!(message("selftext").contains("sorting by field selftext is not allowed"));
        assert!(message("ghost").contains("ghost"));
        assert!(message("$where").contains("'$'"));
        assert!(message("score,-score").contains("appears twice"));
        assert!(message("").contains("empty"));
        assert!(message("score,,title").contains("empty field name"));
        assert!(message("score,title,author,tags,ratio,num_comments").contains("at most 5"));
        assert!(message(r#"[("score", -1)"#).contains("expected ',' or ']'"));
        assert_eq!(message("-"), "invalid sort: empty field name");
    }

    #[test]
    fn projection_is_inclusive_or_exclusive_and_keeps_meta_fields() {
        let resource = posts();
        let projection = |text: &str| parse_projection(text, &resource);
        assert_eq!(
            projection(r#"{"title": 1, "address.city": true, "_id": 0}"#).unwrap(),
            doc! { "title": 1, "address.city": 1, "_id": 1, "_created": 1, "_updated": 1, "_etag": 1 }
        );
        assert_eq!(projection(r#"{"keywords": 1}"#).unwrap().get_i32("keywords"), Ok(1));
        assert_eq!(projection(r#"{"selftext": 0, "_etag": 0}"#).unwrap(), doc! { "selftext": 0, "keywords": 0 });
        assert_eq!(projection(r#"{"keywords": 0}"#).unwrap(), doc! { "keywords": 0 });
        assert_eq!(projection("{}").unwrap(), doc! { "keywords": 0 });
        assert_eq!(default_projection(&resource), Some(doc! { "keywords": 0 }));
        let users = Domain::parse(DOMAIN).unwrap().resource("users").unwrap().clone();
        assert_eq!(default_projection(&users), None);
        assert_eq!(parse_projection(r#"{"name": 0}"#, &users).unwrap(), doc! { "name": 0 });

        let message = |text: &str| {
            let e = projection(text).expect_err(text);
            assert_eq!(e.param, "projection");
            e.to_string()
        };
        assert!(message(r#"{"title": 1, "selftext": 0}"#).contains("cannot mix"));
        assert!(message(r#"{"ghost": 1}"#).contains("unknown field ghost"));
        assert!(message(r#"{"tags": {"$slice": 1}}"#).contains("$slice on tags is not allowed"));
        assert!(message(r#"{"tags.$": 1}"#).contains("positional"));
        assert!(message(r#"{"title": 2}"#).contains("must be 1 or 0"));
        assert!(message(r#"{"address": 1, "address.city": 1}"#).contains("overlap"));
        assert!(message("[1]").contains("must be a JSON object"));
        assert!(message("{title: 1}").contains("not valid JSON"));
    }

    #[test]
    fn only_embeddable_relations_can_be_embedded() {
        let resource = posts();
        let embedded = |text: &str| parse_embedded(text, &resource);
        assert_eq!(embedded(r#"{"author_id": 1, "related": 0}"#).unwrap(), ["author_id"]);
        assert_eq!(embedded(r#"{"related": true}"#).unwrap(), ["related"]);
        assert!(embedded("{}").unwrap().is_empty());
        for (text, expected) in [
            (r#"{"editor_id": 1}"#, "field editor_id cannot be embedded"),
            (r#"{"title": 1}"#, "field title cannot be embedded"),
            (r#"{"ghost": 1}"#, "unknown field ghost"),
            (r#"{"address.city": 1}"#, "unknown field address.city"),
            (r#"{"author_id": 2}"#, "must be 1 or 0"),
            (r#"["author_id"]"#, "must be a JSON object"),
            ("author_id", "not valid JSON"),
        ] {
            let e = embedded(text).expect_err(text);
            assert_eq!(e.param, "embedded");
            assert!(e.to_string().contains(expected), "{text}: {e}");
        }
    }
}
