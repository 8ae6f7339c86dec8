//! The OpenAPI 3 document, generated from the domain.
//!
//! [`document`] walks the same definitions the handlers serve from (the
//! domain's resources, the oplog, the compiled aggregations) and describes
//! exactly what [`routes`](super::routes) answers: which methods each URL
//! allows, the query parameters with their limits, the conditional-request
//! headers, the status codes, and the JSON shapes of bodies and responses.
//! Nothing here is written per resource: a new resource in the TOML file
//! appears in the document on the next start.
//!
//! Every resource gets four schemas under `components/schemas`, named with a
//! dot so that they can never collide with the shared ones (resource names
//! cannot contain a dot):
//! - `<name>.document`: a `POST`/`PUT` body (required fields, defaults);
//! - `<name>.patch`: a `PATCH` body (nothing required, no defaults: it merges);
//! - `<name>.item`: a document as read (the meta fields, then every field,
//!   optional since a `projection` may leave any out);
//! - `<name>.page`: a collection page of items.
//!
//! What this hands off: the document is built once at startup
//! ([`super::startup::Builder::build`]) and served
//! as is at `/openapi.json`. Teaching shortcut: the two settings that bound
//! request sizes (`MAX_BODY_BYTES`, `MAX_BULK_DOCUMENTS`) live in the API
//! settings, which the store does not carry, so the document names them
//! instead of giving their values.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::{
    aggregate::Aggregations,
    convert::toml_to_json,
    domain::{Aggregation, Field, FieldType, Method, Param, Resource},
    query::{MAX_PROJECTION_KEYS, MAX_SORT_KEYS, MAX_WHERE_LEN},
    routes::MAX_PAGE,
    store::{Served, Store},
};

/// The OpenAPI version the document follows.
const OPENAPI_VERSION: &str = "3.0.3";

/// What an id looks like on the wire ([`convert`](super::convert) writes
/// ObjectIds as 24 lowercase hex digits).
const OBJECT_ID_PATTERN: &str = "^[0-9a-f]{24}$";

/// An RFC 1123 date, as every date travels.
const DATE_EXAMPLE: &str = "Tue, 02 Apr 2013 10:29:13 GMT";

/// The tag of the endpoints that are not resources (`/`, `/health`, `/openapi.json`).
const API_TAG: &str = "api";

/// The tag of the named aggregations.
const AGGREGATIONS_TAG: &str = "aggregations";

/// The OpenAPI document of everything the API serves.
pub fn document(store: &Store, aggregations: &Aggregations) -> Value {
    let mut paths = Map::new();
    let mut schemas = shared_schemas();
    let mut tags = vec![json!({ "name": API_TAG, "description": "The service itself: home, health, this document." })];

    paths.insert("/".into(), home_path());
    paths.insert("/health".into(), health_path());
    paths.insert("/openapi.json".into(), openapi_path());

    for served in store.resources() {
        let limits = store.domain.page_limits(served.def.max_results, served.def.max_results_limit);
        if let Some(path) = collection_path(served, limits) {
            paths.insert(format!("/{}", served.name), path);
        }
        if let Some(path) = item_path(served) {
            paths.insert(format!("/{}/{{id}}", served.name), path);
        }
        schemas.extend(resource_schemas(served));
        tags.push(described(json!({ "name": served.name }), &served.def.description));
    }

    if !aggregations.is_empty() {
        tags.push(json!({ "name": AGGREGATIONS_TAG, "description": "Named pipelines with typed parameters." }));
    }
    for (name, compiled) in aggregations {
        let def = &compiled.def;
        let limits = store.domain.page_limits(def.max_results, def.max_results_limit);
        paths.insert(format!("/aggregations/{name}"), aggregation_path(name, def, limits));
    }

    json!({
        "openapi": OPENAPI_VERSION,
        "info": info(store, aggregations),
        "tags": tags,
        "paths": paths,
        "components": {
            "schemas": schemas,
            "parameters": shared_parameters(),
            "headers": shared_headers(),
            "responses": shared_responses(),
        },
    })
}

