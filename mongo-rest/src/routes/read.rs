//! Reads: a collection page in Eve's envelope (its query parameters
//! checked, related documents embedded) and one document with conditional
//! requests.

use actix_web::{HttpRequest, HttpResponse};
use mongodb::bson::{oid::ObjectId, Bson, DateTime, Document};
use serde_json::{json, Value};

use super::*;
use crate::{
    convert,
    error::ApiError,
    query,
    store::{FindQuery, Served},
};

/// The query parameters of a collection `GET`, checked.
pub(super) struct ListParams {
    pub(super) find: FindQuery,
    pub(super) embedded: Vec<String>,
    pub(super) page: u64,
    pub(super) max_results: u32,
    pub(super) count: Count,
}

/// `count=`: how `_meta.total` is obtained.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Count {
    /// `count_documents` with the filter (the default, as in Eve).
    Exact,
    /// The collection's metadata count when there is no filter; exact otherwise.
    Estimated,
    /// No total and no `last` link: one extra document is read to know
    /// whether a next page exists.
    None,
}

/// `projection=` (and whether the client gave one) and `embedded=`, which
/// collection and item reads share. Without a client projection nothing is
/// projected in the database: the whole document is read and hidden fields
/// are dropped when rendering. (On the development server both cost the same,
/// measured; a projection would save bytes on the wire where hidden fields
/// are large.)
pub(super) fn projection_and_embedded(
    query: &[(String, String)],
    served: &Served,
) -> Result<(Option<Document>, bool, Vec<String>), ApiError> {
    let projection = expression(query, "projection").map(|t| query::parse_projection(t, &served.def)).transpose()?;
    let embedded = match expression(query, "embedded") {
        Some(text) => query::parse_embedded(text, &served.def)?,
        None => vec![],
    };
    let custom = projection.is_some();
    Ok((projection, custom, embedded))
}

impl ListParams {
    pub(super) fn parse(query: &[(String, String)], served: &Served, limits: (u32, u32)) -> Result<Self, ApiError> {
        refuse_unknown(query, &LIST_PARAMS)?;
        let filter = match expression(query, "where") {
            Some(text) => query::parse_where(text, &served.def)?,
            None => Document::new(),
        };
        let sort = match expression(query, "sort") {
            Some(text) => query::parse_sort(text, &served.def)?,
            None => served.default_sort.clone(),
        };
        let (projection, custom_projection, embedded) = projection_and_embedded(query, served)?;
        let get = |name: &str| param(query, name);
        let (page, max_results) = paging(get("page"), get("max_results"), limits)?;
        let count = match get("count") {
            None | Some("exact") => Count::Exact,
            Some("estimated") => Count::Estimated,
            Some("none") => Count::None,
            Some(other) => {
                return Err(ApiError::BadRequest(format!(
                    "invalid count: {other:?}; expected exact, estimated or none"
                )))
            }
        };
        let skip = (page - 1) * u64::from(max_results);
        let limit = i64::from(max_results) + i64::from(count == Count::None);
        Ok(Self {
            find: FindQuery { filter, sort, projection, skip, limit, custom_projection },
            embedded,
            page,
            max_results,
            count,
        })
    }
}

/// A collection page, in Eve's envelope.
pub(super) async fn list(state: &ApiState, served: &Served, query: &Query) -> Result<HttpResponse, ApiError> {
    let limits = state.store.domain.page_limits(served.def.max_results, served.def.max_results_limit);
    let params = ListParams::parse(query, served, limits)?;
    let (mut docs, total) = match params.count {
        Count::None => (state.store.find(served, &params.find).await?, None),
        count => {
            let (docs, total) = futures::try_join!(
                state.store.find(served, &params.find),
                state.store.count(served, &params.find.filter, count == Count::Estimated)
            )?;
            (docs, Some(total))
        }
    };
    let has_next = match total {
        Some(total) => params.page * u64::from(params.max_results) < total,
        None => {
            let more = docs.len() > params.max_results as usize;
            docs.truncate(params.max_results as usize);
            more
        }
    };
    let mut items: Vec<Value> = docs.iter().map(|d| render(served, d, !params.find.custom_projection)).collect();
    embed(state, served, &params.embedded, &mut items).await?;

    let mut links = page_links(&served.name, &served.name, query, params.page, has_next);
    let mut meta = json!({ "page": params.page, "max_results": params.max_results });
    if let Some(total) = total {
        meta["total"] = json!(total);
        // As Eve: `last` comes with `next`, so the last page has neither.
        if has_next {
            let last = total.div_ceil(u64::from(params.max_results));
            links.insert("last".into(), json!({ "title": "last page", "href": href(&served.name, query, Some(last)) }));
        }
    }
    let mut response = HttpResponse::Ok();
    if let Some(total) = total {
        response.insert_header(("X-Total-Count", total.to_string()));
    }
    Ok(response.json(json!({ "_items": items, "_links": links, "_meta": meta })))
}

