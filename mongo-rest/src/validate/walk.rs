//! Walking one body against the compiled rules: every value checked and
//! converted to BSON, every problem recorded under its dotted path.

use std::collections::BTreeMap;

use mongodb::bson::{Bson, Document};
use serde_json::{Map, Value};

use super::*;
use crate::convert::{json_to_bson, untyped, TypeMismatch};
use crate::domain::FieldType;

/// What a key cannot be, at any depth: empty, or holding `$` (operators),
/// `.` (paths) or NUL (BSON keys are C strings).
pub(super) fn key_problem(key: &str) -> Option<&'static str> {
    if key.is_empty() {
        Some("field names may not be empty")
    } else if key.contains(['$', '.', '\0']) {
        Some("field names may not contain '$', '.' or NUL")
    } else {
        None
    }
}

/// `prefix.key`, or `key` at the top.
pub(super) fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

/// A number as `f64`, for `min`/`max` and for comparing `allowed` values
/// across integer and float spellings.
pub(super) fn number(value: &Bson) -> Option<f64> {
    match value {
        Bson::Int64(i) => Some(*i as f64),
        Bson::Int32(i) => Some(f64::from(*i)),
        Bson::Double(f) => Some(*f),
        _ => None,
    }
}

/// Whether a value is one of the `allowed` ones: numbers by value (`2`
/// equals `2.0` in a `number` field), everything else exactly.
pub(super) fn same_value(a: &Bson, b: &Bson) -> bool {
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
pub(super) fn show(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// How the current value is checked.
#[derive(Debug, Clone, Copy)]
pub(super) struct Context {
    /// The value is whole (`POST`, `PUT`, a list item, a default): enforce
    /// `required` and apply defaults. Off for the dicts of a `PATCH`, which
    /// merge into what is stored.
    pub(super) full: bool,
    /// The value comes from the domain file (a default), not a client:
    /// read-only keys are accepted.
    pub(super) trusted: bool,
}

/// One validation pass, collecting issues as it goes. Every check method
/// returns the converted value, or `None` when it recorded an issue for
/// the value or anything inside it.
#[derive(Debug, Default)]
pub(super) struct Walk {
    /// Everything found so far.
    pub(super) issues: Issues,
}

impl Walk {
    /// Records a problem; a second one for the same path is appended.
    pub(super) fn add(&mut self, path: &str, message: &str) {
        self.issues
            .entry(path.to_owned())
            .and_modify(|existing| {
                existing.push_str("; ");
                existing.push_str(message);
            })
            .or_insert_with(|| message.to_owned());
    }

    /// Records that a container is too deep, if it is.
    pub(super) fn too_deep(&mut self, value: &Value, path: &str, depth: usize) -> bool {
        let deep = (value.is_array() || value.is_object()) && depth >= MAX_DEPTH;
        if deep {
            self.add(path, &format!("too deeply nested (max depth is {MAX_DEPTH})"));
        }
        deep
    }

    /// Checks a value against a field's rules. `depth` is the number of
    /// containers around it (a top-level field's value is at 1).
    pub(super) fn value(
        &mut self,
        rules: &Rules,
        value: &Value,
        path: &str,
        depth: usize,
        context: Context,
    ) -> Option<Bson> {
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
    pub(super) fn scalar(&mut self, rules: &Rules, value: &Value, converted: Bson, path: &str) -> Option<Bson> {
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
    pub(super) fn length(&mut self, rules: &Rules, length: usize, path: &str) -> bool {
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
    pub(super) fn list(
        &mut self,
        rules: &Rules,
        items: &[Value],
        path: &str,
        depth: usize,
        context: Context,
    ) -> Option<Bson> {
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
    pub(super) fn dict(
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
    pub(super) fn free(&mut self, value: &Value, path: &str, depth: usize) -> Option<Bson> {
        self.free_keys(value, path, depth).then(|| untyped(value))
    }

    /// The key and depth checks of [`Walk::free`], over the whole value.
    pub(super) fn free_keys(&mut self, value: &Value, path: &str, depth: usize) -> bool {
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
