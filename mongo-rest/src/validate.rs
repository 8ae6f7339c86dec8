//! Validation of `POST`, `PUT` and `PATCH` bodies against a resource's
//! schema (Eve's Cerberus), producing the BSON to write.
//!
//! A [`Validator`] is compiled once per resource at startup: regexes are
//! anchored and compiled, `allowed` values and defaults are converted to the
//! field's BSON type (and defaults are checked against the field's own
//! rules), so that a mistake in the domain file stops startup instead of
//! failing requests. [`Validator::validate`] then checks one JSON body and
//! either returns what to write or *every* problem it found, as Eve's
//! `_issues` (field → message, dotted paths for nested fields).
//!
//! What this module hands off to its caller:
//! - `unique` fields are only listed ([`Validator::unique_fields`]); checking
//!   them needs the database.
//! - `data_relation` ids are only type-checked (24 hex digits); whether the
//!   document they name exists is the caller's question, for the same reason.
//! - A `PATCH` returns the argument of a `$set` (nested dicts flattened into
//!   dotted paths, so they merge) and the computed fields to recompute; the
//!   caller merges it into the stored document ([`apply_set`]) and
//!   recomputes ([`apply_computed`]).
//! - Meta fields (`_id`, `_created`, `_updated`, `_etag`) are the caller's to
//!   write.
//!
//! Where this is stricter than Eve, on purpose:
//! - A client never chooses `_id` (Eve accepts one unless told otherwise):
//!   ids come from the server, so a `PUT` cannot move a document and a
//!   `POST` cannot squat an id. Every meta field sent, and `_links` and
//!   `_status`, is "field is read-only"; any other top-level key starting
//!   with `_` is reserved for the server.
//! - No key anywhere in a body, schema or free-form (`allow_unknown`, dicts
//!   without a schema), may contain `$`, `.` or NUL, or be empty: that is
//!   what keeps `{"score": {"$inc": 1}}` or `{"$where": …}` from ever
//!   reaching MongoDB as an operator, and keeps the dotted `$set` paths of a
//!   `PATCH` unambiguous.
//! - Bodies nest at most [`MAX_DEPTH`] levels (Eve has no limit beyond
//!   Python's recursion limit).
//!
//! Teaching shortcut: a field with several problems gets them joined with
//! `"; "` in one message, where Eve sends a list; one string per field keeps
//! the [`Issues`] type (and the templates that show it) simple.

use std::collections::BTreeMap;

use mongodb::bson::{Bson, Document};
use regex::Regex;
use serde_json::{Map, Value};

use super::convert::{json_to_bson, toml_to_json, untyped, TypeMismatch};
use super::domain::{Computed, ComputedFunction, Field, FieldType, Resource};

/// The deepest a body may nest, counting the body itself as level 1: a
/// bound on the recursion below and on what a client can make us walk.
pub const MAX_DEPTH: usize = 32;

/// Top-level keys the server writes (Eve's meta fields and the envelope's
/// `_links`/`_status`); a client sending one is told it is read-only.
const META_KEYS: [&str; 6] = ["_id", "_created", "_updated", "_etag", "_links", "_status"];

/// The message for fields only the server writes.
const READ_ONLY: &str = "field is read-only";

/// How a body is validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `POST`: required fields are enforced and defaults applied.
    Create,
    /// `PUT`: like [`Mode::Create`], the body is the whole new document.
    Replace,
    /// `PATCH`: only the fields given are checked and merged; `required` is
    /// not enforced and no default is applied (the stored document has them).
    Patch,
}

/// Field → message, Eve's `_issues`: dotted paths for nested fields
/// (`address.city`) and list items (`tags.2`); `_body` when the body is not
/// an object at all. A `BTreeMap` so that the order is deterministic.
pub type Issues = BTreeMap<String, String>;

/// What a valid body turns into.
#[derive(Debug, Clone, PartialEq)]
pub struct Validated {
    /// For [`Mode::Create`] and [`Mode::Replace`]: the full document
    /// (defaults applied, computed fields computed, no meta fields). For
    /// [`Mode::Patch`]: the argument of `$set`, nested dicts flattened into
    /// dotted paths (`{"address.city": "x"}`) so that they merge; a list is
    /// set whole.
    pub document: Document,
    /// [`Mode::Patch`] only: the computed fields whose sources the body
    /// touched. Their new value needs the stored document, so the caller
    /// merges ([`apply_set`]) and then calls [`apply_computed`].
    pub recompute: Vec<String>,
}

/// One field's rules, compiled: the regex anchored and compiled, `allowed`
/// and `default` converted to BSON.
#[derive(Debug, Clone)]
struct Rules {
    /// The field's type.
    kind: FieldType,
    /// Must be present on `POST`/`PUT` (and has no default).
    required: bool,
    /// `null` is accepted.
    nullable: bool,
    /// Clients may not send it (`readonly`, or `computed`).
    readonly: bool,
    /// Smallest number.
    min: Option<f64>,
    /// Largest number.
    max: Option<f64>,
    /// Fewest characters or items.
    minlength: Option<usize>,
    /// Most characters or items.
    maxlength: Option<usize>,
    /// The accepted values (of each item, for lists), as BSON of the type.
    allowed: Option<Vec<Bson>>,
    /// The anchored regex, and the domain's text of it for messages.
    regex: Option<(Regex, String)>,
    /// The value written when `POST`/`PUT` leave the field out.
    default: Option<Bson>,
    /// A list's item rules (none: items are free-form).
    items: Option<Box<Rules>>,
    /// A dict's keys (none: the dict is free-form).
    schema: Option<BTreeMap<String, Rules>>,
}

/// A resource's schema compiled once at startup, to validate bodies.
#[derive(Debug, Clone)]
pub struct Validator {
    /// The top-level fields' rules.
    fields: BTreeMap<String, Rules>,
    /// Whether top-level fields outside the schema are accepted.
    allow_unknown: bool,
    /// The top-level `unique` fields, in schema order.
    unique: Vec<String>,
    /// The computed fields and how to compute them.
    computed: Vec<(String, Computed)>,
}

