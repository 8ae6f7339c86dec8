//! `GET /aggregations/{name}`: a named pipeline with typed parameters,
//! paged like a collection.

use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};
use mongodb::bson::Document;
use serde_json::{json, Value};

use super::*;
use crate::{convert, error::ApiError, store::Served};

/// `GET /aggregations/{name}`: a named pipeline, its typed parameters from
/// the query string, paginated.
pub(super) async fn aggregation(
    req: HttpRequest,
    path: web::Path<String>,
    query: Query,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    let name = path.into_inner();
    let compiled =
        state.aggregations.get(&name).ok_or_else(|| ApiError::NotFound(format!("no aggregation named {name:?}")))?;
    if let Some(answered) = read_only(&req)? {
        return Ok(answered);
    }
    let served = resource(&state, &compiled.def.resource)?;
    let mut given: HashMap<&str, &str> = HashMap::new();
    for (k, v) in query.iter() {
        given.insert(k, v);
    }
    let limits = state.store.domain.page_limits(compiled.def.max_results, compiled.def.max_results_limit);
    let (page, max_results) = paging(given.remove("page"), given.remove("max_results"), limits)?;
    let pipeline = compiled.pipeline(&given, (page - 1) * u64::from(max_results), i64::from(max_results) + 1)?;
    let mut docs = state.store.aggregate(served, pipeline).await?;
    let has_next = docs.len() > max_results as usize;
    docs.truncate(max_results as usize);
    let items: Vec<Value> = docs.iter().map(|d| render_aggregated(served, d)).collect();
    let links = page_links(&format!("aggregations/{name}"), &name, &query, page, has_next);
    Ok(HttpResponse::Ok()
        .json(json!({ "_items": items, "_links": links, "_meta": { "page": page, "max_results": max_results } })))
}

/// An aggregation result: JSON like any document, with a link to the
/// resource's item when the result carries its `_id`.
pub(super) fn render_aggregated(served: &Served, doc: &Document) -> Value {
    let mut map = convert::document_to_json(doc);
    if let Ok(id) = doc.get_object_id("_id") {
        map.insert("_links".into(), json!({ "self": served.self_link(id) }));
    }
    Value::Object(map)
}
