//! The `components` of the document: four schemas per resource (document,
//! patch, item, page), and the shared schemas, parameters, headers and
//! responses the paths refer to.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::paths::query_parameter;
use super::*;
use crate::{
    convert::toml_to_json,
    domain::{Field, FieldType, Method},
    routes::MAX_PAGE,
    store::Served,
};

// --- resource schemas ------------------------------------------------------------

/// How a resource's fields are described: the same rules read three ways,
/// as the validator and the handlers apply them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Variant {
    /// A `POST` or `PUT` body: required fields must be there, defaults fill in the rest.
    Write,
    /// A `PATCH` body: merged into the stored document, so nothing is
    /// required and no default applies (except inside list items, which
    /// are written whole).
    Patch,
    /// A document as read: any field may be missing (a projection, a
    /// document imported outside the API) and an embeddable id may come
    /// back as the related document.
    Read,
}

/// The four schemas of a resource (fewer for the read-only oplog).
pub(super) fn resource_schemas(served: &Served) -> Vec<(String, Value)> {
    let (name, def) = (&served.name, &served.def);
    let hidden = def.hidden_fields.as_slice();
    let mut schemas = Vec::new();
    if served.writable && (def.allows(Method::Post) || def.item_allows(Method::Put)) {
        let mut document = fields_schema(&def.schema, Variant::Write, hidden);
        document["additionalProperties"] = json!(def.allow_unknown);
        document["description"] = json!(format!("A {} as a client writes it (`POST`, `PUT`).", served.item_title));
        schemas.push((format!("{name}.document"), document));
    }
    if served.writable && def.item_allows(Method::Patch) {
        let mut patch = fields_schema(&def.schema, Variant::Patch, hidden);
        patch["additionalProperties"] = json!(def.allow_unknown);
        patch["description"] = json!("The fields to change (`PATCH`); dicts merge, lists are replaced whole.");
        schemas.push((format!("{name}.patch"), patch));
    }
    let item = json!({
        "description": format!("A {} as read: the meta fields, then its fields.", served.item_title),
        "allOf": [{ "$ref": schema_ref("Meta") }, fields_schema(&def.schema, Variant::Read, hidden)],
    });
    schemas.push((format!("{name}.item"), item));
    let page = json!({
        "description": format!("A page of {name}."),
        "allOf": [
            { "$ref": schema_ref("Page") },
            { "type": "object", "properties": {
                "_items": { "type": "array", "items": { "$ref": schema_ref(&format!("{name}.item")) } },
            } },
        ],
    });
    schemas.push((format!("{name}.page"), page));
    schemas
}

/// An object with these fields. `hidden` names the top-level fields left
/// out of responses by default (empty for nested dicts).
pub(super) fn fields_schema(fields: &BTreeMap<String, Field>, variant: Variant, hidden: &[String]) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for (name, field) in fields {
        let mut schema = field_schema(field, variant);
        if hidden.contains(name) {
            let note = format!("Hidden: returned only when a `projection` asks for it (`{{\"{name}\": 1}}`).");
            let description = join_sentences(&[schema["description"].as_str().unwrap_or_default(), &note]);
            schema["description"] = json!(description);
        }
        properties.insert(name.clone(), schema);
        // As the validator: a default stands in for a missing value, and the
        // server fills read-only fields, so neither can be asked of a client.
        if variant == Variant::Write && field.required && !is_read_only(field) && field.default.is_none() {
            required.push(name.clone());
        }
    }
    let mut schema = json!({ "type": "object", "properties": properties });
    if !required.is_empty() {
        schema["required"] = json!(required);
    }
    schema
}

