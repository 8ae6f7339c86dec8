//! The verb: share a post, visit a link, counts.
//!
//! - `POST /v1/shares` with `{"post_id", "user"}`: 201 `{"code", "url"}`
//!   for a new share, 200 with the same code when the user had shared the
//!   post; 422 when the posts service does not know the post (asked with
//!   `GET /posts/{id}`), 503 when it cannot be asked.
//! - `POST /v1/shares/visits/{code}`: one visit of the link, `{"post_id",
//!   "visits"}` (the link's visits now); 404 for an unknown code. The web
//!   front's `GET /s/{code}` calls it and redirects to the post.
//! - `GET /v1/shares/{post_id}`: `{"post_id", "count", "visits"}`.
//! - `GET /v1/shares?post_ids=a,b,c`: `{"_items": [{"post_id", "count",
//!   "visits"}, …]}` in the order asked, repeats left out, at most
//!   [`MAX_POST_IDS`].
//! - `POST /v1/reconcile`: `{"checked", "fixed"}`.

use actix_web::{http::StatusCode, web, HttpResponse};
use kit::{
    upstream::{Ctx, Upstream},
    RequestId,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    error::SharesError,
    store::{is_code, Store, MAX_POST_IDS},
    validate,
};

/// What `POST /v1/shares` takes.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewShare {
    /// The post (24 hex digits).
    #[schema(pattern = "^[0-9a-fA-F]{24}$")]
    pub post_id: String,
    /// Who shares it (the web front's user name: letters and digits of any
    /// script, `-` and `_`).
    #[schema(min_length = 1, max_length = 32, pattern = r"^[\p{Alpha}\p{N}_-]+$")]
    pub user: String,
}

/// A share's link.
#[derive(Serialize, ToSchema)]
pub struct ShareLink {
    /// The short code (8 letters and digits).
    pub code: String,
    /// The link, on the web front: `/s/{code}`.
    pub url: String,
    /// The post.
    pub post_id: String,
}

/// A visit.
#[derive(Serialize, ToSchema)]
pub struct Visit {
    /// The post the link leads to.
    pub post_id: String,
    /// The link's visits, this one included.
    pub visits: i64,
}

/// One post's counters.
#[derive(Serialize, ToSchema)]
pub struct PostCounts {
    /// The post.
    pub post_id: String,
    /// How many users shared it.
    pub count: i64,
    /// The visits of all its links.
    pub visits: i64,
}

/// The counters of many posts.
#[derive(Serialize, ToSchema)]
pub struct ManyCounts {
    /// One item per post asked for, in that order.
    #[serde(rename = "_items")]
    pub items: Vec<PostCounts>,
}

/// What reconcile did.
#[derive(Serialize, ToSchema)]
pub struct Reconcile {
    /// The posts whose counters were compared with their shares.
    pub checked: u64,
    /// The counters that were wrong and were set right.
    pub fixed: u64,
}

/// The link of a code.
fn link(code: String, post_id: String) -> ShareLink {
    ShareLink { url: format!("/s/{code}"), code, post_id }
}

/// Shares a post.
#[utoipa::path(
    post,
    path = "/v1/shares",
    tag = "shares",
    request_body = NewShare,
    params(kit::openapi::IdempotencyKey),
    responses(
        (status = 201, description = "A new link", body = ShareLink),
        (status = 200, description = "The user had shared the post: the same link", body = ShareLink),
        (status = 400, description = "A bad post id, user name, body or Idempotency-Key", body = crate::openapi::ErrorBody),
        (status = 409, description = "A request with this Idempotency-Key is in progress (Retry-After)", body = crate::openapi::ErrorBody),
        (status = 413, description = "The body is larger than MAX_BODY_BYTES", body = crate::openapi::ErrorBody),
        (status = 415, description = "The body is not application/json", body = crate::openapi::ErrorBody),
        (status = 422, description = "The posts service does not know the post, or the Idempotency-Key was used for another request", body = crate::openapi::ErrorBody),
        (status = 503, description = "The database or the posts service is unavailable (Retry-After)", body = crate::openapi::ErrorBody),
    )
)]
pub async fn share(
    store: web::Data<Store>,
    posts: web::Data<Upstream>,
    request_id: RequestId,
    body: web::Json<NewShare>,
) -> Result<HttpResponse, SharesError> {
    let NewShare { post_id, user } = body.into_inner();
    let (post_id, user) = (validate::post_id(&post_id)?, validate::user(&user)?);
    if let Some(code) = store.find(&post_id, &user).await? {
        return Ok(HttpResponse::Ok().json(link(code, post_id)));
    }
    let ctx = Ctx { request_id: request_id.0, ..Ctx::default() };
    let known =
        posts.get_json::<serde_json::Value>(&ctx, &format!("/posts/{post_id}")).await.map_err(SharesError::Posts)?;
    if known.is_none() {
        return Err(SharesError::UnknownPost(format!("the posts service does not know the post {post_id}")));
    }
    let share = store.share(&post_id, &user).await?;
    let status = if share.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok(HttpResponse::build(status).json(link(share.code, post_id)))
}