/// `info`: the domain's title and version, and the conventions every
/// endpoint shares (said once here rather than on each operation).
fn info(store: &Store, aggregations: &Aggregations) -> Value {
    let api = &store.domain.api;
    let description = format!(
        "{title}: an Eve-style REST API over MongoDB, generated from its domain file.\n\n\
         Resources: {resources}. Aggregations: {aggregations}.\n\n\
         - Ids are 24 hex digits; dates are RFC 1123 strings (`{DATE_EXAMPLE}`).\n\
         - Reads send `ETag` and `Last-Modified`; `If-None-Match` or `If-Modified-Since` answer 304.\n\
         - `PATCH`, `PUT` and `DELETE` need `If-Match` with the document's current ETag: \
         428 without it, 412 when it is stale.\n\
         - Every error is `{{\"_status\": \"ERR\", \"_error\": {{\"code\": …, \"message\": …}}}}`, \
         with `_issues` (field → message) on 422.\n\
         - Every URL answers `OPTIONS` with an `Allow` header (a method not allowed answers 405); \
         a `POST` with `X-HTTP-Method-Override` is handled as the method it names.",
        title = api.title,
        resources = names(store.resources().map(resource_label)),
        aggregations = names(aggregations.keys().cloned()),
    );
    json!({ "title": api.title, "version": api.version, "description": description })
}

// --- paths -------------------------------------------------------------------