/// One field: its type and rules, then what a reader should know.
pub(super) fn field_schema(field: &Field, variant: Variant) -> Value {
    let mut schema = match field.kind {
        FieldType::List => {
            // A list is written whole, even by a PATCH.
            let item_variant = if variant == Variant::Patch { Variant::Write } else { variant };
            let items = field.items.as_deref().map_or_else(|| json!({}), |items| field_schema(items, item_variant));
            json!({ "type": "array", "items": items })
        }
        FieldType::Dict => match &field.schema {
            Some(keys) => {
                let mut dict = fields_schema(keys, variant, &[]);
                // A dict with a schema refuses other keys (checked on write).
                if variant != Variant::Read {
                    dict["additionalProperties"] = json!(false);
                }
                dict
            }
            None => json!({ "type": "object" }),
        },
        // What a client writes must parse; what is read carries the weekday.
        FieldType::Datetime if variant != Variant::Read => date_schema(),
        kind => scalar_schema(kind),
    };
    add_rules(&mut schema, field);
    if field.nullable {
        schema["nullable"] = json!(true);
    }

    let mut notes: Vec<String> = vec![field.description.clone(), date_note(field.kind).to_string()];
    if let Some(relation) = &field.data_relation {
        notes.push(format!("The `_id` of a `{}` document.", relation.resource));
    }
    if let Some(computed) = &field.computed {
        notes.push(format!("Computed by the server from {}.", computed.from.join(", ")));
    } else if field.readonly {
        notes.push("Set by the server; a client sending it gets a 422.".into());
    }
    if field.unique {
        notes.push("Unique across the collection (a duplicate answers 422).".into());
    }
    let notes: Vec<&str> = notes.iter().map(String::as_str).collect();

    if variant == Variant::Read {
        if let Some(relation) = field.data_relation.as_ref().filter(|relation| relation.embeddable) {
            // `embedded` puts the related document, as its own item, in place of the id.
            let embedded = json!({ "$ref": schema_ref(&format!("{}.item", relation.resource)) });
            schema = json!({ "oneOf": [schema, embedded] });
        }
    }
    let description = join_sentences(&notes);
    if !description.is_empty() {
        schema["description"] = json!(description);
    }
    if is_read_only(field) {
        schema["readOnly"] = json!(true);
    }
    if variant != Variant::Patch {
        if let Some(default) = field.default.as_ref().and_then(|v| toml_to_json(v).ok()) {
            schema["default"] = default;
        }
    }
    schema
}

/// Whether `embedded` may replace this field's id (or its list items' ids)
/// by the related documents.
pub(super) fn embeddable(field: &Field) -> bool {
    let relation = match field.kind {
        FieldType::List => field.items.as_ref().and_then(|items| items.data_relation.as_ref()),
        _ => field.data_relation.as_ref(),
    };
    relation.is_some_and(|relation| relation.embeddable)
}

/// The JSON Schema of a scalar type.
pub(super) fn scalar_schema(kind: FieldType) -> Value {
    match kind {
        FieldType::String => json!({ "type": "string" }),
        // The bounds say what `format` means: a larger number is not an integer to the API.
        FieldType::Integer => json!({ "type": "integer", "format": "int64", "minimum": i64::MIN, "maximum": i64::MAX }),
        FieldType::Float => json!({ "type": "number", "format": "double" }),
        FieldType::Number => json!({ "type": "number" }),
        FieldType::Boolean => json!({ "type": "boolean" }),
        FieldType::Datetime => json!({ "type": "string", "example": DATE_EXAMPLE }),
        FieldType::Objectid => json!({ "type": "string", "pattern": OBJECT_ID_PATTERN }),
        FieldType::List => json!({ "type": "array", "items": {} }),
        FieldType::Dict => json!({ "type": "object" }),
    }
}

/// A date as a client writes it: the RFC 1123 form without the weekday (which
/// the API accepts but checks against the date, something a pattern cannot).
pub(super) fn date_schema() -> Value {
    json!({
        "type": "string",
        "pattern": DATE_PATTERN,
        "example": DATE_EXAMPLE.split_once(", ").map_or(DATE_EXAMPLE, |(_, date)| date),
        "description": "RFC 1123 date; the weekday (`Tue, `) may be left out, and is checked when given.",
    })
}

