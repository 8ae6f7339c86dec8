//! The `paths` of the document: one entry per URL the API serves, each
//! operation with its query parameters, headers and responses.

use serde_json::{json, Map, Value};

use super::schemas::{date_note, date_schema, embeddable, error_response_name, scalar_schema};
use super::*;
use crate::{
    convert::toml_to_json,
    domain::{Aggregation, FieldType, Method, Param, Resource, META_FIELDS},
    query::{
        FIELD_OPERATORS, LOGICAL_OPERATORS, MAX_LIST_ITEMS, MAX_PROJECTION_KEYS, MAX_SORT_KEYS, MAX_WHERE_DEPTH,
        MAX_WHERE_LEN,
    },
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

/// `/health/live` and `/health/ready`: the probes.
pub(super) fn probe_paths() -> [(&'static str, Value); 2] {
    let body = json_content(json!({ "$ref": schema_ref("Probe") }));
    let live = json!({ "get": {
        "tags": [API_TAG],
        "operationId": "live",
        "summary": "Liveness: the process serves",
        "responses": { "200": { "description": "The process serves.", "content": body.clone() } },
    } });
    let ready = json!({ "get": {
        "tags": [API_TAG],
        "operationId": "ready",
        "summary": "Readiness: the database answers",
        "responses": {
            "200": { "description": "Ready: the database answers.", "content": body.clone() },
            "503": { "description": "Not ready: the database does not answer.", "content": body },
        },
    } });
    [("/health/live", live), ("/health/ready", ready)]
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

/// `where=`, as JSON content whose schema names only the fields this
/// resource lets clients filter on (`additionalProperties: false`), each
/// compared with a value of its type or with an object of operators. The
/// Python syntax, which is not JSON, is said in the description only.
pub(super) fn where_parameter(def: &Resource) -> Value {
    let fields = filter_fields(def);
    let regex = if def.regex_filters.is_empty() {
        "`$regex` is not allowed on this resource.".to_string()
    } else {
        format!("`$regex` (with `$options` from `imsx`) only on: {}.", def.regex_filters.join(", "))
    };
    let description = format!(
        "A filter; blank or absent is no filter. MongoDB JSON, as the schema says: an object of field → value \
         (equality) or field → {{operator: operand}}, combined with {logical} (each a list of such objects). \
         The schema names equality, `$gt`/`$lt`, `$ne`, `$in` and `$exists`; the API also accepts the field \
         operators {operators}, logical operators nested up to the depth limit, and lists of at most {MAX_LIST_ITEMS} items. \
         Eve's Python syntax is accepted too (not JSON, so not in the schema): comparisons `==`, `!=`, `>`, \
         `>=`, `<`, `<=`, `in [..]`, `not in [..]`, combined with `and`, `or`, `not` and parentheses; values \
         are strings in quotes, numbers, `True`, `False`, `None`, lists, `ObjectId(\"<24 hex>\")` and \
         `datetime(y, m, d[, h, mi, s])`, as in `score > 50 and author == \"x\"`. Fields: {fields}. {regex} \
         Ids are 24-hex strings and dates RFC 1123 strings, converted by the field's type. At most \
         {MAX_WHERE_LEN} characters and {MAX_WHERE_DEPTH} levels of nesting; anything else is a 400 naming \
         the problem.",
        logical = LOGICAL_OPERATORS.join(", "),
        operators = FIELD_OPERATORS.join(", "),
        fields = fields.join(", "),
    );
    let field = fields.iter().find(|f| !f.starts_with('_')).map_or("_id", String::as_str);
    let mut parameter = json_query_parameter("where", &description, where_schema(def, &fields));
    let mut examples = json!({
        "exists": { "summary": "A field is there", "value": { field: { "$exists": true } } },
    });
    if let Some(regex_field) = def.regex_filters.iter().find(|f| *f != "*") {
        examples["regex"] = json!({
            "summary": "A case-insensitive regex",
            "value": { regex_field: { "$regex": "^flask", "$options": "i" } },
        });
    }
    parameter["content"]["application/json"]["examples"] = examples;
    parameter
}

/// The schema of a `where` object: every filterable field and its
/// condition, nothing else. It describes a part of what the API accepts,
/// small enough that a generated filter stays under [`MAX_WHERE_LEN`]
/// characters: equality, a range, `$ne`, `$in` and `$exists`; the other
/// operators, `$and`/`$or`/`$nor` and the list limits are in the description.
pub(super) fn where_schema(def: &Resource, fields: &[String]) -> Value {
    let conditions: Map<String, Value> =
        fields.iter().map(|name| (name.clone(), where_condition(def.field_type(name), def, name))).collect();
    json!({ "type": "object", "properties": conditions, "additionalProperties": false })
}

/// What a field may be compared with: a value, or one of a few small
/// objects of operators.
fn where_condition(kind: Option<FieldType>, def: &Resource, name: &str) -> Value {
    // A list matches a value against each of its items.
    let kind = match (kind, def.field(name)) {
        (Some(FieldType::List), Some(field)) => field.items.as_ref().map(|items| items.kind),
        _ => kind,
    };
    let value = where_value(kind);
    let operators = |properties: Value, required: &[&str]| {
        let mut schema = json!({ "type": "object", "properties": properties, "additionalProperties": false });
        if required.is_empty() {
            schema["minProperties"] = json!(1);
        } else {
            schema["required"] = json!(required);
        }
        schema
    };
    json!({ "anyOf": [
        value,
        operators(json!({ "$gt": value, "$lt": value }), &[]),
        operators(json!({ "$ne": value }), &["$ne"]),
        operators(json!({ "$in": { "type": "array", "items": value } }), &["$in"]),
        operators(json!({ "$exists": { "type": "boolean" } }), &["$exists"]),
    ] })
}

/// A value `where` compares a field of this type with (see
/// [`where_value_schemas`]).
fn where_value(kind: Option<FieldType>) -> Value {
    let name = match kind {
        Some(FieldType::Objectid) => "WhereId",
        Some(FieldType::Datetime) => "WhereDate",
        _ => "WhereValue",
    };
    json!({ "$ref": schema_ref(name) })
}

/// The shared schemas of `where` values, recursive as the checker is: a
/// scalar, a list of values (an exact match, or `$in`'s candidates, each
/// converted the same way) or a sub-document (matched exactly, as it is),
/// whose keys may not start with `$` nor hold NUL: `propertyNames`, which
/// OpenAPI 3.0 leaves out of its subset of JSON Schema but tools read.
/// Ids and dates must parse; any other scalar is compared as it is (a
/// string with a number field simply matches nothing).
pub(super) fn where_value_schemas() -> Vec<(String, Value)> {
    let value = |scalar: Value, name: &str| {
        json!({
            "nullable": true,
            "anyOf": [
                scalar,
                { "type": "array", "items": { "$ref": schema_ref(name) } },
                { "$ref": schema_ref("WhereObject") },
            ],
        })
    };
    let any_scalar = json!({ "anyOf": [{ "type": "string" }, { "type": "number" }, { "type": "boolean" }] });
    vec![
        ("WhereValue".into(), value(any_scalar, "WhereValue")),
        ("WhereId".into(), value(json!({ "type": "string", "pattern": OBJECT_ID_PATTERN }), "WhereId")),
        ("WhereDate".into(), value(date_schema(), "WhereDate")),
        (
            "WhereObject".into(),
            json!({
                "type": "object",
                "propertyNames": { "pattern": "^([^$\\u0000][^\\u0000]*)?$" },
                "additionalProperties": { "$ref": schema_ref("WhereValue") },
            }),
        ),
    ]
}

/// The names `sort` accepts, as a regex alternation.
fn field_alternation(fields: &[String]) -> String {
    let escaped: Vec<String> = fields.iter().map(|f| f.replace('.', r"\.")).collect();
    format!("({})", escaped.join("|"))
}

/// `sort=`, with the resource's default. The pattern names one key of the
/// fields syntax (a blank value is no `sort`); the description says the
/// rest, which a regex cannot (at most five keys, none twice).
pub(super) fn sort_parameter(def: &Resource) -> Value {
    let description = format!(
        "The order; blank or absent is the resource's default. `a,-b` (a comma-separated list of fields, `-` \
         for descending), or Eve's list `[(\"a\", 1), (\"b\", -1)]` (JSON `[[\"a\", 1], [\"b\", -1]]` too), at \
         most {MAX_SORT_KEYS} keys among the fields `where` accepts, none twice, directions 1 or -1; `_id` is \
         appended to break ties. The pattern describes a single key; the other forms are accepted as said here."
    );
    let default = def.default_sort.as_deref().unwrap_or("_id");
    // Spaces only (not `\s`): the API trims Unicode whitespace, and
    // regex engines disagree on which control characters `\s` matches.
    let pattern = format!("^ *(-?{})? *$", field_alternation(&filter_fields(def)));
    let mut parameter = query_parameter(
        "sort",
        &description,
        json!({ "type": "string", "maxLength": MAX_WHERE_LEN, "default": default, "pattern": pattern }),
    );
    parameter["examples"] = json!({
        "field": { "summary": "A field, `-` for descending", "value": "-_created" },
    });
    parameter
}

/// `projection=`: a JSON object of field → 1 (only these) or field → 0
/// (all but these), naming the fields it may name: the schema's (hidden
/// ones included) and the meta fields, which always come whatever they say.
pub(super) fn projection_parameter(def: &Resource) -> Value {
    let hidden = if def.hidden_fields.is_empty() {
        String::new()
    } else {
        format!(" Hidden fields ({}) are returned only when a 1-projection names them.", def.hidden_fields.join(", "))
    };
    let description = format!(
        "The fields to return, `{{\"title\": 1}}`, or to leave out, `{{\"selftext\": 0}}` (not both: the \
         schema's two branches), at most {MAX_PROJECTION_KEYS}, as JSON of at most {MAX_WHERE_LEN} characters; \
         `true`/`false` stand for 1/0. The meta fields always come, whatever they are given.{hidden}"
    );
    let flag =
        |n: u8| json!({ "oneOf": [{ "type": "integer", "enum": [n] }, { "type": "boolean", "enum": [n == 1] }] });
    let any_flag = json!({ "oneOf": [{ "type": "integer", "enum": [0, 1] }, { "type": "boolean" }] });
    let branch = |n: u8| {
        let mut properties: Map<String, Value> = def.schema.keys().map(|name| (name.clone(), flag(n))).collect();
        properties.extend(META_FIELDS.iter().map(|name| (name.to_string(), any_flag.clone())));
        json!({
            "type": "object",
            "maxProperties": MAX_PROJECTION_KEYS,
            "properties": properties,
            "additionalProperties": false,
        })
    };
    let field = def.schema.keys().next().map_or("_id", String::as_str);
    let schema = json!({ "anyOf": [branch(1), branch(0)], "example": { field: 1 } });
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
            // Items are trimmed before the check, so a blank before the `$`
            // counts for nothing; a blank item is refused.
            json!({ "type": "array", "items": { "type": "string", "pattern": "^(?!\\s*\\$)[^,]*[^\\s,][^,]*$" } }),
            "Comma-separated; values (trimmed) may not be blank or start with `$`.",
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
