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
//!
//! # Layout
//! - `rules.rs`: compiling a field's rules at startup.
//! - `walk.rs`: checking and converting one body against them.

use std::collections::BTreeMap;

use mongodb::bson::{Bson, Document};
use serde_json::Value;

use super::domain::{Computed, ComputedFunction, Resource};

mod rules;
mod walk;

use rules::{compile, Rules};
use walk::{join, Context, Walk};

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

#[cfg(test)]
mod tests;