/// `min`/`max`, lengths, `allowed` and `regex`, in JSON Schema's words.
pub(super) fn add_rules(schema: &mut Value, field: &Field) {
    if let Some(min) = field.min.and_then(number) {
        schema["minimum"] = min;
    }
    if let Some(max) = field.max.and_then(number) {
        schema["maximum"] = max;
    }
    let (min_key, max_key) =
        if field.kind == FieldType::List { ("minItems", "maxItems") } else { ("minLength", "maxLength") };
    if let Some(min) = field.minlength {
        schema[min_key] = json!(min);
    }
    if let Some(max) = field.maxlength {
        schema[max_key] = json!(max);
    }
    if let Some(allowed) = &field.allowed {
        let mut values: Vec<Value> = allowed.iter().filter_map(|v| toml_to_json(v).ok()).collect();
        if field.kind == FieldType::List {
            // On a list, `allowed` constrains each item.
            schema["items"]["enum"] = json!(values);
        } else {
            if field.nullable {
                // OpenAPI 3.0.3: with `nullable`, an `enum` must list `null` to accept it.
                values.push(Value::Null);
            }
            schema["enum"] = json!(values);
        }
    }
    if let Some(regex) = &field.regex {
        // The validator matches the whole string; an OpenAPI pattern matches
        // anywhere, so it is anchored here the same way (left alone when it
        // plainly is already). Teaching shortcut: the text is the Rust regex
        // as written; the common syntax is the same in ECMA 262, but Rust-only
        // constructs (`(?i)`, `\z`, `[[:alpha:]]`) would need translating.
        let anchored =
            regex.starts_with('^') && regex.ends_with('$') && !regex.ends_with("\\$") && !regex.contains('|');
        let pattern = if anchored { regex.clone() } else { format!("^(?:{regex})$") };
        schema["pattern"] = json!(pattern);
    }
}

/// Whether only the server writes this field.
pub(super) fn is_read_only(field: &Field) -> bool {
    field.readonly || field.computed.is_some()
}

/// The wire format of dates, said where a date is expected.
pub(super) fn date_note(kind: FieldType) -> &'static str {
    if kind == FieldType::Datetime {
        "RFC 1123 date."
    } else {
        ""
    }
}

// --- shared components -----------------------------------------------------------

