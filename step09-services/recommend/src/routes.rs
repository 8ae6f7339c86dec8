//! The endpoints: v1 and v2 of the recommendations, the sync endpoints,
//! `/health/ready` and `/openapi.json`.
//!
//! The sync endpoints are the kit's ([`Target::checkpoint`],
//! [`Target::apply`]) with one addition: after a batch is applied, the
//! candidates are reloaded before the answer goes back, so the instance
//! that applied a change serves it as soon as sync learns it was applied.

use actix_web::{web, HttpResponse};
use kit::{
    health::{self, Check},
    mongo::Mongo,
    sync::{Applied, Apply, Checkpoint, Target},
};
use serde_json::{json, Map};
use utoipa::OpenApi;

use crate::{
    candidates::Candidates,
    error::RecommendError,
    openapi::ApiDoc,
    rank::{self, Version},
};

/// v1's `Deprecation` header (RFC 9745: a structured-field date, the Unix
/// time of 2026-12-01T00:00:00Z).
pub const DEPRECATION: &str = "@1796083200";
/// v1's `Link` to its successor.
pub const SUCCESSOR: &str = "</v2/recommendations>; rel=\"successor-version\"";

type Query = web::Query<Vec<(String, String)>>;

/// Mounts every route (per worker).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/v1/recommendations").route(web::get().to(v1)))
        .service(web::resource("/v2/recommendations").route(web::get().to(v2)))
        .service(web::resource("/sync/checkpoint").route(web::get().to(checkpoint)))
        .service(web::resource("/sync/apply").route(web::post().to(apply)))
        .service(web::resource("/health/ready").route(web::get().to(ready)))
        .service(web::resource("/openapi.json").route(web::get().to(openapi)));
}

/// The parameters of both versions, for the OpenAPI document (the
/// handlers read the query string themselves, to refuse unknown names).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecommendParams {
    /// Comma-separated topics (keywords of the user's tags), at most 20;
    /// a blank item, or one starting with `$`, is refused. (The pattern's
    /// blanks are what `str::trim` strips: ECMA-262's `\s`, which
    /// schemathesis matches with, lacks U+0085.)
    #[param(pattern = r"^[\s\u0085]*$|^[\s\u0085]*[^,\s\u0085$][^,]*(,[\s\u0085]*[^,\s\u0085$][^,]*){0,19}$")]
    pub topics: Option<String>,
    /// Items per page, 1 to 50 (default 12).
    #[param(minimum = 1, maximum = 50)]
    pub max_results: Option<u32>,
    /// The page, from 1 to 100,000.
    #[param(minimum = 1, maximum = 100_000)]
    pub page: Option<u64>,
}

/// `GET /v1/recommendations`: step 08's aggregation, frozen (deprecated).
#[utoipa::path(
    get, path = "/v1/recommendations", tag = "recommendations",
    params(RecommendParams, ("min_score" = Option<i64>, Query, minimum = 50, description = "only posts above this score (at least 50, the default)")),
    responses(
        (status = 200, description = "Step 08's `recommendations` aggregation, exactly; `Deprecation` and `Link` point at v2", body = Object),
        (status = 400, description = "A bad parameter", body = Object),
        (status = 503, description = "The candidates are not loaded yet", body = Object),
    )
)]
pub async fn v1(query: Query, candidates: web::Data<Candidates>) -> Result<HttpResponse, RecommendError> {
    let params = rank::parse(&query, Version::V1)?;
    let snapshot = candidates.snapshot();
    if snapshot.checkpoint.is_none() {
        return Err(RecommendError::NotLoaded);
    }
    let page = rank::v1(&snapshot, &params);
    let links = rank::links("v1/recommendations", "recommendations", &query, params.page, page.has_next);
    Ok(HttpResponse::Ok()
        .insert_header(("Deprecation", DEPRECATION))
        .insert_header(("Link", SUCCESSOR))
        .json(json!({ "_items": page.items, "_links": links, "_meta": { "page": params.page, "max_results": params.max_results } })))
}