impl Validator {
    /// Compiles a resource's schema. Fails, naming the place
    /// (`schema.address.schema.zip.regex: …`), on what the domain's own
    /// checks let through: a rule that does not apply to the field's type,
    /// an `allowed` value or a default that the field itself would refuse.
    pub fn new(resource: &Resource) -> Result<Self, String> {
        let mut fields = BTreeMap::new();
        for (name, field) in &resource.schema {
            fields.insert(name.clone(), compile(&format!("schema.{name}"), field, true)?);
        }
        let unique = resource.schema.iter().filter(|(_, f)| f.unique).map(|(name, _)| name.clone()).collect();
        let computed = resource
            .schema
            .iter()
            .filter_map(|(name, f)| f.computed.as_ref().map(|c| (name.clone(), c.clone())))
            .collect();
        Ok(Self { fields, allow_unknown: resource.allow_unknown, unique, computed })
    }

    /// Validates one JSON body (see [`Validated`] for what comes back). On
    /// failure, every issue found is returned, not only the first.
    pub fn validate(&self, body: &Value, mode: Mode) -> Result<Validated, Issues> {
        let Value::Object(map) = body else {
            return Err(Issues::from([("_body".to_owned(), "expected a JSON object".to_owned())]));
        };
        let mut walk = Walk::default();
        let context = Context { full: mode != Mode::Patch, trusted: false };
        let document = walk.dict(&self.fields, map, "", 1, context, Some(self.allow_unknown));
        let document = match document {
            Some(document) if walk.issues.is_empty() => document,
            _ => return Err(walk.issues),
        };
        match mode {
            Mode::Create | Mode::Replace => {
                let mut document = document;
                for (name, computed) in &self.computed {
                    let value = compute(computed, &document);
                    document.insert(name.clone(), value);
                }
                Ok(Validated { document, recompute: Vec::new() })
            }
            Mode::Patch => {
                let mut set = Document::new();
                flatten("", document, &mut set);
                let recompute = self
                    .computed
                    .iter()
                    .filter(|(_, computed)| computed.from.iter().any(|source| map.contains_key(source)))
                    .map(|(name, _)| name.clone())
                    .collect();
                Ok(Validated { document: set, recompute })
            }
        }
    }

    /// The top-level fields marked `unique`, in schema order; the caller
    /// checks them against the database (and a unique index backs it up).
    pub fn unique_fields(&self) -> &[String] {
        &self.unique
    }
}

/// Recomputes the computed fields of a full document in place: after a
/// `PATCH` has been merged into the stored document ([`apply_set`]), the
/// sources may come partly from the body and partly from the database.
pub fn apply_computed(resource: &Resource, doc: &mut Document) {
    for (name, field) in &resource.schema {
        if let Some(computed) = &field.computed {
            let value = compute(computed, doc);
            doc.insert(name.clone(), value);
        }
    }
}

/// Merges a `PATCH`'s `$set` document (dotted paths, as
/// [`Validator::validate`] returns it) into a stored document, the way
/// MongoDB's `$set` would, with one difference: where a path goes through
/// a missing value, `null` or a scalar, a new dict replaces it (as Eve's
/// merge does) where MongoDB would refuse the update. Writing the merged
/// document whole therefore always works.
pub fn apply_set(doc: &mut Document, set: &Document) {
    for (path, value) in set {
        set_path(doc, path, value.clone());
    }
}

/// Sets one dotted path (keys never contain `.`: validation refuses them).
fn set_path(doc: &mut Document, path: &str, value: Bson) {
    match path.split_once('.') {
        None => {
            doc.insert(path, value);
        }
        Some((head, rest)) => {
            let slot = doc.entry(head.to_owned()).or_insert_with(|| Bson::Document(Document::new()));
            if let Bson::Document(inner) = slot {
                set_path(inner, rest, value);
            } else {
                let mut inner = Document::new();
                set_path(&mut inner, rest, value);
                *slot = Bson::Document(inner);
            }
        }
    }
}

/// A computed field's value from a document's source fields. Only string
/// sources count: a missing or non-string source adds no text.
fn compute(computed: &Computed, doc: &Document) -> Bson {
    match computed.function {
        ComputedFunction::Keywords => {
            let text: Vec<&str> = computed.from.iter().filter_map(|source| doc.get_str(source).ok()).collect();
            Bson::Array(datasets::keywords(&text.join(" ")).into_iter().map(Bson::String).collect())
        }
    }
}

/// Flattens nested dicts into dotted paths, so that `$set` merges them
/// instead of replacing them. An empty dict merges nothing, so it writes
/// nothing (setting `{}` would erase the stored keys).
fn flatten(prefix: &str, doc: Document, out: &mut Document) {
    for (key, value) in doc {
        let path = join(prefix, &key);
        match value {
            Bson::Document(inner) => flatten(&path, inner, out),
            other => {
                out.insert(path, other);
            }
        }
    }
}

