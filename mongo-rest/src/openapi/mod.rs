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
//!
//! # Layout
//! - `paths.rs`: the URLs and their operations, parameters and responses.
//! - `schemas.rs`: the resources' schemas and the shared components.

use serde_json::{json, Map, Value};

use super::{
    aggregate::Aggregations,
    store::{Served, Store},
};

mod paths;
mod schemas;

use paths::{aggregation_path, collection_path, health_path, home_path, item_path, openapi_path, probe_paths};
use schemas::{resource_schemas, shared_headers, shared_parameters, shared_responses, shared_schemas};

/// The OpenAPI version the document follows.
const OPENAPI_VERSION: &str = "3.0.3";

/// What an id looks like on the wire ([`convert`](super::convert) writes
/// ObjectIds as 24 lowercase hex digits).
const OBJECT_ID_PATTERN: &str = "^[0-9a-f]{24}$";

/// An RFC 1123 date, as every date travels.
const DATE_EXAMPLE: &str = "Tue, 02 Apr 2013 10:29:13 GMT";

/// A date as clients write it, without the weekday, days 01 to 28 so that
/// every match is a real date, years 1970 to 2099.
const DATE_PATTERN: &str = "^(0[1-9]|1[0-9]|2[0-8]) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \
                            (19[7-9][0-9]|20[0-9][0-9]) ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9] GMT$";

/// The tag of the endpoints that are not resources (`/`, `/health`, `/openapi.json`).
const API_TAG: &str = "api";

/// The tag of the named aggregations.
const AGGREGATIONS_TAG: &str = "aggregations";

/// The OpenAPI document of everything the API serves.
pub fn document(store: &Store, aggregations: &Aggregations) -> Value {
    let mut paths = Map::new();
    let mut schemas = shared_schemas();
    schemas.extend(paths::where_value_schemas());
    let mut tags = vec![json!({ "name": API_TAG, "description": "The service itself: home, health, this document." })];

    paths.insert("/".into(), home_path());
    paths.insert("/health".into(), health_path());
    for (path, item) in probe_paths() {
        paths.insert(path.into(), item);
    }
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
mod tests;