/// `GET /v2/recommendations`: topic-aware, each item saying why.
#[utoipa::path(
    get, path = "/v2/recommendations", tag = "recommendations",
    params(RecommendParams),
    responses(
        (status = 200, description = "`_items` (post fields and `why`), `_meta`, `_links`", body = Object),
        (status = 400, description = "A bad parameter", body = Object),
        (status = 503, description = "The candidates are not loaded yet", body = Object),
    )
)]
pub async fn v2(query: Query, candidates: web::Data<Candidates>) -> Result<HttpResponse, RecommendError> {
    let params = rank::parse(&query, Version::V2)?;
    let snapshot = candidates.snapshot();
    if snapshot.checkpoint.is_none() {
        return Err(RecommendError::NotLoaded);
    }
    let page = rank::v2(&snapshot, &params);
    let links = rank::links("v2/recommendations", "recommendations", &query, params.page, page.has_next);
    Ok(HttpResponse::Ok()
        .json(json!({ "_items": page.items, "_links": links, "_meta": { "page": params.page, "max_results": params.max_results } })))
}

/// `GET /sync/checkpoint`: where the store stands (internal: sync calls it).
#[utoipa::path(get, path = "/sync/checkpoint", tag = "sync", responses(
    (status = 200, description = "The store's checkpoint", body = Checkpoint),
    (status = 503, description = "The database is unavailable", body = Object),
))]
pub async fn checkpoint(target: web::Data<Target>) -> Result<web::Json<Checkpoint>, RecommendError> {
    Ok(web::Json(target.checkpoint().await?))
}

/// `POST /sync/apply`: a batch or snapshot page, applied with its
/// checkpoint (internal: sync calls it); the candidates are reloaded
/// before the answer.
#[utoipa::path(post, path = "/sync/apply", tag = "sync", request_body = Apply, responses(
    (status = 200, description = "Applied", body = Applied),
    (status = 400, description = "The body is not JSON", body = Object),
    (status = 409, description = "The checkpoint moved (the body has the current one)", body = Object),
    (status = 413, description = "The body is larger than MAX_BODY_BYTES", body = Object),
    (status = 415, description = "The body is not `application/json`", body = Object),
    (status = 422, description = "A gap, or a malformed batch", body = Object),
    (status = 503, description = "The database is unavailable", body = Object),
))]
pub async fn apply(
    target: web::Data<Target>,
    candidates: web::Data<Candidates>,
    batch: web::Json<Apply>,
) -> Result<web::Json<Applied>, RecommendError> {
    let applied = target.apply(batch.into_inner()).await?;
    // The batch is committed: a failed reload is not the batch's failure
    // (sync must not send it again); the poll retries the reload.
    if let Err(e) = candidates.reload().await {
        log::warn!("candidates: reload after a batch failed (the poll retries): {e}");
    }
    Ok(web::Json(applied))
}

/// `GET /health/ready`: the database answers and the candidates are loaded.
#[utoipa::path(get, path = "/health/ready", tag = "health", responses(
    (status = 200, description = "Ready: `checks`, `databases` touched, `candidates`, `checkpoint`", body = Object),
    (status = 503, description = "Not ready", body = Object),
))]
pub async fn ready(mongo: web::Data<Mongo>, candidates: web::Data<Candidates>) -> HttpResponse {
    let database = mongo.ping().await;
    if let Err(e) = &database {
        log::warn!("ready: database unreachable: {e}");
    }
    let snapshot = candidates.snapshot();
    let mut extra = Map::new();
    extra.insert("databases".into(), json!(mongo.touched()));
    extra.insert("candidates".into(), json!(snapshot.posts.len()));
    extra.insert("checkpoint".into(), json!(snapshot.checkpoint.as_ref().and_then(|c| c.position.seq)));
    health::ready(
        vec![Check::new("database", database.is_ok()), Check::new("candidates", snapshot.checkpoint.is_some())],
        extra,
    )
}

/// `GET /health/live` (mounted by the kit; here for the document).
#[utoipa::path(get, path = "/health/live", tag = "health", responses((status = 200, description = "The process serves", body = Object)))]
pub async fn live() -> HttpResponse {
    health::live().await
}

/// `GET /openapi.json`: the document, generated by utoipa.
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
