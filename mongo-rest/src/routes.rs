//! The API's endpoints, generic over the domain.
//!
//! - `GET /`: the resources, as Eve's `_links.child`.
//! - `/{resource}`: `GET`/`HEAD` a page, `POST` one document or a list, `OPTIONS`.
//! - `/{resource}/{id}`: `GET`/`HEAD`, `PATCH`, `PUT`, `DELETE`, `OPTIONS`.
//! - `/aggregations/{name}`: a named pipeline with typed parameters.
//! - `/openapi.json` and `/health`.
//!
//! Each URL has one handler that dispatches on the method, so that the
//! domain decides what is allowed and anything else gets a JSON 405 with
//! an `Allow` header.

use std::collections::HashMap;

use actix_web::{
    http::{header, Method as HttpMethod},
    web, HttpRequest, HttpResponse,
};
use mongodb::bson::{oid::ObjectId, Bson, DateTime, Document};
use serde_json::{json, Map, Value};

use super::{
    aggregate::Aggregations,
    convert,
    domain::Method,
    error::ApiError,
    query,
    settings::Settings,
    store::{Change, FindQuery, Served, Store, Written},
    validate::{Issues, Mode},
};

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

/// The query parameters of a collection `GET`, checked.
struct ListParams {
    find: FindQuery,
    embedded: Vec<String>,
    page: u64,
    max_results: u32,
    count: Count,
}

/// `count=`: how `_meta.total` is obtained.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Count {
    /// `count_documents` with the filter (the default, as in Eve).
    Exact,
    /// The collection's metadata count when there is no filter; exact otherwise.
    Estimated,
    /// No total and no `last` link: one extra document is read to know
    /// whether a next page exists.
    None,
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

/// `projection=` (and whether the client gave one) and `embedded=`, which
/// collection and item reads share. Without a client projection nothing is
/// projected in the database: hidden fields are dropped when rendering
/// (cheaper for SecantusDB than projecting, measured).
fn projection_and_embedded(
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
    fn parse(query: &[(String, String)], served: &Served, limits: (u32, u32)) -> Result<Self, ApiError> {
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

/// A collection page, in Eve's envelope.
async fn list(state: &ApiState, served: &Served, query: &Query) -> Result<HttpResponse, ApiError> {
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

/// Replaces related ids by the related documents, one query per field.
async fn embed(state: &ApiState, served: &Served, fields: &[String], items: &mut [Value]) -> Result<(), ApiError> {
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
async fn show(
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
fn not_modified(req: &HttpRequest, etag: &str, updated: DateTime) -> bool {
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

/// An entity tag without quotes or the weak prefix.
fn unquote(tag: &str) -> &str {
    let tag = tag.trim();
    let tag = tag.strip_prefix("W/").unwrap_or(tag);
    tag.trim_matches('"')
}

/// The `If-Match` header, required for every edit (428 without it). `*`
/// matches any current version (RFC 9110 §13.1.1); a weak tag (`W/"…"`)
/// never matches, since `If-Match` compares strongly: it becomes a tag no
/// document has, and the write gets 412.
fn if_match(req: &HttpRequest) -> Result<String, ApiError> {
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
fn json_body(req: &HttpRequest, body: &[u8]) -> Result<Value, ApiError> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if essence != "application/json" {
        return Err(ApiError::UnsupportedMediaType(content_type.to_string()));
    }
    serde_json::from_slice(body).map_err(|e| ApiError::BadRequest(format!("the body is not valid JSON: {e}")))
}

/// Eve's trimmed write response.
fn written(served: &Served, w: &Written) -> Value {
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
async fn create(req: &HttpRequest, state: &ApiState, served: &Served, body: &[u8]) -> Result<HttpResponse, ApiError> {
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
fn reject_if_invalid(issues: &[Issues], bulk: bool) -> Result<(), ApiError> {
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
async fn edit(
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

/// `GET /aggregations/{name}`: a named pipeline, its typed parameters from
/// the query string, paginated.
async fn aggregation(
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
fn render_aggregated(served: &Served, doc: &Document) -> Value {
    let mut map = convert::document_to_json(doc);
    if let Ok(id) = doc.get_object_id("_id") {
        map.insert("_links".into(), json!({ "self": served.self_link(id) }));
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_refuses_out_of_range_values_with_the_limit_named() {
        assert_eq!(paging(None, None, (25, 50)).unwrap(), (1, 25));
        assert_eq!(paging(Some("3"), Some("50"), (25, 50)).unwrap(), (3, 50));
        for (page, max) in
            [(Some("0"), None), (Some("-1"), None), (Some("x"), None), (None, Some("51")), (None, Some("0"))]
        {
            let err = paging(page, max, (25, 50)).unwrap_err().to_string();
            assert!(err.contains("page") || err.contains("max_results"), "{err}");
        }
        assert!(paging(None, Some("51"), (25, 50)).unwrap_err().to_string().contains("50"));
    }

    #[test]
    fn links_keep_the_query_and_replace_the_page() {
        let query = vec![("where".to_string(), "{\"a\": 1}".to_string()), ("page".to_string(), "2".to_string())];
        assert_eq!(href("posts", &query, Some(3)), "posts?where=%7B%22a%22%3A%201%7D&page=3");
        assert_eq!(href("posts", &[], None), "posts");
    }

    #[test]
    fn entity_tags_are_compared_without_quotes() {
        assert_eq!(unquote("\"abc\""), "abc");
        assert_eq!(unquote("W/\"abc\""), "abc");
        assert_eq!(unquote(" abc "), "abc");
    }
}
