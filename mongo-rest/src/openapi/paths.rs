//! The `paths` of the document: one entry per URL the API serves, each
//! operation with its query parameters, headers and responses.

use serde_json::{json, Map, Value};

use super::schemas::{date_note, embeddable, error_response_name, scalar_schema};
use super::*;
use crate::{
    convert::toml_to_json,
    domain::{Aggregation, FieldType, Method, Param, Resource},
    query::{FIELD_OPERATORS, LOGICAL_OPERATORS, MAX_PROJECTION_KEYS, MAX_SORT_KEYS, MAX_WHERE_LEN},
    store::Served,
};

// --- paths -------------------------------------------------------------------

/// `/`: one link per resource.
pub(super) fn home_path() -> Value {
    let ok = json!({
        "description": "One link per resource.",
        "content": json_content(json!({ "$ref": schema_ref("Home") })),
    });
    let get = json!({
        "tags": [API_TAG],
        "operationId": "home",
        "summary": "The resources",
        "responses": { "200": ok, "default": response_ref("Error") },
    });
    json!({ "get": get.clone(), "head": head_of(get, "home.head") })
}

/// `/health`: the process serves; the body says whether MongoDB answers.
pub(super) fn health_path() -> Value {
    let ok = json!({
        "description": "The process serves (always 200); `database` says whether MongoDB answers.",
        "content": json_content(json!({ "$ref": schema_ref("Health") })),
    });
    json!({ "get": {
        "tags": [API_TAG],
        "operationId": "health",
        "summary": "Liveness, and whether the database answers",
        "responses": { "200": ok },
    } })
}

/// `/openapi.json`: this document.
pub(super) fn openapi_path() -> Value {
    let ok = json!({ "description": "This document.", "content": json_content(json!({ "type": "object" })) });
    json!({ "get": {
        "tags": [API_TAG],
        "operationId": "openapi",
        "summary": "The OpenAPI document",
        "responses": { "200": ok },
    } })
}

/// `/{resource}`: `GET`/`HEAD` a page, `POST` (if writable). `None` when
/// the domain allows no method there.
pub(super) fn collection_path(served: &Served, limits: (u32, u32)) -> Option<Value> {
    let mut path = Map::new();
    if served.def.allows(Method::Get) {
        let get = list_operation(served, limits);
        path.insert("head".into(), head_of(get.clone(), &format!("{}.list.head", served.name)));
        path.insert("get".into(), get);
    }
    if served.writable && served.def.allows(Method::Post) {
        path.insert("post".into(), create_operation(served));
    }
    (!path.is_empty()).then_some(Value::Object(path))
}

/// `/{resource}/{id}`: the item methods the domain allows (writes only on
/// writable resources). `None` when there are none.
pub(super) fn item_path(served: &Served) -> Option<Value> {
    let def = &served.def;
    let mut path = Map::new();
    if def.item_allows(Method::Get) {
        let get = show_operation(served);
        path.insert("head".into(), head_of(get.clone(), &format!("{}.get.head", served.name)));
        path.insert("get".into(), get);
    }
    if served.writable && def.item_allows(Method::Patch) {
        path.insert("patch".into(), edit_operation(served, Method::Patch));
    }
    if served.writable && def.item_allows(Method::Put) {
        path.insert("put".into(), edit_operation(served, Method::Put));
    }
    if served.writable && def.item_allows(Method::Delete) {
        path.insert("delete".into(), delete_operation(served));
    }
    if path.is_empty() {
        return None;
    }
    path.insert("parameters".into(), json!([parameter_ref("id")]));
    Some(Value::Object(path))
}

