//! The API's endpoints, generic over the domain.
//!
//! - `GET /`: the resources, as Eve's `_links.child`.
//! - `/{resource}`: `GET`/`HEAD` a page, `POST` one document or a list, `OPTIONS`.
//! - `/{resource}/{id}`: `GET`/`HEAD`, `PATCH`, `PUT`, `DELETE`, `OPTIONS`.
//! - `/aggregations/{name}`: a named pipeline with typed parameters.
//! - `/openapi.json`, `/health`, and the probes `/health/live` and `/health/ready`.
//!
//! Each URL has one handler that dispatches on the method, so that the
//! domain decides what is allowed and anything else gets a JSON 405 with
//! an `Allow` header.
//!
//! # Layout
//! - `read.rs`: collection pages and single documents.
//! - `write.rs`: `POST`, `PATCH`, `PUT`, `DELETE`.
//! - `aggregation.rs`: named aggregations.
//!
//! This file holds the dispatch by URL and method, and the helpers the
//! three share (query parameters, paging, links, rendering).

use actix_web::{
    http::{header, Method as HttpMethod},
    web, HttpRequest, HttpResponse,
};
use mongodb::bson::{DateTime, Document};
use serde_json::{json, Map, Value};

use super::{
    aggregate::Aggregations,
    convert,
    domain::Method,
    error::ApiError,
    settings::Settings,
    store::{Served, Store},
};

mod aggregation;
mod read;
mod write;

use aggregation::aggregation;
use read::{list, show};
use write::{create, edit, if_match};

/// What every handler shares.
pub struct ApiState {
    /// The database side.
    pub store: Store,
    /// The compiled named aggregations.
    pub aggregations: Aggregations,
    /// The settings.
    pub settings: Settings,
    /// The OpenAPI document, generated once at startup.
    pub openapi: Value,
}

/// The highest page number accepted (a skip beyond this is a crawl, not a
/// reader: use a `where` on the sort key instead).
pub const MAX_PAGE: u64 = 100_000;

/// Mounts every endpoint.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::route().to(home))
        .route("/health", web::route().to(health))
        .route("/health/live", web::route().to(live))
        .route("/health/ready", web::route().to(ready))
        .route("/openapi.json", web::route().to(openapi_json))
        .route("/aggregations/{name}", web::route().to(aggregation))
        .route("/{resource}", web::route().to(collection))
        .route("/{resource}/{id}", web::route().to(item));
}

type Query = web::Query<Vec<(String, String)>>;

/// The URLs that only read (`/`, `/health`, `/openapi.json`,
/// `/aggregations/…`): `GET` and `HEAD` go on, `OPTIONS` is answered, any
/// other method is a 405.
fn read_only(req: &HttpRequest) -> Result<Option<HttpResponse>, ApiError> {
    const ALLOW: [&str; 3] = ["GET", "HEAD", "OPTIONS"];
    match method(req) {
        Some(Method::Get) => Ok(None),
        _ if req.method() == HttpMethod::OPTIONS => Ok(Some(options(&ALLOW))),
        _ => Err(not_allowed(req, ALLOW.to_vec())),
    }
}

/// `GET /health`: 200 while the process serves; the body says whether
/// MongoDB answers.
async fn health(req: HttpRequest, state: web::Data<ApiState>) -> Result<HttpResponse, ApiError> {
    if let Some(answered) = read_only(&req)? {
        return Ok(answered);
    }
    let database = match state.store.ping().await {
        Ok(()) => "up",
        Err(e) => {
            log::warn!("health: database unreachable: {e}");
            "down"
        }
    };
    Ok(HttpResponse::Ok().json(json!({ "status": "ok", "database": database })))
}

/// `GET /health/live`: 200 while the process serves requests (a liveness
/// probe restarts the process when this stops answering).
async fn live(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    if let Some(answered) = read_only(&req)? {
        return Ok(answered);
    }
    Ok(HttpResponse::Ok().json(json!({ "status": "live" })))
}

/// `GET /health/ready`: 200 when MongoDB answers, 503 otherwise (a
/// readiness probe takes the instance out of the load balancer meanwhile).
async fn ready(req: HttpRequest, state: web::Data<ApiState>) -> Result<HttpResponse, ApiError> {
    if let Some(answered) = read_only(&req)? {
        return Ok(answered);
    }
    match state.store.ping().await {
        Ok(()) => Ok(HttpResponse::Ok().json(json!({ "status": "ready", "checks": { "database": "up" } }))),
        Err(e) => {
            log::warn!("ready: database unreachable: {e}");
            Ok(HttpResponse::ServiceUnavailable()
                .insert_header((header::RETRY_AFTER, "5"))
                .json(json!({ "status": "not ready", "checks": { "database": "down" } })))
        }
    }
}