/// Compiles one field's rules; `at` names it in error messages.
fn compile(at: &str, field: &Field, top: bool) -> Result<Rules, String> {
    let kind = field.kind;
    let numeric = matches!(kind, FieldType::Integer | FieldType::Float | FieldType::Number);
    if (field.min.is_some() || field.max.is_some()) && !numeric {
        return Err(format!("{at}: min and max apply to numbers only, not to {}", kind.as_str()));
    }
    if (field.minlength.is_some() || field.maxlength.is_some()) && !matches!(kind, FieldType::String | FieldType::List)
    {
        return Err(format!("{at}: minlength and maxlength apply to strings and lists only"));
    }
    if field.regex.is_some() && kind != FieldType::String {
        return Err(format!("{at}: regex applies to strings only"));
    }
    if field.allowed.is_some() && kind == FieldType::Dict {
        return Err(format!("{at}: allowed does not apply to dicts"));
    }
    if let Some(computed) = &field.computed {
        if !top {
            return Err(format!("{at}: only top-level fields can be computed"));
        }
        match computed.function {
            ComputedFunction::Keywords => {
                let strings = field.items.as_ref().is_none_or(|items| items.kind == FieldType::String);
                if kind != FieldType::List || !strings {
                    return Err(format!("{at}: computed keywords are a list of strings (type = \"list\")"));
                }
            }
        }
    }
    let regex = match &field.regex {
        // Cerberus matches the whole string: `^t3_` alone must not accept
        // `t3_x<script>`, so the domain's regex is anchored at both ends.
        Some(text) => {
            Some((Regex::new(&format!("^(?:{text})$")).map_err(|e| format!("{at}.regex: {e}"))?, text.clone()))
        }
        None => None,
    };
    let items = match &field.items {
        Some(items) => Some(Box::new(compile(&format!("{at}.items"), items, false)?)),
        None => None,
    };
    let schema = match &field.schema {
        Some(schema) => {
            let mut compiled = BTreeMap::new();
            for (key, sub) in schema {
                if let Some(problem) = key_problem(key) {
                    return Err(format!("{at}.schema.{key}: {problem}"));
                }
                compiled.insert(key.clone(), compile(&format!("{at}.schema.{key}"), sub, false)?);
            }
            Some(compiled)
        }
        None => None,
    };
    // `allowed` on a list constrains each item, so its values have the
    // items' type; on an untyped list they are stored untyped too.
    let allowed_kind = if kind == FieldType::List { items.as_ref().map(|items| items.kind) } else { Some(kind) };
    let allowed = match &field.allowed {
        Some(values) => {
            let mut converted = Vec::with_capacity(values.len());
            for value in values {
                let json = toml_to_json(value).map_err(|e| format!("{at}.allowed: {e}"))?;
                converted.push(match allowed_kind {
                    Some(kind) => json_to_bson(kind, &json).map_err(|e| format!("{at}.allowed: {json}: {e}"))?,
                    None => untyped(&json),
                });
            }
            Some(converted)
        }
        None => None,
    };
    let mut rules = Rules {
        kind,
        required: field.required,
        nullable: field.nullable,
        readonly: field.readonly || field.computed.is_some(),
        min: field.min,
        max: field.max,
        minlength: field.minlength,
        maxlength: field.maxlength,
        allowed,
        regex,
        default: None,
        items,
        schema,
    };
    if let Some(default) = &field.default {
        // The default goes through the field's own rules, so that a default
        // above `maxlength` or outside `allowed` is a startup error and not
        // a document that the API itself would refuse on the next `PUT`.
        let json = toml_to_json(default).map_err(|e| format!("{at}.default: {e}"))?;
        let mut walk = Walk::default();
        let path = format!("{at}.default");
        let value = walk.value(&rules, &json, &path, 1, Context { full: true, trusted: true });
        match value {
            Some(value) if walk.issues.is_empty() => rules.default = Some(value),
            _ => {
                let issues: Vec<String> =
                    walk.issues.iter().map(|(path, message)| format!("{path}: {message}")).collect();
                return Err(issues.join("; "));
            }
        }
    }
    Ok(rules)
}

/// What a key cannot be, at any depth: empty, or holding `$` (operators),
/// `.` (paths) or NUL (BSON keys are C strings).
fn key_problem(key: &str) -> Option<&'static str> {
    if key.is_empty() {
        Some("field names may not be empty")
    } else if key.contains(['$', '.', '\0']) {
        Some("field names may not contain '$', '.' or NUL")
    } else {
        None
    }
}

/// `prefix.key`, or `key` at the top.
fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

/// A number as `f64`, for `min`/`max` and for comparing `allowed` values
/// across integer and float spellings.
fn number(value: &Bson) -> Option<f64> {
    match value {
        Bson::Int64(i) => Some(*i as f64),
        Bson::Int32(i) => Some(f64::from(*i)),
        Bson::Double(f) => Some(*f),
        _ => None,
    }
}

/// Whether a value is one of the `allowed` ones: numbers by value (`2`
/// equals `2.0` in a `number` field), everything else exactly.
fn same_value(a: &Bson, b: &Bson) -> bool {
    match (a, b) {
        (Bson::Int64(x), Bson::Int64(y)) => x == y,
        _ => match (number(a), number(b)) {
            (Some(x), Some(y)) => x == y,
            _ => a == b,
        },
    }
}

