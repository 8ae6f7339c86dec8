//! The OpenAPI 3 document, generated from the domain.

use serde_json::{json, Value};

use super::{aggregate::Aggregations, store::Store};

/// The OpenAPI document of everything the API serves.
pub fn document(store: &Store, _aggregations: &Aggregations) -> Value {
    json!({ "openapi": "3.0.3", "info": { "title": store.domain.api.title, "version": store.domain.api.version }, "paths": {} })
}