/// `GET /{resource}`.
pub(super) fn list_operation(served: &Served, (default, limit): (u32, u32)) -> Value {
    let def = &served.def;
    let mut parameters = vec![where_parameter(def), sort_parameter(def), projection_parameter(def)];
    parameters.extend(embedded_parameter(def));
    parameters.push(max_results_parameter(default, limit));
    parameters.push(parameter_ref("page"));
    parameters.push(parameter_ref("count"));
    let ok = json!({
        "description": "A page of documents, in Eve's envelope.",
        "headers": { "X-Total-Count": header_ref("X-Total-Count") },
        "content": json_content(json!({ "$ref": schema_ref(&format!("{}.page", served.name)) })),
    });
    let operation = json!({
        "tags": [served.name],
        "operationId": format!("{}.list", served.name),
        "summary": format!("A page of {}", served.name),
        "parameters": parameters,
        "responses": responses(("200", ok), &[400, 503, 504]),
    });
    described(operation, &def.description)
}

/// `POST /{resource}`: one document or a list, all or nothing.
pub(super) fn create_operation(served: &Served) -> Value {
    let document = json!({ "$ref": schema_ref(&format!("{}.document", served.name)) });
    let body = json!({
        "required": true,
        "description": "One document, or a list of them (at most `MAX_BULK_DOCUMENTS`, a server setting): \
                        all are written or none.",
        "content": json_content(json!({ "oneOf": [document, { "type": "array", "minItems": 1, "items": document }] })),
    });
    let created = json!({
        "description": "Created. One document: its meta fields, with `Location` and `ETag`. \
                        A list: `_items`, one entry per document, in order.",
        "headers": { "Location": header_ref("Location"), "ETag": header_ref("ETag") },
        "content": json_content(json!({ "oneOf": [
            { "$ref": schema_ref("WriteResult") },
            { "$ref": schema_ref("BulkWriteResult") },
        ] })),
    });
    json!({
        "tags": [served.name],
        "operationId": format!("{}.create", served.name),
        "summary": format!("Create one or more {}", served.name),
        "requestBody": body,
        "responses": responses(("201", created), &[400, 409, 413, 415, 422, 503]),
    })
}

/// `GET /{resource}/{id}`, with conditional requests.
pub(super) fn show_operation(served: &Served) -> Value {
    let def = &served.def;
    let mut parameters = vec![projection_parameter(def)];
    parameters.extend(embedded_parameter(def));
    parameters.push(parameter_ref("If-None-Match"));
    parameters.push(parameter_ref("If-Modified-Since"));
    let ok = json!({
        "description": format!("The {}, with `_links` to itself, its collection and home.", served.item_title),
        "headers": { "ETag": header_ref("ETag"), "Last-Modified": header_ref("Last-Modified") },
        "content": json_content(json!({ "$ref": schema_ref(&format!("{}.item", served.name)) })),
    });
    let mut responses = responses(("200", ok), &[400, 404, 503]);
    responses["304"] = json!({
        "description": "Not modified: `If-None-Match` matches the ETag, or (without it) the document has not \
                        changed since `If-Modified-Since`. No body.",
        "headers": { "ETag": header_ref("ETag"), "Last-Modified": header_ref("Last-Modified") },
    });
    json!({
        "tags": [served.name],
        "operationId": format!("{}.get", served.name),
        "summary": format!("One {}", served.item_title),
        "parameters": parameters,
        "responses": responses,
    })
}

/// `PATCH` (merge) or `PUT` (replace) `/{resource}/{id}`.
pub(super) fn edit_operation(served: &Served, method: Method) -> Value {
    let (verb, schema, summary) = match method {
        Method::Patch => ("update", "patch", format!("Change fields of a {}", served.item_title)),
        _ => ("replace", "document", format!("Replace a {}", served.item_title)),
    };
    let body = json!({
        "required": true,
        "content": json_content(json!({ "$ref": schema_ref(&format!("{}.{schema}", served.name)) })),
    });
    let ok = json!({
        "description": "Written: the new meta fields, and the new ETag.",
        "headers": { "ETag": header_ref("ETag") },
        "content": json_content(json!({ "$ref": schema_ref("WriteResult") })),
    });
    json!({
        "tags": [served.name],
        "operationId": format!("{}.{verb}", served.name),
        "summary": summary,
        "parameters": [parameter_ref("If-Match")],
        "requestBody": body,
        "responses": responses(("200", ok), &[400, 404, 409, 412, 413, 415, 422, 428, 503]),
    })
}