/// The schemas every resource shares: meta fields, envelopes, errors.
pub(super) fn shared_schemas() -> Map<String, Value> {
    let object_id = json!({ "type": "string", "pattern": OBJECT_ID_PATTERN, "example": "4b43a616a1b588c68c000000" });
    let date = json!({ "type": "string", "description": "RFC 1123 date.", "example": DATE_EXAMPLE });
    let etag = json!({ "type": "string", "description": "The SHA-1 of the document's content." });
    let links = json!({ "$ref": schema_ref("Links") });
    let link = json!({ "$ref": schema_ref("Link") });
    let mut schemas = Map::new();
    let mut add = |name: &str, schema: Value| {
        schemas.insert(name.to_string(), schema);
    };
    add(
        "Link",
        json!({
            "type": "object",
            "required": ["title", "href"],
            "properties": {
                "title": { "type": "string" },
                "href": { "type": "string", "description": "Relative to the API's root." },
            },
        }),
    );
    add(
        "Links",
        json!({
            "type": "object",
            "description": "Eve's HATEOAS links (which ones depends on the response).",
            "properties": {
                "self": link, "parent": link, "collection": link, "next": link, "prev": link, "last": link,
            },
            "additionalProperties": link,
        }),
    );
    add(
        "Meta",
        json!({
            "type": "object",
            "description": "The meta fields every document carries (documents imported outside the API read as \
                            created at the epoch).",
            "required": ["_id", "_created", "_updated", "_etag", "_links"],
            "properties": {
                "_id": read_only(object_id.clone()),
                "_created": read_only(date.clone()),
                "_updated": read_only(date.clone()),
                "_etag": read_only(etag.clone()),
                "_links": links,
            },
        }),
    );
    add(
        "PageMeta",
        json!({
            "type": "object",
            "required": ["page", "max_results"],
            "properties": {
                "page": { "type": "integer", "minimum": 1, "maximum": MAX_PAGE },
                "max_results": { "type": "integer", "minimum": 1 },
                "total": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "Absent with `count=none` and on aggregations.",
                },
            },
        }),
    );
    add(
        "Page",
        json!({
            "type": "object",
            "description": "A collection envelope: the items, links to the neighbouring pages, and paging.",
            "required": ["_items", "_links", "_meta"],
            "properties": {
                "_items": { "type": "array", "items": { "type": "object" } },
                "_links": links,
                "_meta": { "$ref": schema_ref("PageMeta") },
            },
        }),
    );
    add(
        "WriteResult",
        json!({
            "type": "object",
            "description": "What a write answers: the document's meta fields, not the document.",
            "required": ["_id", "_created", "_updated", "_etag", "_links", "_status"],
            "properties": {
                "_id": object_id, "_created": date, "_updated": date, "_etag": etag, "_links": links,
                "_status": { "type": "string", "enum": ["OK"] },
            },
        }),
    );
    add(
        "BulkWriteResult",
        json!({
            "type": "object",
            "required": ["_status", "_items"],
            "properties": {
                "_status": { "type": "string", "enum": ["OK"] },
                "_items": { "type": "array", "items": { "$ref": schema_ref("WriteResult") } },
            },
        }),
    );
    add("Error", error_schema());
    add(
        "Home",
        json!({
            "type": "object",
            "required": ["_links"],
            "properties": { "_links": {
                "type": "object",
                "properties": { "child": { "type": "array", "items": link } },
            } },
        }),
    );
    add(
        "Health",
        json!({
            "type": "object",
            "required": ["status", "database"],
            "properties": {
                "status": { "type": "string", "enum": ["ok"] },
                "database": { "type": "string", "enum": ["up", "down"] },
            },
        }),
    );
    add(
        "Probe",
        json!({
            "type": "object",
            "required": ["status"],
            "properties": {
                "status": { "type": "string", "enum": ["live", "ready", "not ready"] },
                "checks": { "type": "object", "additionalProperties": { "type": "string", "enum": ["up", "down"] } },
            },
        }),
    );
    schemas
}

/// Eve's error envelope, with the validation details of a 422.
pub(super) fn error_schema() -> Value {
    let issues = json!({
        "type": "object",
        "description": "Field (dotted path; `_body` for the body itself) → what is wrong with it.",
        "additionalProperties": { "type": "string" },
    });
    json!({
        "type": "object",
        "required": ["_status", "_error"],
        "properties": {
            "_status": { "type": "string", "enum": ["ERR"] },
            "_error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": { "code": { "type": "integer" }, "message": { "type": "string" } },
            },
            "_issues": issues,
            "_items": {
                "type": "array",
                "description": "A list `POST` that failed: one entry per document, in order.",
                "items": {
                    "type": "object",
                    "required": ["_status"],
                    "properties": { "_status": { "type": "string", "enum": ["OK", "ERR"] }, "_issues": issues },
                },
            },
        },
    })
}