/// Replaces related ids by the related documents, one query per field.
pub(super) async fn embed(
    state: &ApiState,
    served: &Served,
    fields: &[String],
    items: &mut [Value],
) -> Result<(), ApiError> {
    for field in fields {
        let Some(relation) = served
            .def
            .field(field)
            .and_then(|f| f.data_relation.as_ref().or_else(|| f.items.as_ref().and_then(|i| i.data_relation.as_ref())))
        else {
            continue;
        };
        let Some(related) = state.store.resource(&relation.resource) else { continue };
        let ids: Vec<ObjectId> = items
            .iter()
            .flat_map(|item| match item.get(field) {
                Some(Value::Array(values)) => values.iter().collect::<Vec<_>>(),
                Some(value) => vec![value],
                None => vec![],
            })
            .filter_map(|v| v.as_str().and_then(convert::parse_object_id))
            .collect();
        if ids.is_empty() {
            continue;
        }
        let docs = state.store.find_many_by_id(related, ids).await?;
        let lookup = |v: &Value| -> Value {
            v.as_str()
                .and_then(convert::parse_object_id)
                .and_then(|id| docs.get(&id))
                .map_or_else(|| v.clone(), |d| render(related, d, true))
        };
        for item in items.iter_mut() {
            if let Some(value) = item.get_mut(field) {
                let embedded = match &*value {
                    Value::Array(values) => Value::Array(values.iter().map(lookup).collect()),
                    other => lookup(other),
                };
                *value = embedded;
            }
        }
    }
    Ok(())
}

/// `GET /{resource}/{id}`, with conditional requests.
pub(super) async fn show(
    req: &HttpRequest,
    state: &ApiState,
    served: &Served,
    id: ObjectId,
    query: &Query,
) -> Result<HttpResponse, ApiError> {
    refuse_unknown(query, &ITEM_PARAMS)?;
    let (projection, custom, embedded) = projection_and_embedded(query, served)?;
    let doc = state
        .store
        .find_one(served, id, projection, custom)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no {} with id {id}", served.item_title)))?;
    let etag = doc.get_str("_etag").unwrap_or_default().to_string();
    let updated = match doc.get("_updated") {
        Some(Bson::DateTime(d)) => *d,
        _ => DateTime::from_millis(0),
    };
    let etag_header = format!("\"{etag}\"");
    let last_modified = convert::rfc1123(updated);
    if not_modified(req, &etag, updated) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag_header))
            .insert_header((header::LAST_MODIFIED, last_modified))
            .finish());
    }
    let mut items = vec![render(served, &doc, !custom)];
    embed(state, served, &embedded, &mut items).await?;
    let mut item = items.pop().unwrap_or_default();
    item["_links"]["parent"] = json!({ "title": "home", "href": "/" });
    item["_links"]["collection"] = json!({ "title": served.name, "href": served.name });
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag_header))
        .insert_header((header::LAST_MODIFIED, last_modified))
        .json(item))
}

/// Whether the client's copy is current: `If-None-Match` wins over
/// `If-Modified-Since` (RFC 9110 §13.2.2).
pub(super) fn not_modified(req: &HttpRequest, etag: &str, updated: DateTime) -> bool {
    if let Some(value) = req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
        return value.split(',').map(unquote).any(|tag| tag == "*" || tag == etag);
    }
    if let Some(since) = req.headers().get(header::IF_MODIFIED_SINCE).and_then(|v| v.to_str().ok()) {
        if let Some(since) = convert::parse_rfc1123(since) {
            // HTTP dates have whole seconds.
            return updated.timestamp_millis() / 1000 <= since.timestamp_millis() / 1000;
        }
    }
    false
}