/// `DELETE /{resource}/{id}`.
pub(super) fn delete_operation(served: &Served) -> Value {
    json!({
        "tags": [served.name],
        "operationId": format!("{}.delete", served.name),
        "summary": format!("Delete a {}", served.item_title),
        "parameters": [parameter_ref("If-Match")],
        "responses": responses(("204", json!({ "description": "Deleted. No body." })), &[404, 412, 428, 503]),
    })
}

/// `/aggregations/{name}`: `GET` and `HEAD`.
pub(super) fn aggregation_path(name: &str, def: &Aggregation, (default, limit): (u32, u32)) -> Value {
    let mut parameters: Vec<Value> = def.params.iter().map(|(param, p)| aggregation_parameter(param, p)).collect();
    parameters.push(max_results_parameter(default, limit));
    parameters.push(parameter_ref("page"));
    let ok = json!({
        "description": format!(
            "A page of results, shaped by the pipeline; a result carrying an `_id` links to the `{}` item.",
            def.resource
        ),
        "content": json_content(json!({ "$ref": schema_ref("Page") })),
    });
    let get = json!({
        "tags": [AGGREGATIONS_TAG],
        "operationId": format!("aggregations.{name}"),
        "summary": if def.description.is_empty() { name.to_string() } else { def.description.clone() },
        "description": format!(
            "Runs on `{}`. Unknown parameters are refused (400). `_meta` has no `total`: \
             a `next` link says whether more results follow.",
            def.resource
        ),
        "parameters": parameters,
        "responses": responses(("200", ok), &[400, 503, 504]),
    });
    json!({ "head": head_of(get.clone(), &format!("aggregations.{name}.head")), "get": get })
}

/// The `HEAD` twin of a `GET` operation: same parameters, statuses and
/// headers, no bodies.
pub(super) fn head_of(mut get: Value, operation_id: &str) -> Value {
    get["operationId"] = json!(operation_id);
    get["summary"] = json!(format!("{} (headers only)", get["summary"].as_str().unwrap_or_default()));
    if let Some(responses) = get["responses"].as_object_mut() {
        responses.retain(|_, response| response.get("$ref").is_none());
        for response in responses.values_mut() {
            if let Some(response) = response.as_object_mut() {
                response.remove("content");
            }
        }
        responses.insert("default".into(), json!({ "description": "An error: the status GET would answer, no body." }));
    }
    get
}

/// The responses of an operation: its success, the listed error statuses
/// (see [`error_response_name`]) and `default` for anything else (500).
pub(super) fn responses((status, success): (&str, Value), errors: &[u16]) -> Value {
    let mut responses = Map::new();
    responses.insert(status.into(), success);
    for code in errors {
        responses.insert(code.to_string(), response_ref(error_response_name(*code)));
    }
    responses.insert("default".into(), response_ref("Error"));
    Value::Object(responses)
}

// --- parameters --------------------------------------------------------------

/// A field name as `sort` and `where`'s Python syntax write it: letters,
/// digits, `_` and dots (no `$`).
const FIELD_PATTERN: &str = r"[A-Za-z0-9_][A-Za-z0-9_.]*";