/// A value in a message, as Cerberus shows it: strings bare, the rest as
/// JSON.
fn show(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// How the current value is checked.
#[derive(Debug, Clone, Copy)]
struct Context {
    /// The value is whole (`POST`, `PUT`, a list item, a default): enforce
    /// `required` and apply defaults. Off for the dicts of a `PATCH`, which
    /// merge into what is stored.
    full: bool,
    /// The value comes from the domain file (a default), not a client:
    /// read-only keys are accepted.
    trusted: bool,
}

/// One validation pass, collecting issues as it goes. Every check method
/// returns the converted value, or `None` when it recorded an issue for
/// the value or anything inside it.
#[derive(Debug, Default)]
struct Walk {
    /// Everything found so far.
    issues: Issues,
}

impl Walk {
    /// Records a problem; a second one for the same path is appended.
    fn add(&mut self, path: &str, message: &str) {
        self.issues
            .entry(path.to_owned())
            .and_modify(|existing| {
                existing.push_str("; ");
                existing.push_str(message);
            })
            .or_insert_with(|| message.to_owned());
    }

    /// Records that a container is too deep, if it is.
    fn too_deep(&mut self, value: &Value, path: &str, depth: usize) -> bool {
        let deep = (value.is_array() || value.is_object()) && depth >= MAX_DEPTH;
        if deep {
            self.add(path, &format!("too deeply nested (max depth is {MAX_DEPTH})"));
        }
        deep
    }

    /// Checks a value against a field's rules. `depth` is the number of
    /// containers around it (a top-level field's value is at 1).
    fn value(&mut self, rules: &Rules, value: &Value, path: &str, depth: usize, context: Context) -> Option<Bson> {
        if value.is_null() {
            if rules.nullable {
                return Some(Bson::Null);
            }
            self.add(path, "null value not allowed");
            return None;
        }
        if self.too_deep(value, path, depth) {
            return None;
        }
        match (rules.kind, value) {
            (FieldType::List, Value::Array(items)) => self.list(rules, items, path, depth, context),
            (FieldType::Dict, Value::Object(map)) => match &rules.schema {
                Some(schema) => self.dict(schema, map, path, depth + 1, context, None).map(Bson::Document),
                None => self.free(value, path, depth),
            },
            (FieldType::List | FieldType::Dict, _) => {
                self.add(path, &TypeMismatch(rules.kind).to_string());
                None
            }
            (kind, _) => match json_to_bson(kind, value) {
                Ok(converted) => self.scalar(rules, value, converted, path),
                Err(mismatch) => {
                    self.add(path, &mismatch.to_string());
                    None
                }
            },
        }
    }

    /// The rules of a scalar that has the right type.
    fn scalar(&mut self, rules: &Rules, value: &Value, converted: Bson, path: &str) -> Option<Bson> {
        let mut ok = true;
        if let (FieldType::String, Value::String(text)) = (rules.kind, value) {
            // Lengths count characters, as Python's `len` does, not bytes.
            ok &= self.length(rules, text.chars().count(), path);
            if let Some((regex, text_of_regex)) = &rules.regex {
                if !regex.is_match(text) {
                    self.add(path, &format!("value does not match regex '{text_of_regex}'"));
                    ok = false;
                }
            }
        }
        if let Some(n) = number(&converted) {
            if let Some(min) = rules.min.filter(|min| n < *min) {
                self.add(path, &format!("min value is {min}"));
                ok = false;
            }
            if let Some(max) = rules.max.filter(|max| n > *max) {
                self.add(path, &format!("max value is {max}"));
                ok = false;
            }
        }
        if let Some(allowed) = &rules.allowed {
            if !allowed.iter().any(|a| same_value(a, &converted)) {
                self.add(path, &format!("unallowed value {}", show(value)));
                ok = false;
            }
        }
        ok.then_some(converted)
    }

    /// `minlength`/`maxlength` against a length (characters or items).
    fn length(&mut self, rules: &Rules, length: usize, path: &str) -> bool {
        let mut ok = true;
        if let Some(min) = rules.minlength.filter(|min| length < *min) {
            self.add(path, &format!("min length is {min}"));
            ok = false;
        }
        if let Some(max) = rules.maxlength.filter(|max| length > *max) {
            self.add(path, &format!("max length is {max}"));
            ok = false;
        }
        ok
    }

    /// A list: each item against `items` (issues under `path.N`), then the
    /// list's own length and `allowed` rules.
    fn list(&mut self, rules: &Rules, items: &[Value], path: &str, depth: usize, context: Context) -> Option<Bson> {
        let mut ok = self.length(rules, items.len(), path);
        // A list is always written whole, even by a PATCH, so each item is
        // a whole value: its dicts get their required fields and defaults.
        let item_context = Context { full: true, ..context };
        let mut converted = Vec::with_capacity(items.len());
        // `allowed` is checked on every item that converted, so that one bad
        // item does not hide the others' problems.
        let mut refused = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let item_path = format!("{path}.{index}");
            let value = match &rules.items {
                Some(item_rules) => self.value(item_rules, item, &item_path, depth + 1, item_context),
                None => self.free(item, &item_path, depth + 1),
            };
            match value {
                Some(value) => {
                    if let Some(allowed) = &rules.allowed {
                        if !allowed.iter().any(|a| same_value(a, &value)) {
                            refused.push(show(item));
                        }
                    }
                    converted.push(value);
                }
                None => ok = false,
            }
        }
        if !refused.is_empty() {
            self.add(path, &format!("unallowed values {}", refused.join(", ")));
            ok = false;
        }
        ok.then_some(Bson::Array(converted))
    }

    /// A dict with a schema: the body itself (`top` is `Some(allow_unknown)`)
    /// or a nested dict (`top` is `None`; unknown keys are always refused,
    /// since the dict has a schema). `depth` is the depth of its values.
    fn dict(
        &mut self,
        schema: &BTreeMap<String, Rules>,
        map: &Map<String, Value>,
        prefix: &str,
        depth: usize,
        context: Context,
        top: Option<bool>,
    ) -> Option<Document> {
        let mut ok = true;
        let mut document = Document::new();
        for (key, value) in map {
            let path = join(prefix, key);
            let refusal = if top.is_some() && META_KEYS.contains(&key.as_str()) {
                Some(READ_ONLY)
            } else if let Some(problem) = key_problem(key) {
                Some(problem)
            } else if top.is_some() && key.starts_with('_') {
                Some("field names starting with '_' are reserved")
            } else {
                None
            };
            if let Some(message) = refusal {
                self.add(&path, message);
                ok = false;
                continue;
            }
            let converted = match schema.get(key) {
                Some(rules) if rules.readonly && !context.trusted => {
                    self.add(&path, READ_ONLY);
                    None
                }
                Some(rules) => self.value(rules, value, &path, depth, context),
                None if top == Some(true) => self.free(value, &path, depth),
                None => {
                    self.add(&path, "unknown field");
                    None
                }
            };
            match converted {
                Some(converted) => {
                    document.insert(key.clone(), converted);
                }
                None => ok = false,
            }
        }
        if context.full {
            for (name, rules) in schema.iter().filter(|(name, _)| !map.contains_key(*name)) {
                if let Some(default) = &rules.default {
                    document.insert(name.clone(), default.clone());
                } else if rules.required && !rules.readonly {
                    // Read-only fields are the server's to fill: requiring
                    // them of the client could never be satisfied.
                    self.add(&join(prefix, name), "required field");
                    ok = false;
                }
            }
        }
        ok.then_some(document)
    }

    /// A free-form value (an unknown field under `allow_unknown`, a dict
    /// without schema, an item of a list without `items`): stored without
    /// types, but its keys and depth are still checked.
    fn free(&mut self, value: &Value, path: &str, depth: usize) -> Option<Bson> {
        self.free_keys(value, path, depth).then(|| untyped(value))
    }

    /// The key and depth checks of [`Walk::free`], over the whole value.
    fn free_keys(&mut self, value: &Value, path: &str, depth: usize) -> bool {
        if self.too_deep(value, path, depth) {
            return false;
        }
        let mut ok = true;
        match value {
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    ok &= self.free_keys(item, &format!("{path}.{index}"), depth + 1);
                }
            }
            Value::Object(map) => {
                for (key, item) in map {
                    let item_path = join(path, key);
                    if let Some(problem) = key_problem(key) {
                        self.add(&item_path, problem);
                        ok = false;
                    } else {
                        ok &= self.free_keys(item, &item_path, depth + 1);
                    }
                }
            }
            _ => {}
        }
        ok
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use mongodb::bson::{doc, oid::ObjectId, DateTime};
    use serde_json::json;

    use super::*;
    use crate::domain::Domain;

    /// A resource that exercises every rule; `pets` is a list of dicts,
    /// `address` a dict with a schema, `meta` a free-form dict.
    const PEOPLE: &str = r#"
        [resources.people]
        resource_methods = ["GET", "POST"]
        [resources.people.schema]
        name = { type = "string", required = true, minlength = 2, maxlength = 5 }
        age = { type = "integer", min = 0, max = 150 }
        ratio = { type = "float", min = 0.5 }
        amount = { type = "number", allowed = [1, 2.5, 10] }
        active = { type = "boolean", default = true }
        born = { type = "datetime", default = "Tue, 02 Apr 2013 10:29:13 GMT" }
        friend = { type = "objectid", data_relation = { resource = "people" } }
        code = { type = "string", maxlength = 5, regex = "[a-z]+[0-9]" }
        role = { type = "string", allowed = ["admin", "user"], default = "user" }
        nickname = { type = "string", nullable = true }
        tags = { type = "list", minlength = 1, maxlength = 3, allowed = ["a", "b", "cé"], items = { type = "string", maxlength = 2 } }
        scores = { type = "list", items = { type = "integer", min = 0 } }
        anything = { type = "list" }
        meta = { type = "dict" }
        secret = { type = "string", readonly = true }
        email = { type = "string", unique = true }
        [resources.people.schema.address]
        type = "dict"
        nullable = true
        [resources.people.schema.address.schema]
        city = { type = "string", required = true }
        zip = { type = "string", regex = "[0-9]{5}" }
        country = { type = "string", default = "FR" }
        geo = { type = "dict", schema = { lat = { type = "float" }, lon = { type = "float" } } }
        [resources.people.schema.pets]
        type = "list"
        [resources.people.schema.pets.items]
        type = "dict"
        schema = { kind = { type = "string", required = true }, legs = { type = "integer", default = 4 } }

        [resources.notes]
        allow_unknown = true
        [resources.notes.schema]
        text = { type = "string" }
    "#;

    fn validator(resource: &str) -> Validator {
        let domain = Domain::parse(PEOPLE).unwrap();
        Validator::new(domain.resource(resource).unwrap()).unwrap()
    }

    /// The test domain's posts (`tests/domain.toml`), shaped like reddit's.
    fn reddit() -> (Resource, Validator) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/domain.toml");
        let posts = Domain::load(&path).unwrap().resource("posts").unwrap().clone();
        let validator = Validator::new(&posts).unwrap();
        (posts, validator)
    }

    /// The issues of a body that must fail.
    fn issues(validator: &Validator, body: Value, mode: Mode) -> Issues {
        validator.validate(&body, mode).unwrap_err()
    }

    /// The one issue of a body that must fail with exactly one.
    fn issue(validator: &Validator, body: Value, mode: Mode) -> (String, String) {
        let issues = issues(validator, body, mode);
        assert_eq!(issues.len(), 1, "{issues:?}");
        issues.into_iter().next().unwrap()
    }

    fn one(key: &str, message: &str) -> (String, String) {
        (key.to_owned(), message.to_owned())
    }

    #[test]
    fn the_body_must_be_an_object() {
        let people = validator("people");
        for body in [json!([1]), json!("x"), json!(null)] {
            assert_eq!(issue(&people, body, Mode::Create), one("_body", "expected a JSON object"));
        }
    }

    #[test]
    fn each_type_is_converted_to_its_bson_type() {
        let people = validator("people");
        let id = "4b43a616a1b588c68c000000";
        let body = json!({"name": "Ann", "age": 30, "ratio": 1, "amount": 2.5, "active": false,
            "born": "Thu, 01 Jan 1970 00:00:00 GMT", "friend": id, "scores": [1, 2]});
        let document = people.validate(&body, Mode::Create).unwrap().document;
        assert_eq!(document.get("age"), Some(&Bson::Int64(30)));
        assert_eq!(document.get("ratio"), Some(&Bson::Double(1.0)));
        assert_eq!(document.get("amount"), Some(&Bson::Double(2.5)));
        assert_eq!(document.get("active"), Some(&Bson::Boolean(false)));
        assert_eq!(document.get("born"), Some(&Bson::DateTime(DateTime::from_millis(0))));
        assert_eq!(document.get("friend"), Some(&Bson::ObjectId(ObjectId::parse_str(id).unwrap())));
        assert_eq!(document.get("scores"), Some(&Bson::Array(vec![Bson::Int64(1), Bson::Int64(2)])));

        let mismatch = |field: &str, value: Value| {
            let (key, message) = issue(&people, json!({"name": "Ann", field: value}), Mode::Create);
            assert_eq!(key, field);
            message
        };
        assert_eq!(mismatch("age", json!(1.5)), "must be of integer type");
        assert_eq!(mismatch("age", json!("1")), "must be of integer type");
        assert_eq!(mismatch("ratio", json!("x")), "must be of float type");
        assert_eq!(mismatch("amount", json!(true)), "must be of number type");
        assert_eq!(mismatch("active", json!(1)), "must be of boolean type");
        assert_eq!(mismatch("born", json!("1970-01-01")), "must be of datetime type (an RFC 1123 date)");
        assert_eq!(mismatch("friend", json!("4b43")), "must be of objectid type (24 hex digits)");
        assert_eq!(mismatch("name", json!(7)), "must be of string type");
        assert_eq!(mismatch("tags", json!("a")), "must be of list type");
        assert_eq!(mismatch("address", json!(["x"])), "must be of dict type");
        assert_eq!(mismatch("meta", json!(1)), "must be of dict type");
    }

    #[test]
    fn required_fields_are_enforced_on_create_and_replace_only() {
        let people = validator("people");
        for mode in [Mode::Create, Mode::Replace] {
            assert_eq!(issue(&people, json!({"age": 3}), mode), one("name", "required field"));
        }
        let patch = people.validate(&json!({"age": 3}), Mode::Patch).unwrap();
        assert_eq!(patch.document, doc! {"age": 3_i64});
        // Fields with a default are never missing (`role`, `active`, `born`).
        assert!(people.validate(&json!({"name": "Ann"}), Mode::Create).is_ok());
    }

    #[test]
    fn defaults_are_applied_on_create_and_replace_but_not_on_patch() {
        let people = validator("people");
        for mode in [Mode::Create, Mode::Replace] {
            let document = people.validate(&json!({"name": "Ann"}), mode).unwrap().document;
            assert_eq!(document.get("active"), Some(&Bson::Boolean(true)));
            assert_eq!(document.get("role"), Some(&Bson::String("user".into())));
            // Datetime defaults are written as RFC 1123 strings in TOML.
            assert_eq!(document.get("born"), Some(&Bson::DateTime(DateTime::from_millis(1_364_898_553_000))));
            assert_eq!(document.get("age"), None);
        }
        let given = people.validate(&json!({"name": "Ann", "role": "admin"}), Mode::Create).unwrap();
        assert_eq!(given.document.get_str("role"), Ok("admin"));
        let patch = people.validate(&json!({"name": "Ann"}), Mode::Patch).unwrap();
        assert_eq!(patch.document, doc! {"name": "Ann"});
    }

    #[test]
    fn defaults_that_the_field_would_refuse_stop_startup() {
        let cases = [
            ("type = \"string\"\nmaxlength = 2\ndefault = \"abc\"", "schema.f.default: max length is 2"),
            ("type = \"string\"\nallowed = [\"a\"]\ndefault = \"b\"", "unallowed value b"),
            ("type = \"datetime\"\ndefault = \"2013-04-02\"", "must be of datetime type"),
            ("type = \"datetime\"\ndefault = 2013-04-02T10:29:13Z", "RFC 1123"),
            ("type = \"integer\"\nallowed = [\"x\"]", "schema.f.allowed"),
            ("type = \"string\"\nmin = 1", "numbers only"),
            ("type = \"integer\"\nregex = \"x\"", "strings only"),
            ("type = \"string\"\ncomputed = { function = \"keywords\", from = [\"g\"] }", "list of strings"),
        ];
        for (rules, expected) in cases {
            let text = format!("[resources.a.schema.g]\ntype = \"string\"\n[resources.a.schema.f]\n{rules}");
            let domain = Domain::parse(&text).unwrap();
            let error = Validator::new(domain.resource("a").unwrap()).unwrap_err();
            assert!(error.contains(expected), "{rules}: {error}");
        }
    }

    #[test]
    fn null_is_stored_only_where_nullable() {
        let people = validator("people");
        let document = people.validate(&json!({"name": "Ann", "nickname": null}), Mode::Create).unwrap().document;
        assert_eq!(document.get("nickname"), Some(&Bson::Null));
        assert_eq!(issue(&people, json!({"name": null}), Mode::Create), one("name", "null value not allowed"));
        assert_eq!(issue(&people, json!({"age": null}), Mode::Patch), one("age", "null value not allowed"));
        // A nullable dict set to null is set whole, not flattened.
        let patch = people.validate(&json!({"address": null}), Mode::Patch).unwrap();
        assert_eq!(patch.document, doc! {"address": Bson::Null});
    }

    #[test]
    fn numbers_respect_min_and_max() {
        let people = validator("people");
        assert_eq!(issue(&people, json!({"age": -1}), Mode::Patch), one("age", "min value is 0"));
        assert_eq!(issue(&people, json!({"age": 151}), Mode::Patch), one("age", "max value is 150"));
        assert_eq!(issue(&people, json!({"ratio": 0.25}), Mode::Patch), one("ratio", "min value is 0.5"));
        assert!(people.validate(&json!({"age": 0, "ratio": 0.5}), Mode::Patch).is_ok());
        assert!(people.validate(&json!({"age": 150}), Mode::Patch).is_ok());
    }

    #[test]
    fn lengths_count_characters_and_items() {
        let people = validator("people");
        // Five characters, ten bytes: within maxlength = 5.
        assert!(people.validate(&json!({"name": "ééééé"}), Mode::Patch).is_ok());
        assert_eq!(issue(&people, json!({"name": "éééééé"}), Mode::Patch), one("name", "max length is 5"));
        assert_eq!(issue(&people, json!({"name": "é"}), Mode::Patch), one("name", "min length is 2"));
        assert_eq!(issue(&people, json!({"tags": []}), Mode::Patch), one("tags", "min length is 1"));
        assert_eq!(issue(&people, json!({"tags": ["a", "b", "a", "b"]}), Mode::Patch), one("tags", "max length is 3"));
        // Item rules apply to each item, under `field.N`.
        assert!(people.validate(&json!({"tags": ["cé"]}), Mode::Patch).is_ok());
        assert_eq!(issue(&people, json!({"tags": ["a", "b", "abc"]}), Mode::Patch), one("tags.2", "max length is 2"));
    }

    #[test]
    fn allowed_values_are_compared_by_value() {
        let people = validator("people");
        assert_eq!(issue(&people, json!({"role": "root"}), Mode::Patch), one("role", "unallowed value root"));
        assert_eq!(issue(&people, json!({"amount": 3}), Mode::Patch), one("amount", "unallowed value 3"));
        // `10` in the domain file and `10.0` in a body are the same number.
        for amount in [json!(1), json!(1.0), json!(2.5), json!(10.0)] {
            assert!(people.validate(&json!({"amount": amount}), Mode::Patch).is_ok(), "{amount}");
        }
        // For lists, every item must be allowed.
        assert_eq!(issue(&people, json!({"tags": ["a", "x", "y"]}), Mode::Patch), one("tags", "unallowed values x, y"));
    }

    #[test]
    fn regexes_must_match_the_whole_string() {
        let people = validator("people");
        assert!(people.validate(&json!({"code": "abc1"}), Mode::Patch).is_ok());
        for code in ["abc1x", "1abc1", "abc", ""] {
            assert_eq!(
                issue(&people, json!({"code": code}), Mode::Patch),
                one("code", "value does not match regex '[a-z]+[0-9]'"),
                "{code}"
            );
        }
        let (_, posts) = reddit();
        assert_eq!(
            issue(&posts, json!({"name": "t3_abc!"}), Mode::Patch).1,
            "value does not match regex '^t3_[a-z0-9]+$'"
        );
    }

    #[test]
    fn read_only_and_meta_fields_are_refused() {
        let people = validator("people");
        assert_eq!(issue(&people, json!({"secret": "x"}), Mode::Patch), one("secret", READ_ONLY));
        for meta in ["_id", "_created", "_updated", "_etag", "_links", "_status"] {
            assert_eq!(issue(&people, json!({"name": "Ann", meta: "x"}), Mode::Create), one(meta, READ_ONLY));
        }
        let reserved = issue(&people, json!({"name": "Ann", "_deleted": true}), Mode::Create);
        assert_eq!(reserved, one("_deleted", "field names starting with '_' are reserved"));
        // Computed fields are read-only, even when not marked so.
        let (_, posts) = reddit();
        assert_eq!(issue(&posts, json!({"keywords": ["x"]}), Mode::Patch), one("keywords", READ_ONLY));
        let notes = validator("notes");
        assert_eq!(issue(&notes, json!({"_id": "x"}), Mode::Create), one("_id", READ_ONLY));
    }

    #[test]
    fn unknown_fields_are_refused_unless_allowed() {
        let people = validator("people");
        assert_eq!(issue(&people, json!({"name": "Ann", "color": "red"}), Mode::Create), one("color", "unknown field"));
        assert_eq!(
            issue(&people, json!({"address": {"city": "x", "planet": "Mars"}}), Mode::Patch),
            one("address.planet", "unknown field")
        );
        let notes = validator("notes");
        let body = json!({"text": "hi", "color": "red", "n": 2, "when": "Thu, 01 Jan 1970 00:00:00 GMT", "deep": {"a": [1, {"b": null}]}});
        let document = notes.validate(&body, Mode::Create).unwrap().document;
        // Unknown fields are stored untyped: the date stays a string.
        assert_eq!(
            document,
            doc! {"text": "hi", "color": "red", "n": 2_i64, "when": "Thu, 01 Jan 1970 00:00:00 GMT", "deep": {"a": [1_i64, {"b": Bson::Null}]}}
        );
    }

    #[test]
    fn operator_keys_are_refused_at_every_depth() {
        let people = validator("people");
        let notes = validator("notes");
        let dollar = "field names may not contain '$', '.' or NUL";
        assert_eq!(issue(&people, json!({"$where": "1"}), Mode::Patch), one("$where", dollar));
        assert_eq!(issue(&notes, json!({"$where": "1"}), Mode::Patch), one("$where", dollar));
        assert_eq!(issue(&notes, json!({"a.b": 1}), Mode::Patch), one("a.b", dollar));
        // A typed field refuses an operator by its type.
        assert_eq!(issue(&people, json!({"age": {"$inc": 1}}), Mode::Patch), one("age", "must be of integer type"));
        // A dict with a schema, a dict without, lists without item rules,
        // and unknown fields under allow_unknown: all checked all the way down.
        assert_eq!(issue(&people, json!({"address": {"$set": 1}}), Mode::Patch), one("address.$set", dollar));
        assert_eq!(issue(&people, json!({"meta": {"a": {"b": {"$gt": 1}}}}), Mode::Patch), one("meta.a.b.$gt", dollar));
        assert_eq!(
            issue(&people, json!({"anything": [1, {"x": {"$ne": 1}}]}), Mode::Patch),
            one("anything.1.x.$ne", dollar)
        );
        assert_eq!(issue(&notes, json!({"x": [[{"a$": 1}]]}), Mode::Patch), one("x.0.0.a$", dollar));
        assert_eq!(issue(&notes, json!({"x": {"": 1}}), Mode::Patch), one("x.", "field names may not be empty"));
        assert_eq!(issue(&notes, json!({"x": {"a\u{0}": 1}}), Mode::Patch).1, dollar);
        // Nested `_` keys are ordinary keys.
        assert!(notes.validate(&json!({"x": {"_a": 1}}), Mode::Patch).is_ok());
    }

    #[test]
    fn nested_dicts_are_validated_and_patches_merge_them() {
        let people = validator("people");
        let body = json!({"name": "Ann", "address": {"city": "Lyon", "geo": {"lat": 45.75}}});
        let document = people.validate(&body, Mode::Create).unwrap().document;
        // Nested defaults apply when the dict is given.
        assert_eq!(
            document.get_document("address").unwrap(),
            &doc! {"city": "Lyon", "geo": {"lat": 45.75}, "country": "FR"}
        );
        assert_eq!(
            issue(&people, json!({"name": "Ann", "address": {"zip": "69001"}}), Mode::Create),
            one("address.city", "required field")
        );
        assert_eq!(
            issue(&people, json!({"address": {"geo": {"lat": "north"}}}), Mode::Patch),
            one("address.geo.lat", "must be of float type")
        );
        // A PATCH merges dicts through dotted paths, without nested required
        // fields or defaults; a list is set whole.
        let patch =
            people.validate(&json!({"address": {"geo": {"lon": 4.85}, "zip": "69001"}, "scores": [3]}), Mode::Patch);
        assert_eq!(
            patch.unwrap(),
            Validated {
                document: doc! {"address.geo.lon": 4.85, "address.zip": "69001", "scores": [3_i64]},
                recompute: vec![]
            }
        );
        // An empty dict merges nothing.
        assert_eq!(people.validate(&json!({"address": {}}), Mode::Patch).unwrap().document, doc! {});
        // Free-form dicts merge too.
        assert_eq!(
            people.validate(&json!({"meta": {"a": {"b": 1}}}), Mode::Patch).unwrap().document,
            doc! {"meta.a.b": 1_i64}
        );
    }

    #[test]
    fn list_items_are_validated_as_whole_values() {
        let people = validator("people");
        let body = json!({"pets": [{"kind": "cat"}, {"legs": 2}, {"kind": "bird", "legs": "two"}, 3]});
        let issues = issues(&people, body, Mode::Patch);
        assert_eq!(
            issues,
            Issues::from([
                one("pets.1.kind", "required field"),
                one("pets.2.legs", "must be of integer type"),
                one("pets.3", "must be of dict type"),
            ])
        );
        // Even in a PATCH the list is written whole: item defaults apply.
        let patch = people.validate(&json!({"pets": [{"kind": "cat"}]}), Mode::Patch).unwrap();
        assert_eq!(patch.document, doc! {"pets": [{"kind": "cat", "legs": 4_i64}]});
        assert_eq!(issue(&people, json!({"scores": [1, -1]}), Mode::Patch), one("scores.1", "min value is 0"));
    }

    #[test]
    fn every_issue_is_reported_at_once() {
        let people = validator("people");
        let body = json!({"age": -3, "code": "?", "_id": "x", "color": 1, "name": "abcdefgh", "tags": [1], "address": {"zip": 5}});
        assert_eq!(
            issues(&people, body, Mode::Create),
            Issues::from([
                one("_id", READ_ONLY),
                one("address.city", "required field"),
                one("address.zip", "must be of string type"),
                one("age", "min value is 0"),
                one("code", "value does not match regex '[a-z]+[0-9]'"),
                one("color", "unknown field"),
                one("name", "max length is 5"),
                one("tags.0", "must be of string type"),
            ])
        );
        // Several problems with one field share its entry, joined by "; ".
        let tags = issue(&people, json!({"tags": ["a", "b", "x", "y"]}), Mode::Patch);
        assert_eq!(tags, one("tags", "max length is 3; unallowed values x, y"));
        let code = issue(&people, json!({"code": "abcdefg"}), Mode::Patch);
        assert_eq!(code, one("code", "max length is 5; value does not match regex '[a-z]+[0-9]'"));
    }

    #[test]
    fn nesting_is_limited() {
        let notes = validator("notes");
        let nested = |levels: usize| {
            let mut value = json!(1);
            for _ in 0..levels {
                value = json!({ "a": value });
            }
            json!({ "deep": value })
        };
        // The body is level 1, so `deep` may hold 31 levels of objects.
        assert!(notes.validate(&nested(31), Mode::Create).is_ok());
        let (key, message) = issue(&notes, nested(40), Mode::Create);
        assert_eq!(key, format!("deep{}", ".a".repeat(31)));
        assert_eq!(message, "too deeply nested (max depth is 32)");
        let people = validator("people");
        let mut list = json!([]);
        for _ in 0..40 {
            list = json!([list]);
        }
        assert!(issue(&people, json!({ "anything": list }), Mode::Patch).1.starts_with("too deeply nested"));
    }

    #[test]
    fn unique_fields_are_listed_for_the_caller() {
        assert_eq!(validator("people").unique_fields(), ["email"]);
        assert_eq!(reddit().1.unique_fields(), ["name"]);
    }

    #[test]
    fn a_reddit_post_gets_its_defaults_and_keywords() {
        let (_, posts) = reddit();
        let body = json!({"name": "t3_abc", "author": "alice", "title": "Running with Rust",
            "created_utc": "Tue, 02 Apr 2013 10:29:13 GMT", "selftext": "Borrow checker tips", "view_count": null});
        let validated = posts.validate(&body, Mode::Create).unwrap();
        let document = validated.document;
        assert_eq!(document.get_i64("score"), Ok(0));
        assert_eq!(document.get_str("subreddit"), Ok("Python"));
        assert_eq!(document.get_str("source"), Ok("reddit"));
        assert_eq!(document.get("view_count"), Some(&Bson::Null));
        assert_eq!(document.get_datetime("created_utc"), Ok(&DateTime::from_millis(1_364_898_553_000)));
        let keywords: Vec<Bson> =
            datasets::keywords("Running with Rust Borrow checker tips").into_iter().map(Bson::String).collect();
        assert!(!keywords.is_empty());
        assert_eq!(document.get_array("keywords"), Ok(&keywords));
        assert!(validated.recompute.is_empty());
        assert!(!document.contains_key("_id"));

        let missing = issues(&posts, json!({"title": ""}), Mode::Create);
        assert_eq!(
            missing,
            Issues::from([
                one("author", "required field"),
                one("created_utc", "required field"),
                one("name", "required field"),
                one("title", "min length is 1"),
            ])
        );
        assert_eq!(issue(&posts, json!({"source": "usenet"}), Mode::Patch), one("source", "unallowed value usenet"));
        assert_eq!(issue(&posts, json!({"ups": -1}), Mode::Patch), one("ups", "min value is 0"));
    }

    #[test]
    fn a_patch_of_a_source_field_asks_for_recomputing() {
        let (resource, posts) = reddit();
        let patch = posts.validate(&json!({"title": "Async Rust explained"}), Mode::Patch).unwrap();
        assert_eq!(
            patch,
            Validated { document: doc! {"title": "Async Rust explained"}, recompute: vec!["keywords".into()] }
        );
        assert!(posts.validate(&json!({"score": 5}), Mode::Patch).unwrap().recompute.is_empty());

        // What the caller then does: merge into the stored document, recompute.
        let mut stored = doc! {"title": "Old", "selftext": "tokio runtime", "keywords": ["old"], "score": 1_i64};
        apply_set(&mut stored, &patch.document);
        apply_computed(&resource, &mut stored);
        let expected: Vec<Bson> =
            datasets::keywords("Async Rust explained tokio runtime").into_iter().map(Bson::String).collect();
        assert_eq!(stored.get_array("keywords"), Ok(&expected));
        assert_eq!(stored.get_i64("score"), Ok(1));
    }

    #[test]
    fn apply_set_merges_dotted_paths_like_eve() {
        let mut stored = doc! {"address": {"city": "Lyon", "zip": "69001"}, "geo": Bson::Null, "n": 1_i64};
        let set = doc! {"address.city": "Paris", "geo.lat": 1.5, "n": 2_i64, "new.deep.key": "x", "tags": ["a"]};
        apply_set(&mut stored, &set);
        assert_eq!(
            stored,
            doc! {"address": {"city": "Paris", "zip": "69001"}, "geo": {"lat": 1.5}, "n": 2_i64, "new": {"deep": {"key": "x"}}, "tags": ["a"]}
        );
    }
}
