//! Writes: `POST` (one document or a list), `PATCH`, `PUT` and `DELETE`
//! with `If-Match`, and Eve's trimmed write responses.

use actix_web::{HttpRequest, HttpResponse};
use mongodb::bson::{oid::ObjectId, Document};
use serde_json::{json, Value};

use super::*;
use crate::{
    convert,
    domain::Method,
    error::ApiError,
    store::{Change, Served, Written},
    validate::{Issues, Mode},
};

/// The `If-Match` header, required for every edit (428 without it). `*`
/// matches any current version (RFC 9110 §13.1.1); a weak tag (`W/"…"`)
/// never matches, since `If-Match` compares strongly: it becomes a tag no
/// document has, and the write gets 412.
pub(super) fn if_match(req: &HttpRequest) -> Result<String, ApiError> {
    let value = req
        .headers()
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or(ApiError::PreconditionRequired)?;
    if value.starts_with("W/") {
        return Ok(String::from("W/"));
    }
    Ok(unquote(value).to_string())
}

/// The request body as JSON: `application/json` only (415 otherwise).
pub(super) fn json_body(req: &HttpRequest, body: &[u8]) -> Result<Value, ApiError> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if essence != "application/json" {
        return Err(ApiError::UnsupportedMediaType(content_type.to_string()));
    }
    serde_json::from_slice(body).map_err(ApiError::InvalidJson)
}

/// Eve's trimmed write response.
pub(super) fn written(served: &Served, w: &Written) -> Value {
    json!({
        "_id": w.id.to_hex(),
        "_created": convert::rfc1123(w.created),
        "_updated": convert::rfc1123(w.updated),
        "_etag": w.etag,
        "_links": { "self": served.self_link(w.id) },
        "_status": "OK",
    })
}

/// `POST /{resource}`: one document or a list, all or nothing.
pub(super) async fn create(
    req: &HttpRequest,
    state: &ApiState,
    served: &Served,
    body: &[u8],
) -> Result<HttpResponse, ApiError> {
    let payload = json_body(req, body)?;
    let (bodies, bulk) = match payload {
        Value::Array(items) => (items, true),
        single => (vec![single], false),
    };
    if bodies.is_empty() {
        return Err(ApiError::BadRequest("the body is an empty list: nothing to insert".into()));
    }
    if bodies.len() > state.settings.max_bulk_documents {
        return Err(ApiError::TooManyDocuments { max: state.settings.max_bulk_documents, got: bodies.len() });
    }
    let mut docs = Vec::with_capacity(bodies.len());
    let mut issues: Vec<Issues> = Vec::with_capacity(bodies.len());
    for body in &bodies {
        match served.validator.validate(body, Mode::Create) {
            Ok(valid) => {
                docs.push(valid.document);
                issues.push(Issues::new());
            }
            Err(found) => {
                docs.push(Document::new());
                issues.push(found);
            }
        }
    }
    if issues.iter().all(|i| i.is_empty()) {
        let (unique, related) = futures::try_join!(
            state.store.check_unique(served, &docs, None),
            state.store.check_relations(served, &docs)
        )?;
        for ((slot, unique), related) in issues.iter_mut().zip(unique).zip(related) {
            slot.extend(unique);
            slot.extend(related);
        }
    }
    reject_if_invalid(&issues, bulk)?;
    let written_docs = state.store.insert(served, docs).await?;
    let mut response = HttpResponse::Created();
    if bulk {
        let items: Vec<Value> = written_docs.iter().map(|w| written(served, w)).collect();
        Ok(response.json(json!({ "_status": "OK", "_items": items })))
    } else {
        let w = &written_docs[0];
        response.insert_header((header::LOCATION, format!("/{}/{}", served.name, w.id)));
        response.insert_header((header::ETAG, format!("\"{}\"", w.etag)));
        Ok(response.json(written(served, w)))
    }
}

/// 422 with Eve's `_issues` (one document) or `_items` (a list).
pub(super) fn reject_if_invalid(issues: &[Issues], bulk: bool) -> Result<(), ApiError> {
    let failed = issues.iter().filter(|i| !i.is_empty()).count();
    if failed == 0 {
        return Ok(());
    }
    if !bulk {
        return Err(ApiError::Validation { failed, issues: Some(issues[0].clone()), items: None });
    }
    let items = issues
        .iter()
        .map(|i| if i.is_empty() { json!({ "_status": "OK" }) } else { json!({ "_status": "ERR", "_issues": i }) })
        .collect();
    Err(ApiError::Validation { failed, issues: None, items: Some(items) })
}

/// `PATCH` or `PUT /{resource}/{id}`.
pub(super) async fn edit(
    req: &HttpRequest,
    state: &ApiState,
    served: &Served,
    id: ObjectId,
    body: &[u8],
    method: Method,
) -> Result<HttpResponse, ApiError> {
    let if_match = if_match(req)?;
    let payload = json_body(req, body)?;
    let mode = if method == Method::Patch { Mode::Patch } else { Mode::Replace };
    let valid = served.validator.validate(&payload, mode).map_err(|issues| ApiError::Validation {
        failed: 1,
        issues: Some(issues),
        items: None,
    })?;
    let one = std::slice::from_ref(&valid.document);
    let (mut issues, related) =
        futures::try_join!(state.store.check_unique(served, one, Some(id)), state.store.check_relations(served, one))?;
    issues[0].extend(related.into_iter().flatten());
    reject_if_invalid(&issues, false)?;
    let change = match mode {
        Mode::Patch => Change::Patch { set: valid.document, recompute: valid.recompute },
        _ => Change::Replace(valid.document),
    };
    let w = state.store.update(served, id, &if_match, change).await?;
    Ok(HttpResponse::Ok().insert_header((header::ETAG, format!("\"{}\"", w.etag))).json(written(served, &w)))
}