/// `where=`, naming the fields this resource lets clients filter on, the
/// operators it accepts, and an example of each syntax.
pub(super) fn where_parameter(def: &Resource) -> Value {
    let fields = filter_fields(def);
    let regex = if def.regex_filters.is_empty() {
        "`$regex` is not allowed on this resource.".to_string()
    } else {
        format!("`$regex` (with `$options` from `imsx`) only on: {}.", def.regex_filters.join(", "))
    };
    let description = format!(
        "A filter, in one of two syntaxes. MongoDB JSON: an object of field → value (equality) or field →          {{operator: operand}}, with the field operators {} and the logical operators {} (each over a list          of filters). Python syntax: comparisons `==`, `!=`, `>`, `>=`, `<`, `<=`, `in [..]`, `not in [..]`,          combined with `and`, `or`, `not` and parentheses; values are strings in quotes, numbers, `True`,          `False`, `None`, lists, `ObjectId(\"<24 hex>\")` and `datetime(y, m, d[, h, mi, s])`. Fields: {}.          {regex} Ids are 24-hex strings and dates RFC 1123 strings, converted by the field's type. At most          {MAX_WHERE_LEN} characters and 20 levels of nesting; anything else is a 400 naming the problem.",
        FIELD_OPERATORS.join(", "),
        LOGICAL_OPERATORS.join(", "),
        fields.join(", "),
    );
    let field = fields.iter().find(|f| !f.starts_with('_')).map_or("_id", String::as_str);
    let mut examples = json!({
        "json": { "summary": "MongoDB JSON", "value": format!("{{\"{field}\": {{\"$exists\": true}}}}") },
        "python": { "summary": "Python syntax", "value": format!("{field} != None and _created > datetime(2013, 1, 1)") },
    });
    if let Some(regex_field) = def.regex_filters.iter().find(|f| *f != "*") {
        examples["regex"] = json!({
            "summary": "A case-insensitive regex",
            "value": format!("{{\"{regex_field}\": {{\"$regex\": \"^flask\", \"$options\": \"i\"}}}}"),
        });
    }
    let mut parameter =
        query_parameter("where", &description, json!({ "type": "string", "minLength": 0, "maxLength": MAX_WHERE_LEN }));
    parameter["examples"] = examples;
    parameter
}

/// `sort=`, with the resource's default: the pattern of both syntaxes.
pub(super) fn sort_parameter(def: &Resource) -> Value {
    let description = format!(
        "The order: `a,-b` (a comma-separated list of fields, `-` for descending), or Eve's list          `[(\"a\", 1), (\"b\", -1)]` (JSON `[[\"a\", 1], [\"b\", -1]]` too), at most {MAX_SORT_KEYS} keys          among the fields `where` accepts, none twice, directions 1 or -1; `_id` is appended to break ties."
    );
    let default = def.default_sort.as_deref().unwrap_or("_id");
    let pattern = format!(r"^\s*(-?{FIELD_PATTERN}(\s*,\s*-?{FIELD_PATTERN})*|\[.*\])\s*$");
    let mut parameter = query_parameter(
        "sort",
        &description,
        json!({ "type": "string", "maxLength": MAX_WHERE_LEN, "default": default, "pattern": pattern }),
    );
    parameter["examples"] = json!({
        "fields": { "summary": "Fields, `-` for descending", "value": "-_created,_id" },
        "list": { "summary": "Eve's list of pairs", "value": "[(\"_created\", -1)]" },
    });
    parameter
}

/// `projection=`: a JSON object of field → 1 (only these) or field → 0
/// (all but these), naming the hidden fields it can bring back.
pub(super) fn projection_parameter(def: &Resource) -> Value {
    let hidden = if def.hidden_fields.is_empty() {
        String::new()
    } else {
        format!(" Hidden fields ({}) are returned only when a 1-projection names them.", def.hidden_fields.join(", "))
    };
    let description = format!(
        "The fields to return, `{{\"title\": 1}}`, or to leave out, `{{\"selftext\": 0}}` (not both), at most \
         {MAX_PROJECTION_KEYS}, as JSON of at most {MAX_WHERE_LEN} characters. The meta fields always come.{hidden}"
    );
    let flag = json!({ "oneOf": [{ "type": "integer", "enum": [0, 1] }, { "type": "boolean" }] });
    let field = def.schema.keys().next().map_or("_id", String::as_str);
    let schema = json!({
        "type": "object",
        "maxProperties": MAX_PROJECTION_KEYS,
        "additionalProperties": flag,
        "example": { field: 1 },
    });
    json_query_parameter("projection", &description, schema)
}