/// Counts one visit of a link.
#[utoipa::path(
    post,
    path = "/v1/shares/visits/{code}",
    tag = "shares",
    params(("code" = String, Path, description = "The link's code", pattern = "^[A-Za-z0-9]{8}$")),
    responses(
        (status = 200, description = "Counted: the post, and the link's visits now", body = Visit),
        (status = 404, description = "No such link", body = crate::openapi::ErrorBody),
        (status = 503, description = "The database is unavailable (Retry-After)", body = crate::openapi::ErrorBody),
    )
)]
pub async fn visit(store: web::Data<Store>, path: web::Path<String>) -> Result<HttpResponse, SharesError> {
    let code = path.into_inner();
    let unknown = || SharesError::NotFound(format!("no share link {:?}", code.chars().take(16).collect::<String>()));
    if !is_code(&code) {
        return Err(unknown());
    }
    match store.visit(&code).await? {
        Some((post_id, visits)) => Ok(HttpResponse::Ok().json(Visit { post_id, visits })),
        None => Err(unknown()),
    }
}

/// One post's counters.
#[utoipa::path(
    get,
    path = "/v1/shares/{post_id}",
    tag = "shares",
    params(("post_id" = String, Path, description = "The post: 24 hex digits", pattern = "^[0-9a-fA-F]{24}$")),
    responses(
        (status = 200, description = "How many users shared it, and its links' visits (0 for a post never shared)", body = PostCounts),
        (status = 400, description = "A bad post id", body = crate::openapi::ErrorBody),
        (status = 503, description = "The database is unavailable", body = crate::openapi::ErrorBody),
    )
)]
pub async fn count(store: web::Data<Store>, path: web::Path<String>) -> Result<HttpResponse, SharesError> {
    let post_id = validate::post_id(&path.into_inner())?;
    let (post_id, counts) = store.counts(&[post_id]).await?.remove(0);
    Ok(HttpResponse::Ok().json(PostCounts { post_id, count: counts.count, visits: counts.visits }))
}

/// The checked `post_ids`: distinct, in order.
pub fn parse_post_ids(pairs: &[(String, String)]) -> Result<Vec<String>, SharesError> {
    let list = pairs.iter().find(|(k, _)| k == "post_ids").map(|(_, v)| v.as_str());
    let Some(list) = list.filter(|l| !l.trim().is_empty()) else {
        return Err(SharesError::BadRequest(
            "the query parameter post_ids (ids separated by commas) is missing".into(),
        ));
    };
    let mut ids: Vec<String> = Vec::new();
    for part in list.split(',') {
        let id = validate::post_id(part.trim())?;
        if !ids.contains(&id) {
            ids.push(id);
        }
        if ids.len() > MAX_POST_IDS {
            return Err(SharesError::BadRequest(format!("at most {MAX_POST_IDS} post_ids per request")));
        }
    }
    Ok(ids)
}

/// Many posts' counters.
#[utoipa::path(
    get,
    path = "/v1/shares",
    tag = "shares",
    params(("post_ids" = String, Query, description = "Post ids (24 hex digits) separated by commas: at most 100 distinct ones", pattern = "^[0-9a-fA-F]{24}(,[0-9a-fA-F]{24})*$")),
    responses(
        (status = 200, description = "One item per post, in the order asked", body = ManyCounts),
        (status = 400, description = "post_ids missing, too many, or a bad id", body = crate::openapi::ErrorBody),
        (status = 503, description = "The database is unavailable", body = crate::openapi::ErrorBody),
    )
)]
pub async fn counts(
    store: web::Data<Store>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, SharesError> {
    let ids = parse_post_ids(&query)?;
    let items = store
        .counts(&ids)
        .await?
        .into_iter()
        .map(|(post_id, c)| PostCounts { post_id, count: c.count, visits: c.visits })
        .collect();
    Ok(HttpResponse::Ok().json(ManyCounts { items }))
}

/// Recounts every counter from the shares.
#[utoipa::path(
    post,
    path = "/v1/reconcile",
    tag = "shares",
    responses(
        (status = 200, description = "How many posts were checked, and how many counters fixed", body = Reconcile),
        (status = 503, description = "The database is unavailable", body = crate::openapi::ErrorBody),
    )
)]
pub async fn reconcile(store: web::Data<Store>) -> Result<HttpResponse, SharesError> {
    let done = store.reconcile().await?;
    log::info!("reconcile: {} posts checked, {} counters fixed", done.checked, done.fixed);
    Ok(HttpResponse::Ok().json(Reconcile { checked: done.checked, fixed: done.fixed }))
}