/// `/`: one link per resource.
fn home_path() -> Value {
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
fn health_path() -> Value {
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
fn openapi_path() -> Value {
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
fn collection_path(served: &Served, limits: (u32, u32)) -> Option<Value> {
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
fn item_path(served: &Served) -> Option<Value> {
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
fn list_operation(served: &Served, (default, limit): (u32, u32)) -> Value {
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
        "responses": responses(("200", ok), &[400, 503]),
    });
    described(operation, &def.description)
}

/// `POST /{resource}`: one document or a list, all or nothing.
fn create_operation(served: &Served) -> Value {
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
fn show_operation(served: &Served) -> Value {
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
fn edit_operation(served: &Served, method: Method) -> Value {
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
fn delete_operation(served: &Served) -> Value {
    json!({
        "tags": [served.name],
        "operationId": format!("{}.delete", served.name),
        "summary": format!("Delete a {}", served.item_title),
        "parameters": [parameter_ref("If-Match")],
        "responses": responses(("204", json!({ "description": "Deleted. No body." })), &[404, 412, 428, 503]),
    })
}

/// `/aggregations/{name}`: `GET` and `HEAD`.
fn aggregation_path(name: &str, def: &Aggregation, (default, limit): (u32, u32)) -> Value {
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
        "responses": responses(("200", ok), &[400, 503]),
    });
    json!({ "head": head_of(get.clone(), &format!("aggregations.{name}.head")), "get": get })
}

/// The `HEAD` twin of a `GET` operation: same parameters, statuses and
/// headers, no bodies.
fn head_of(mut get: Value, operation_id: &str) -> Value {
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
fn responses((status, success): (&str, Value), errors: &[u16]) -> Value {
    let mut responses = Map::new();
    responses.insert(status.into(), success);
    for code in errors {
        responses.insert(code.to_string(), response_ref(error_response_name(*code)));
    }
    responses.insert("default".into(), response_ref("Error"));
    Value::Object(responses)
}

// --- parameters --------------------------------------------------------------

/// `where=`, naming the fields this resource lets clients filter on.
fn where_parameter(def: &Resource) -> Value {
    let fields = filter_fields(def).join(", ");
    let regex = if def.regex_filters.is_empty() {
        "`$regex` is not allowed on this resource.".to_string()
    } else {
        format!("`$regex` only on: {}.", def.regex_filters.join(", "))
    };
    let description = format!(
        "A filter, as MongoDB JSON (`{{\"score\": {{\"$gt\": 50}}}}`) or in Python syntax \
         (`score > 50 and author == \"x\"`). Only comparison, set and logical operators are accepted. \
         Fields: {fields}. {regex} Ids are hex strings, dates RFC 1123 strings."
    );
    query_parameter("where", &description, json!({ "type": "string", "maxLength": MAX_WHERE_LEN }))
}

/// `sort=`, with the resource's default.
fn sort_parameter(def: &Resource) -> Value {
    let description = format!(
        "The order, `a,-b` (or Eve's `[(\"a\", 1), (\"b\", -1)]`), at most {MAX_SORT_KEYS} keys among the \
         fields `where` accepts; `_id` breaks ties."
    );
    let default = def.default_sort.as_deref().unwrap_or("_id");
    query_parameter("sort", &description, json!({ "type": "string", "maxLength": MAX_WHERE_LEN, "default": default }))
}

/// `projection=`, naming the hidden fields it can bring back.
fn projection_parameter(def: &Resource) -> Value {
    let hidden = if def.hidden_fields.is_empty() {
        String::new()
    } else {
        format!(" Hidden fields ({}) are returned only when a 1-projection names them.", def.hidden_fields.join(", "))
    };
    let description = format!(
        "The fields to return, `{{\"title\": 1}}`, or to leave out, `{{\"selftext\": 0}}` (not both), at most \
         {MAX_PROJECTION_KEYS}. The meta fields always come.{hidden}"
    );
    query_parameter("projection", &description, json!({ "type": "string", "maxLength": MAX_WHERE_LEN }))
}

/// `embedded=`, only for resources with something to embed.
fn embedded_parameter(def: &Resource) -> Option<Value> {
    let fields: Vec<&str> =
        def.schema.iter().filter(|(_, field)| embeddable(field)).map(|(name, _)| name.as_str()).collect();
    let first = fields.first()?;
    let description = format!(
        "Related documents to put in place of their ids, `{{\"{first}\": 1}}`. Embeddable: {}.",
        fields.join(", ")
    );
    Some(query_parameter("embedded", &description, json!({ "type": "string", "maxLength": MAX_WHERE_LEN })))
}

/// `max_results=`, with this resource's or aggregation's limits.
fn max_results_parameter(default: u32, limit: u32) -> Value {
    let description = format!("The page size, from 1 to {limit} (more is a 400, not a silent clamp).");
    query_parameter(
        "max_results",
        &description,
        json!({ "type": "integer", "minimum": 1, "maximum": limit, "default": default }),
    )
}

/// One declared parameter of an aggregation.
fn aggregation_parameter(name: &str, param: &Param) -> Value {
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
fn query_parameter(name: &str, description: &str, schema: Value) -> Value {
    described(json!({ "name": name, "in": "query", "required": false, "schema": schema }), description)
}

/// The fields `where` and `sort` accept: the allowed filters (`*` is every
/// schema field) and the meta fields that are always allowed.
fn filter_fields(def: &Resource) -> Vec<String> {
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

// --- resource schemas ------------------------------------------------------------

/// How a resource's fields are described: the same rules read three ways,
/// as the validator and the handlers apply them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
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
fn resource_schemas(served: &Served) -> Vec<(String, Value)> {
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
fn fields_schema(fields: &BTreeMap<String, Field>, variant: Variant, hidden: &[String]) -> Value {
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
fn field_schema(field: &Field, variant: Variant) -> Value {
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
fn embeddable(field: &Field) -> bool {
    let relation = match field.kind {
        FieldType::List => field.items.as_ref().and_then(|items| items.data_relation.as_ref()),
        _ => field.data_relation.as_ref(),
    };
    relation.is_some_and(|relation| relation.embeddable)
}

/// The JSON Schema of a scalar type.
fn scalar_schema(kind: FieldType) -> Value {
    match kind {
        FieldType::String => json!({ "type": "string" }),
        FieldType::Integer => json!({ "type": "integer", "format": "int64" }),
        FieldType::Float => json!({ "type": "number", "format": "double" }),
        FieldType::Number => json!({ "type": "number" }),
        FieldType::Boolean => json!({ "type": "boolean" }),
        FieldType::Datetime => json!({ "type": "string", "example": DATE_EXAMPLE }),
        FieldType::Objectid => json!({ "type": "string", "pattern": OBJECT_ID_PATTERN }),
        FieldType::List => json!({ "type": "array", "items": {} }),
        FieldType::Dict => json!({ "type": "object" }),
    }
}

/// `min`/`max`, lengths, `allowed` and `regex`, in JSON Schema's words.
fn add_rules(schema: &mut Value, field: &Field) {
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
fn is_read_only(field: &Field) -> bool {
    field.readonly || field.computed.is_some()
}

/// The wire format of dates, said where a date is expected.
fn date_note(kind: FieldType) -> &'static str {
    if kind == FieldType::Datetime {
        "RFC 1123 date."
    } else {
        ""
    }
}

// --- shared components -----------------------------------------------------------

/// The schemas every resource shares: meta fields, envelopes, errors.
fn shared_schemas() -> Map<String, Value> {
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
    schemas
}

/// Eve's error envelope, with the validation details of a 422.
fn error_schema() -> Value {
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
fn shared_parameters() -> Value {
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
            "schema": { "type": "string" },
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
fn shared_headers() -> Value {
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
fn shared_responses() -> Value {
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
const ERROR_RESPONSES: [(u16, &str, &str); 9] = [
    (400, "BadRequest", "A malformed request: a bad query parameter, a body that is not JSON, an empty list."),
    (404, "NotFound", "No such document (or the id is not 24 hex digits)."),
    (409, "Conflict", "A unique value taken by a concurrent write."),
    (412, "PreconditionFailed", "`If-Match` is stale: the document changed since it was read."),
    (413, "PayloadTooLarge", "The body is larger than `MAX_BODY_BYTES` (a server setting)."),
    (415, "UnsupportedMediaType", "The body is not `application/json`."),
    (422, "ValidationFailed", "The document breaks the schema: `_issues` (or `_items` for a list) says where."),
    (428, "PreconditionRequired", "A write without `If-Match`."),
    (503, "Unavailable", "The database cannot be reached; try again after `Retry-After` seconds."),
];

/// The `components/responses` name of an error status.
fn error_response_name(code: u16) -> &'static str {
    ERROR_RESPONSES.iter().find(|(c, _, _)| *c == code).map_or("Error", |(_, name, _)| name)
}

// --- small helpers -------------------------------------------------------------

/// `{"application/json": {"schema": …}}`.
fn json_content(schema: Value) -> Value {
    json!({ "application/json": { "schema": schema } })
}

/// The address of a schema under `components/schemas`.
fn schema_ref(name: &str) -> String {
    format!("#/components/schemas/{name}")
}

/// A `$ref` to a shared parameter.
fn parameter_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/parameters/{name}") })
}

/// A `$ref` to a shared response header.
fn header_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/headers/{name}") })
}

/// A `$ref` to a shared response.
fn response_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/responses/{name}") })
}

/// A resource's name, marked when clients cannot write it.
fn resource_label(served: &Served) -> String {
    if served.writable {
        served.name.clone()
    } else {
        format!("{} (read-only)", served.name)
    }
}

/// Names for a sentence: `a, b, c`, or `none`.
fn names(names: impl Iterator<Item = String>) -> String {
    let names: Vec<String> = names.collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

/// `value` with a `description`, unless there is nothing to say.
fn described(mut value: Value, description: &str) -> Value {
    if !description.is_empty() {
        value["description"] = json!(description);
    }
    value
}

/// A schema marked read-only.
fn read_only(mut schema: Value) -> Value {
    schema["readOnly"] = json!(true);
    schema
}

/// The non-empty parts, each ending with a full stop, joined by a space.
fn join_sentences(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|part| part.trim())
        .filter(|part| !part.is_empty())
        .map(|part| if part.ends_with(['.', '!', '?']) { part.to_string() } else { format!("{part}.") })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A limit from the domain as JSON: whole numbers as integers (`0`, not
/// `0.0`); `None` for NaN and infinities, which JSON cannot carry.
fn number(n: f64) -> Option<Value> {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Some(json!(n as i64))
    } else {
        serde_json::Number::from_f64(n).map(Value::Number)
    }
}

#[cfg(test)]
mod tests {
    use std::{collections::HashSet, path::Path};

    use mongodb::{options::ClientOptions, Client};

    use super::*;
    use crate::{aggregate, domain::Domain};

    /// The test domain's store, aggregations and document. The client
    /// never connects: the driver only connects on first use.
    async fn test_domain() -> (Store, Aggregations, Value) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("domain.toml");
        let domain = Domain::load(&path).unwrap();
        let options = ClientOptions::parse("mongodb://127.0.0.1:27017").await.unwrap();
        let store = Store::new(Client::with_options(options).unwrap(), "openapi-test", domain).unwrap();
        let aggregations = aggregate::compile(&store.domain).unwrap();
        let document = document(&store, &aggregations);
        (store, aggregations, document)
    }

    /// Follows a local `$ref` (`#/components/...`), if it is one.
    fn resolve<'a>(document: &'a Value, value: &'a Value) -> &'a Value {
        match value.get("$ref").and_then(Value::as_str) {
            Some(target) => document.pointer(target.trim_start_matches('#')).unwrap_or_else(|| panic!("{target}")),
            None => value,
        }
    }

    /// Every `$ref` anywhere in `value`.
    fn refs<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(target)) = map.get("$ref") {
                    found.push(target);
                }
                map.values().for_each(|v| refs(v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
            _ => {}
        }
    }

    /// The names of a path's operations and other keys, sorted.
    fn keys(path: &Value) -> Vec<&str> {
        let mut keys: Vec<&str> = path.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        keys
    }

    /// An operation's parameter by name, `$ref`s followed.
    fn parameter<'a>(document: &'a Value, operation: &'a Value, name: &str) -> Option<&'a Value> {
        operation["parameters"].as_array()?.iter().map(|p| resolve(document, p)).find(|p| p["name"] == name)
    }

    #[actix_web::test]
    async fn every_resource_and_aggregation_has_a_path() {
        let (store, aggregations, document) = test_domain().await;
        let paths = document["paths"].as_object().unwrap();
        for served in store.resources() {
            assert!(paths.contains_key(&format!("/{}", served.name)), "{}", served.name);
            assert!(paths.contains_key(&format!("/{}/{{id}}", served.name)), "{}", served.name);
            assert!(document["components"]["schemas"].get(format!("{}.item", served.name)).is_some());
        }
        assert!(store.resources().any(|s| s.name == "oplog"));
        for name in aggregations.keys() {
            assert!(paths.contains_key(&format!("/aggregations/{name}")), "{name}");
        }
        for path in ["/", "/health", "/openapi.json"] {
            assert!(paths.contains_key(path), "{path}");
        }
        assert_eq!(document["openapi"], "3.0.3");
        assert_eq!(document["info"]["title"], "posts and tags");
        assert_eq!(document["info"]["version"], "1.0");
    }

    #[actix_web::test]
    async fn posts_allow_what_the_domain_allows_and_writes_need_if_match() {
        let (_, _, document) = test_domain().await;
        let collection = &document["paths"]["/posts"];
        let item = &document["paths"]["/posts/{id}"];
        assert_eq!(keys(collection), ["get", "head", "post"]);
        assert_eq!(keys(item), ["delete", "get", "head", "parameters", "patch", "put"]);
        for method in ["patch", "put", "delete"] {
            let if_match = parameter(&document, &item[method], "If-Match").unwrap_or_else(|| panic!("{method}"));
            assert_eq!((&if_match["in"], &if_match["required"]), (&json!("header"), &json!(true)));
            for status in ["404", "412", "428"] {
                assert!(item[method]["responses"].get(status).is_some(), "{method} {status}");
            }
        }
        assert!(parameter(&document, &item["get"], "If-Match").is_none());
        assert!(parameter(&document, &item["get"], "If-None-Match").is_some());
        assert!(item["get"]["responses"].get("304").is_some());
        let post_body = &collection["post"]["requestBody"]["content"]["application/json"]["schema"]["oneOf"];
        assert_eq!(post_body[0]["$ref"], "#/components/schemas/posts.document");
        assert_eq!(post_body[1]["items"]["$ref"], "#/components/schemas/posts.document");
        let patch_body = &item["patch"]["requestBody"]["content"]["application/json"]["schema"];
        assert_eq!(patch_body["$ref"], "#/components/schemas/posts.patch");
        // tags: GET/POST and GET/DELETE only.
        assert_eq!(keys(&document["paths"]["/tags"]), ["get", "head", "post"]);
        assert_eq!(keys(&document["paths"]["/tags/{id}"]), ["delete", "get", "head", "parameters"]);
    }

    #[actix_web::test]
    async fn the_oplog_is_read_only() {
        let (_, _, document) = test_domain().await;
        assert_eq!(keys(&document["paths"]["/oplog"]), ["get", "head"]);
        assert_eq!(keys(&document["paths"]["/oplog/{id}"]), ["get", "head", "parameters"]);
        let schemas = document["components"]["schemas"].as_object().unwrap();
        assert!(!schemas.contains_key("oplog.document") && !schemas.contains_key("oplog.patch"));
    }

    #[actix_web::test]
    async fn page_sizes_carry_the_domain_limits() {
        let (store, _, document) = test_domain().await;
        let list = &document["paths"]["/posts"]["get"];
        let max_results = &parameter(&document, list, "max_results").unwrap()["schema"];
        assert_eq!(max_results["maximum"], store.domain.api.max_results_limit);
        assert_eq!((&max_results["minimum"], &max_results["default"]), (&json!(1), &json!(25)));
        let page = &parameter(&document, list, "page").unwrap()["schema"];
        assert_eq!((&page["minimum"], &page["maximum"]), (&json!(1), &json!(MAX_PAGE)));
        let user_tags = &document["paths"]["/aggregations/user_tags"]["get"];
        let max_results = &parameter(&document, user_tags, "max_results").unwrap()["schema"];
        assert_eq!((&max_results["maximum"], &max_results["default"]), (&json!(200), &json!(50)));
        let user = parameter(&document, user_tags, "user").unwrap();
        assert_eq!((&user["required"], &user["schema"]["maxLength"]), (&json!(true), &json!(64)));
        let topics = parameter(&document, &document["paths"]["/aggregations/recommendations"]["get"], "topics");
        assert_eq!(topics.unwrap()["schema"]["type"], "array");
    }

    #[actix_web::test]
    async fn the_posts_schema_follows_the_fields() {
        let (_, _, document) = test_domain().await;
        let schemas = &document["components"]["schemas"];
        let posts = &schemas["posts.document"];
        let required: Vec<&str> = posts["required"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        assert!(required.contains(&"title") && required.contains(&"created_utc"), "{required:?}");
        assert!(!required.contains(&"keywords") && !required.contains(&"score"), "{required:?}");
        let fields = &posts["properties"];
        assert_eq!((&fields["title"]["type"], &fields["title"]["maxLength"]), (&json!("string"), &json!(300)));
        assert_eq!((&fields["score"]["type"], &fields["score"]["format"]), (&json!("integer"), &json!("int64")));
        assert_eq!(fields["created_utc"]["type"], "string");
        assert!(fields["created_utc"]["description"].as_str().unwrap().contains("RFC 1123"));
        assert_eq!(fields["source"]["enum"], json!(["reddit", "stackexchange", "generated"]));
        assert_eq!(fields["keywords"]["readOnly"], true);
        assert!(fields["keywords"]["description"].as_str().unwrap().contains("projection"));
        assert_eq!(fields["name"]["pattern"], "^t3_[a-z0-9]+$");
        assert_eq!((&fields["view_count"]["nullable"], &fields["ups"]["minimum"]), (&json!(true), &json!(0)));
        assert_eq!((&fields["tags"]["maxItems"], &fields["tags"]["items"]["maxLength"]), (&json!(20), &json!(64)));
        assert_eq!(posts["additionalProperties"], false);
        let patch = &schemas["posts.patch"];
        assert!(patch.get("required").is_none() && patch["properties"]["score"].get("default").is_none());
        // A tag's post_id reads as an id or, with `embedded`, as the post.
        let post_id = &schemas["tags.item"]["allOf"][1]["properties"]["post_id"];
        assert_eq!(post_id["oneOf"][1]["$ref"], "#/components/schemas/posts.item");
        assert!(parameter(&document, &document["paths"]["/tags"]["get"], "embedded").is_some());
        assert!(parameter(&document, &document["paths"]["/posts"]["get"], "embedded").is_none());
    }

    #[actix_web::test]
    async fn every_ref_resolves_and_operation_ids_are_unique() {
        let (_, _, document) = test_domain().await;
        let mut found = Vec::new();
        refs(&document, &mut found);
        assert!(found.len() > 50, "{}", found.len());
        for target in found {
            let pointer = target.strip_prefix('#').unwrap_or_else(|| panic!("not local: {target}"));
            assert!(pointer.starts_with("/components/"), "{target}");
            assert!(document.pointer(pointer).is_some(), "unresolved {target}");
        }
        let mut ids = HashSet::new();
        for path in document["paths"].as_object().unwrap().values() {
            for operation in path.as_object().unwrap().values().filter_map(|o| o.get("operationId")) {
                assert!(ids.insert(operation.as_str().unwrap()), "duplicate operationId {operation}");
            }
        }
        // HEAD operations describe no bodies.
        let head = &document["paths"]["/posts/{id}"]["head"];
        assert!(head["responses"].as_object().unwrap().values().all(|r| r.get("content").is_none()));
    }

    #[actix_web::test]
    async fn the_document_serializes() {
        let (_, _, document) = test_domain().await;
        let text = serde_json::to_string(&document).unwrap();
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), document);
    }

    #[test]
    fn small_helpers() {
        assert_eq!(join_sentences(&["a thing", "", "RFC 1123 date."]), "a thing. RFC 1123 date.");
        assert_eq!(number(0.0), Some(json!(0)));
        assert_eq!(number(0.5), Some(json!(0.5)));
        assert_eq!(number(f64::NAN), None);
        assert_eq!(toml_to_json(&toml::Value::Array(vec![1.into(), "x".into()])), Ok(json!([1, "x"])));
    }

    #[test]
    fn patterns_match_the_whole_string_as_the_validator_does() {
        for (regex, pattern) in [
            ("^t3_[a-z0-9]+$", "^t3_[a-z0-9]+$"),
            ("t3_", "^(?:t3_)$"),
            ("^a|b$", "^(?:^a|b$)$"),
            ("^a\\$", "^(?:^a\\$)$"),
        ] {
            let field: Field = toml::from_str(&format!("type = \"string\"\nregex = '{regex}'")).unwrap();
            let mut schema = scalar_schema(field.kind);
            add_rules(&mut schema, &field);
            assert_eq!(schema["pattern"], pattern, "{regex}");
        }
    }
}