/// `embedded=`, only for resources with something to embed: a JSON object
/// whose keys are the embeddable fields.
pub(super) fn embedded_parameter(def: &Resource) -> Option<Value> {
    let fields: Vec<&str> =
        def.schema.iter().filter(|(_, field)| embeddable(field)).map(|(name, _)| name.as_str()).collect();
    let first = fields.first()?;
    let description = format!(
        "Related documents to put in place of their ids, `{{\"{first}\": 1}}`, as JSON of at most \
         {MAX_WHERE_LEN} characters. Embeddable: {}.",
        fields.join(", ")
    );
    let flag = json!({ "oneOf": [{ "type": "integer", "enum": [0, 1] }, { "type": "boolean" }] });
    let properties: Map<String, Value> = fields.iter().map(|f| (f.to_string(), flag.clone())).collect();
    let schema = json!({
        "type": "object",
        "properties": properties,
        "additionalProperties": false,
        "example": { *first: 1 },
    });
    Some(json_query_parameter("embedded", &description, schema))
}

/// A query parameter whose value is JSON: OpenAPI's `content` form, so that
/// clients see the object's schema rather than a free string.
pub(super) fn json_query_parameter(name: &str, description: &str, schema: Value) -> Value {
    described(
        json!({ "name": name, "in": "query", "required": false, "content": { "application/json": { "schema": schema } } }),
        description,
    )
}

/// `max_results=`, with this resource's or aggregation's limits.
pub(super) fn max_results_parameter(default: u32, limit: u32) -> Value {
    let description = format!("The page size, from 1 to {limit} (more is a 400, not a silent clamp).");
    query_parameter(
        "max_results",
        &description,
        json!({ "type": "integer", "minimum": 1, "maximum": limit, "default": default }),
    )
}

/// One declared parameter of an aggregation.
pub(super) fn aggregation_parameter(name: &str, param: &Param) -> Value {
    let not_dollar = "^(?!\\$)";
    let (mut schema, note) = match param.kind {
        FieldType::List => (
            json!({ "type": "array", "items": { "type": "string", "pattern": not_dollar } }),
            "Comma-separated; values may not start with `$`.",
        ),
        FieldType::String => (json!({ "type": "string", "pattern": not_dollar }), "May not start with `$`."),
        FieldType::Dict => (json!({ "type": "string" }), "Dict parameters are not supported: giving one answers 400."),
        kind => (scalar_schema(kind), ""),
    };
    if let Some(min) = param.min.and_then(number) {
        schema["minimum"] = min;
    }
    if let Some(max) = param.max.and_then(number) {
        schema["maximum"] = max;
    }
    if let Some(max) = param.maxlength {
        let key = if param.kind == FieldType::List { "maxItems" } else { "maxLength" };
        schema[key] = json!(max);
    }
    if let Some(default) = param.default.as_ref().and_then(|v| toml_to_json(v).ok()).filter(|_| !param.required) {
        schema["default"] = default;
    }
    let description = join_sentences(&[&param.description, date_note(param.kind), note]);
    let mut parameter = query_parameter(name, &description, schema);
    parameter["required"] = json!(param.required);
    if param.kind == FieldType::List {
        parameter["style"] = json!("form");
        parameter["explode"] = json!(false);
    }
    parameter
}

/// A query parameter.
pub(super) fn query_parameter(name: &str, description: &str, schema: Value) -> Value {
    described(json!({ "name": name, "in": "query", "required": false, "schema": schema }), description)
}

/// The fields `where` and `sort` accept: the allowed filters (`*` is every
/// schema field) and the meta fields that are always allowed.
pub(super) fn filter_fields(def: &Resource) -> Vec<String> {
    let mut fields: Vec<String> = ["_id", "_created", "_updated"].map(String::from).to_vec();
    for filter in &def.allowed_filters {
        if filter == "*" {
            fields.extend(def.schema.keys().cloned());
        } else {
            fields.push(filter.clone());
        }
    }
    fields.sort();
    fields.dedup();
    fields
}