/// The parameters several operations share.
pub(super) fn shared_parameters() -> Value {
    let if_match = "The ETag of the version being changed, from a read or a previous write (quotes optional). \
                    Without it: 428; when the document changed since: 412.";
    json!({
        "id": {
            "name": "id", "in": "path", "required": true,
            "description": "The document's `_id` (anything else answers 404).",
            "schema": { "type": "string", "pattern": OBJECT_ID_PATTERN },
        },
        "page": query_parameter(
            "page",
            &format!("The page, from 1 to {MAX_PAGE}; deeper, filter on the sort key instead."),
            json!({ "type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1 }),
        ),
        "count": query_parameter(
            "count",
            "How `_meta.total` is obtained: `exact` counts the matches; `estimated` uses the collection's \
             metadata when there is no `where`; `none` skips it (no `total`, no `last` link, no `X-Total-Count`).",
            json!({ "type": "string", "enum": ["exact", "estimated", "none"], "default": "exact" }),
        ),
        "If-Match": {
            "name": "If-Match", "in": "header", "required": true, "description": if_match,
            // Visible ASCII, not blank: a blank or unreadable header is no header (428).
            "schema": { "type": "string", "pattern": "^[ \t]*[!-~][ -~\t]*$" },
        },
        "If-None-Match": {
            "name": "If-None-Match", "in": "header", "required": false,
            "description": "ETags (or `*`) of the client's copy: 304 if one matches.",
            "schema": { "type": "string" },
        },
        "If-Modified-Since": {
            "name": "If-Modified-Since", "in": "header", "required": false,
            "description": "RFC 1123 date of the client's copy: 304 if the document has not changed since \
                            (ignored when `If-None-Match` is sent).",
            "schema": { "type": "string", "example": DATE_EXAMPLE },
        },
    })
}

/// The response headers several operations share.
pub(super) fn shared_headers() -> Value {
    json!({
        "ETag": { "description": "The document's ETag, quoted.", "schema": { "type": "string" } },
        "Last-Modified": {
            "description": "The document's `_updated`, an RFC 1123 date.",
            "schema": { "type": "string", "example": DATE_EXAMPLE },
        },
        "X-Total-Count": {
            "description": "The number of matching documents (absent with `count=none`).",
            "schema": { "type": "integer", "minimum": 0 },
        },
        "Location": {
            "description": "The new document's URL (single-document `POST` only).",
            "schema": { "type": "string" },
        },
        "Retry-After": { "description": "Seconds to wait before retrying.", "schema": { "type": "integer" } },
    })
}

/// The error responses, each in Eve's envelope.
pub(super) fn shared_responses() -> Value {
    let mut responses = Map::new();
    for (code, description) in ERROR_RESPONSES.iter().map(|(code, _, description)| (*code, *description)) {
        let mut response = json!({
            "description": description,
            "content": json_content(json!({ "$ref": schema_ref("Error") })),
        });
        if code == 503 {
            response["headers"] = json!({ "Retry-After": header_ref("Retry-After") });
        }
        responses.insert(error_response_name(code).into(), response);
    }
    responses.insert(
        "Error".into(),
        json!({
            "description": "Any other error (500: logged by the server, not detailed here; 405 with `Allow`).",
            "content": json_content(json!({ "$ref": schema_ref("Error") })),
        }),
    );
    Value::Object(responses)
}

/// Every error status an operation may list: code, the name of its
/// response under `components/responses`, and when it happens.
pub(super) const ERROR_RESPONSES: [(u16, &str, &str); 10] = [
    (400, "BadRequest", "A malformed request: a bad query parameter, a body that is not JSON, an empty list."),
    (404, "NotFound", "No such document (or the id is not 24 hex digits)."),
    (409, "Conflict", "A unique value taken by a concurrent write."),
    (412, "PreconditionFailed", "`If-Match` is stale: the document changed since it was read."),
    (413, "PayloadTooLarge", "The body is larger than `MAX_BODY_BYTES` (a server setting)."),
    (415, "UnsupportedMediaType", "The body is not `application/json`."),
    (422, "ValidationFailed", "The document breaks the schema: `_issues` (or `_items` for a list) says where."),
    (428, "PreconditionRequired", "A write without `If-Match`."),
    (
        503,
        "Unavailable",
        "The database cannot be reached, or concurrent writes kept conflicting; try again after `Retry-After` \
         seconds.",
    ),
    (504, "Timeout", "A query ran longer than the server allows (10 s): narrow the filter or use an indexed field."),
];

/// The `components/responses` name of an error status.
pub(super) fn error_response_name(code: u16) -> &'static str {
    ERROR_RESPONSES.iter().find(|(c, _, _)| *c == code).map_or("Error", |(_, name, _)| name)
}