/// `GET /openapi.json`.
async fn openapi_json(req: HttpRequest, state: web::Data<ApiState>) -> Result<HttpResponse, ApiError> {
    if let Some(answered) = read_only(&req)? {
        return Ok(answered);
    }
    Ok(HttpResponse::Ok().json(&state.openapi))
}

/// `GET /`: Eve's home: one child link per resource.
async fn home(req: HttpRequest, state: web::Data<ApiState>) -> Result<HttpResponse, ApiError> {
    if let Some(answered) = read_only(&req)? {
        return Ok(answered);
    }
    let child: Vec<Value> = state.store.resources().map(|s| json!({ "href": s.name, "title": s.name })).collect();
    Ok(HttpResponse::Ok().json(json!({ "_links": { "child": child } })))
}

/// `/{resource}`: list or create.
async fn collection(
    req: HttpRequest,
    path: web::Path<String>,
    query: Query,
    body: web::Bytes,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    let served = resource(&state, &path)?;
    let mut allow = vec![];
    if served.def.allows(Method::Get) {
        allow.extend(["GET", "HEAD"]);
    }
    if served.writable && served.def.allows(Method::Post) {
        allow.push("POST");
    }
    allow.push("OPTIONS");
    match method(&req) {
        Some(Method::Get) if served.def.allows(Method::Get) => list(&state, served, &query).await,
        Some(Method::Post) if allow.contains(&"POST") => create(&req, &state, served, &body).await,
        _ if req.method() == HttpMethod::OPTIONS => Ok(options(&allow)),
        _ => Err(not_allowed(&req, allow)),
    }
}

/// `/{resource}/{id}`: read, edit, replace or delete one document.
async fn item(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    query: Query,
    body: web::Bytes,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    let (name, id) = path.into_inner();
    let served = resource(&state, &name)?;
    let mut allow: Vec<&'static str> = vec![];
    for m in [Method::Get, Method::Patch, Method::Put, Method::Delete] {
        if served.def.item_allows(m) && (m == Method::Get || served.writable) {
            allow.push(m.as_str());
            if m == Method::Get {
                allow.push("HEAD");
            }
        }
    }
    allow.push("OPTIONS");
    let requested = method(&req);
    if req.method() == HttpMethod::OPTIONS {
        return Ok(options(&allow));
    }
    let Some(requested) = requested.filter(|m| allow.contains(&m.as_str())) else {
        return Err(not_allowed(&req, allow));
    };
    // A malformed id names no document: 404, as for an unknown one.
    let id = convert::parse_object_id(&id)
        .ok_or_else(|| ApiError::NotFound(format!("no {} with id {id:?}", served.item_title)))?;
    match requested {
        Method::Get => show(&req, &state, served, id, &query).await,
        Method::Patch | Method::Put => edit(&req, &state, served, id, &body, requested).await,
        Method::Delete => {
            let if_match = if_match(&req)?;
            state.store.delete(served, id, &if_match).await?;
            Ok(HttpResponse::NoContent().finish())
        }
        Method::Post => Err(not_allowed(&req, allow)),
    }
}

/// The request's method as a domain method (`HEAD` reads like `GET`).
fn method(req: &HttpRequest) -> Option<Method> {
    Some(match *req.method() {
        HttpMethod::GET | HttpMethod::HEAD => Method::Get,
        HttpMethod::POST => Method::Post,
        HttpMethod::PATCH => Method::Patch,
        HttpMethod::PUT => Method::Put,
        HttpMethod::DELETE => Method::Delete,
        _ => return None,
    })
}

fn resource<'a>(state: &'a ApiState, name: &str) -> Result<&'a Served, ApiError> {
    state.store.resource(name).ok_or_else(|| ApiError::NotFound(format!("no resource named {name:?}")))
}

fn not_allowed(req: &HttpRequest, allow: Vec<&'static str>) -> ApiError {
    ApiError::MethodNotAllowed { method: req.method().to_string(), path: req.path().to_string(), allow }
}

fn options(allow: &[&str]) -> HttpResponse {
    HttpResponse::Ok().insert_header((header::ALLOW, allow.join(", "))).finish()
}

/// The query parameters a collection `GET` understands.
const LIST_PARAMS: [&str; 7] = ["where", "sort", "projection", "embedded", "max_results", "page", "count"];
/// The query parameters an item `GET` understands.
const ITEM_PARAMS: [&str; 2] = ["projection", "embedded"];

