//! Compiling a field's rules once, at startup: the regex anchored and
//! compiled, `allowed` values and the `default` converted to the field's
//! BSON type, and the default checked against the field's own rules, so
//! that a mistake in the domain file stops startup.

use std::collections::BTreeMap;

use mongodb::bson::Bson;
use regex::Regex;

use super::walk::{key_problem, Context, Walk};
use crate::convert::{json_to_bson, toml_to_json, untyped};
use crate::domain::{ComputedFunction, Field, FieldType};

/// One field's rules, compiled: the regex anchored and compiled, `allowed`
/// and `default` converted to BSON.
#[derive(Debug, Clone)]
pub(super) struct Rules {
    /// The field's type.
    pub(super) kind: FieldType,
    /// Must be present on `POST`/`PUT` (and has no default).
    pub(super) required: bool,
    /// `null` is accepted.
    pub(super) nullable: bool,
    /// Clients may not send it (`readonly`, or `computed`).
    pub(super) readonly: bool,
    /// Smallest number.
    pub(super) min: Option<f64>,
    /// Largest number.
    pub(super) max: Option<f64>,
    /// Fewest characters or items.
    pub(super) minlength: Option<usize>,
    /// Most characters or items.
    pub(super) maxlength: Option<usize>,
    /// The accepted values (of each item, for lists), as BSON of the type.
    pub(super) allowed: Option<Vec<Bson>>,
    /// The anchored regex, and the domain's text of it for messages.
    pub(super) regex: Option<(Regex, String)>,
    /// The value written when `POST`/`PUT` leave the field out.
    pub(super) default: Option<Bson>,
    /// A list's item rules (none: items are free-form).
    pub(super) items: Option<Box<Rules>>,
    /// A dict's keys (none: the dict is free-form).
    pub(super) schema: Option<BTreeMap<String, Rules>>,
}

/// Compiles one field's rules; `at` names it in error messages.
pub(super) fn compile(at: &str, field: &Field, top: bool) -> Result<Rules, String> {
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