/// Refuses parameters this URL does not know: Eve ignores them, so a typo
/// (`wher=`) silently returns everything; here it is a 400 that names it.
fn refuse_unknown(query: &[(String, String)], known: &[&str]) -> Result<(), ApiError> {
    match query.iter().find(|(k, _)| !known.contains(&k.as_str())) {
        Some((unknown, _)) => Err(ApiError::BadRequest(format!(
            "unknown query parameter {unknown:?}; this URL takes {}",
            known.join(", ")
        ))),
        None => Ok(()),
    }
}

/// A query parameter's value (the last one, when repeated).
fn param<'q>(query: &'q [(String, String)], name: &str) -> Option<&'q str> {
    query.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// A query parameter that holds an expression, when given and not blank.
fn expression<'q>(query: &'q [(String, String)], name: &str) -> Option<&'q str> {
    param(query, name).filter(|text| !text.trim().is_empty())
}

/// `page=` and `max_results=`, checked: a page from 1 to [`MAX_PAGE`], a
/// page size from 1 to the limit. Out of range is a 400 naming the limit
/// (Eve silently clamps `max_results`; a client that asks for 500 and gets
/// 50 without a word pages wrongly).
fn paging(page: Option<&str>, max_results: Option<&str>, (default, limit): (u32, u32)) -> Result<(u64, u32), ApiError> {
    let page = match page {
        None => 1,
        Some(text) => match text.trim().parse::<u64>() {
            Ok(n) if (1..=MAX_PAGE).contains(&n) => n,
            _ => {
                return Err(ApiError::BadRequest(format!(
                    "invalid page: {text:?}; expected a whole number from 1 to {MAX_PAGE}"
                )))
            }
        },
    };
    let max_results = match max_results {
        None => default,
        Some(text) => match text.trim().parse::<u32>() {
            Ok(n) if (1..=limit).contains(&n) => n,
            _ => {
                return Err(ApiError::BadRequest(format!(
                    "invalid max_results: {text:?}; expected a whole number from 1 to {limit}"
                )))
            }
        },
    };
    Ok((page, max_results))
}

/// Eve's `_links` of a page: `parent`, `self`, and `next`/`prev` where
/// there is such a page (a collection adds `last` beside `next` when it
/// knows the total).
fn page_links(base: &str, title: &str, query: &[(String, String)], page: u64, has_next: bool) -> Map<String, Value> {
    let mut links = Map::new();
    links.insert("parent".into(), json!({ "title": "home", "href": "/" }));
    links.insert("self".into(), json!({ "title": title, "href": href(base, query, None) }));
    if has_next {
        links.insert("next".into(), json!({ "title": "next page", "href": href(base, query, Some(page + 1)) }));
    }
    if page > 1 {
        links.insert("prev".into(), json!({ "title": "previous page", "href": href(base, query, Some(page - 1)) }));
    }
    links
}

/// A link to `base` with the request's query, `page` replaced.
fn href(base: &str, query: &[(String, String)], page: Option<u64>) -> String {
    let mut pairs: Vec<String> = query
        .iter()
        .filter(|(k, _)| page.is_none() || k != "page")
        .map(|(k, v)| format!("{}={}", urlencoding::encode(k), urlencoding::encode(v)))
        .collect();
    if let Some(page) = page {
        pairs.push(format!("page={page}"));
    }
    if pairs.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", pairs.join("&"))
    }
}

/// A stored document as Eve shows it: hex ids, RFC 1123 dates, meta fields
/// always present (documents written outside the API count as created at
/// the epoch, as in Eve), and a `_links.self`. Without a client projection
/// (`hide`), the resource's hidden fields are left out.
fn render(served: &Served, doc: &Document, hide: bool) -> Value {
    let mut map = convert::document_to_json(doc);
    if hide {
        for field in &served.def.hidden_fields {
            map.remove(field);
        }
    }
    for meta in ["_created", "_updated"] {
        map.entry(meta).or_insert_with(|| json!(convert::rfc1123(DateTime::from_millis(0))));
    }
    if let Ok(id) = doc.get_object_id("_id") {
        map.insert("_links".into(), json!({ "self": served.self_link(id) }));
    }
    Value::Object(map)
}

/// An entity tag without quotes or the weak prefix.
fn unquote(tag: &str) -> &str {
    let tag = tag.trim();
    let tag = tag.strip_prefix("W/").unwrap_or(tag);
    tag.trim_matches('"')
}

#[cfg(test)]
mod tests;
