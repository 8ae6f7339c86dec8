//! The verb: likes, unlikes and counts.
//!
//! - `PUT /v1/likes/{post_id}/{user}`: 201 the first time, 200 after (the
//!   like was there already); the body is the like and the post's count.
//! - `DELETE /v1/likes/{post_id}/{user}`: 204, or 404 when there was no like.
//! - `GET /v1/likes/{post_id}`: `{"post_id", "count"}` (0 for a post never
//!   liked: likes does not know which posts exist).
//! - `GET /v1/likes?post_ids=a,b,c&user=u`: `{"_items": [{"post_id",
//!   "count", "liked"}, …]}` in the order asked, repeats left out; at most
//!   [`MAX_POST_IDS`] ids; `liked` only when `user` is given.
//! - `GET /v1/liked/{user}`: `{"user", "post_ids"}`, the posts the user
//!   liked, newest first (at most [`crate::store::MAX_LIKED`]).
//! - `POST /v1/reconcile`: `{"checked", "fixed"}`.
//!
//! A post id is 24 hex digits and a user name the web front's (see
//! [`crate::validate`]); anything else is a 400.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    error::LikesError,
    store::{Liked, Store, MAX_POST_IDS},
    validate,
};

/// A like, as `PUT` answers it.
#[derive(Serialize, ToSchema)]
pub struct Like {
    /// The post (24 hex digits, lower case).
    pub post_id: String,
    /// Who likes it.
    pub user: String,
    /// Always `true`.
    pub liked: bool,
    /// The post's likes now.
    pub count: i64,
}

/// One post's count.
#[derive(Serialize, ToSchema)]
pub struct PostCount {
    /// The post.
    pub post_id: String,
    /// Its likes.
    pub count: i64,
}

/// One post of a [`Counts`] answer.
#[derive(Serialize, ToSchema)]
pub struct CountItem {
    /// The post.
    pub post_id: String,
    /// Its likes.
    pub count: i64,
    /// Whether `user` liked it (absent without `user`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub liked: Option<bool>,
}

/// The counts of many posts.
#[derive(Serialize, ToSchema)]
pub struct Counts {
    /// One item per post asked for, in that order.
    #[serde(rename = "_items")]
    pub items: Vec<CountItem>,
}

/// The posts a user liked.
#[derive(Serialize, ToSchema)]
pub struct LikedBy {
    /// The user.
    pub user: String,
    /// The posts, newest like first.
    pub post_ids: Vec<String>,
}

/// What reconcile did.
#[derive(Serialize, ToSchema)]
pub struct Reconcile {
    /// The posts whose counter was compared with their likes.
    pub checked: u64,
    /// The counters that were wrong and were set right.
    pub fixed: u64,
}

/// Likes a post.
#[utoipa::path(
    put,
    path = "/v1/likes/{post_id}/{user}",
    tag = "likes",
    params(
        ("post_id" = String, Path, description = "The post: 24 hex digits", pattern = "^[0-9a-fA-F]{24}$"),
        ("user" = String, Path, description = "Who likes it: the web front's user name", min_length = 1, max_length = 32, pattern = r"^[\p{Alpha}\p{N}_-]+$"),
        kit::openapi::IdempotencyKey,
    ),
    responses(
        (status = 201, description = "Liked now", body = Like),
        (status = 200, description = "The user had liked it already", body = Like),
        (status = 400, description = "A bad post id, user name or Idempotency-Key", body = crate::openapi::ErrorBody),
        (status = 409, description = "A request with this Idempotency-Key is in progress (Retry-After)", body = crate::openapi::ErrorBody),
        (status = 422, description = "This Idempotency-Key was used for another request", body = crate::openapi::ErrorBody),
        (status = 503, description = "The database is unavailable, or the post is too contended (Retry-After)", body = crate::openapi::ErrorBody),
    )
)]
pub async fn like(store: web::Data<Store>, path: web::Path<(String, String)>) -> Result<HttpResponse, LikesError> {
    let (post_id, user) = path.into_inner();
    let (post_id, user) = (validate::post_id(&post_id)?, validate::user(&user)?);
    let (mut response, count) = match store.like(&post_id, &user).await? {
        Liked::Created(count) => (HttpResponse::Created(), count),
        Liked::Already(count) => (HttpResponse::Ok(), count),
    };
    Ok(response.json(Like { post_id, user, liked: true, count }))
}

/// Unlikes a post.
#[utoipa::path(
    delete,
    path = "/v1/likes/{post_id}/{user}",
    tag = "likes",
    params(
        ("post_id" = String, Path, description = "The post: 24 hex digits", pattern = "^[0-9a-fA-F]{24}$"),
        ("user" = String, Path, description = "Who liked it", min_length = 1, max_length = 32, pattern = r"^[\p{Alpha}\p{N}_-]+$"),
        kit::openapi::IdempotencyKey,
    ),
    responses(
        (status = 204, description = "Unliked"),
        (status = 400, description = "A bad post id, user name or Idempotency-Key", body = crate::openapi::ErrorBody),
        (status = 404, description = "The user did not like the post", body = crate::openapi::ErrorBody),
        (status = 409, description = "A request with this Idempotency-Key is in progress (Retry-After)", body = crate::openapi::ErrorBody),
        (status = 422, description = "This Idempotency-Key was used for another request", body = crate::openapi::ErrorBody),
        (status = 503, description = "The database is unavailable, or the post is too contended (Retry-After)", body = crate::openapi::ErrorBody),
    )
)]
pub async fn unlike(store: web::Data<Store>, path: web::Path<(String, String)>) -> Result<HttpResponse, LikesError> {
    let (post_id, user) = path.into_inner();
    let (post_id, user) = (validate::post_id(&post_id)?, validate::user(&user)?);
    if store.unlike(&post_id, &user).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(LikesError::NotFound(format!("{user} does not like {post_id}")))
    }
}

/// One post's count.
#[utoipa::path(
    get,
    path = "/v1/likes/{post_id}",
    tag = "likes",
    params(("post_id" = String, Path, description = "The post: 24 hex digits", pattern = "^[0-9a-fA-F]{24}$")),
    responses(
        (status = 200, description = "The post's likes (0 for a post never liked)", body = PostCount),
        (status = 400, description = "A bad post id", body = crate::openapi::ErrorBody),
        (status = 503, description = "The database is unavailable", body = crate::openapi::ErrorBody),
    )
)]
pub async fn count(store: web::Data<Store>, path: web::Path<String>) -> Result<HttpResponse, LikesError> {
    let post_id = validate::post_id(&path.into_inner())?;
    let count = store.count(&post_id).await?;
    Ok(HttpResponse::Ok().json(PostCount { post_id, count }))
}

/// The checked query of [`counts`]: distinct post ids in order, and the user.
pub fn parse_counts_query(pairs: &[(String, String)]) -> Result<(Vec<String>, Option<String>), LikesError> {
    let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let Some(list) = get("post_ids").filter(|l| !l.trim().is_empty()) else {
        return Err(LikesError::BadRequest("the query parameter post_ids (ids separated by commas) is missing".into()));
    };
    let mut ids: Vec<String> = Vec::new();
    for part in list.split(',') {
        let id = validate::post_id(part.trim())?;
        if !ids.contains(&id) {
            ids.push(id);
        }
        if ids.len() > MAX_POST_IDS {
            return Err(LikesError::BadRequest(format!("at most {MAX_POST_IDS} post_ids per request")));
        }
    }
    let user = get("user").map(validate::user).transpose()?;
    Ok((ids, user))
}

/// Many posts' counts, and whether a user liked each.
#[utoipa::path(
    get,
    path = "/v1/likes",
    tag = "likes",
    params(
        ("post_ids" = String, Query, description = "Post ids (24 hex digits) separated by commas: at most 100 distinct ones; repeats are answered once", pattern = "^[0-9a-fA-F]{24}(,[0-9a-fA-F]{24})*$"),
        ("user" = Option<String>, Query, description = "Also say whether this user liked each post", min_length = 1, max_length = 32, pattern = r"^[\p{Alpha}\p{N}_-]+$"),
    ),
    responses(
        (status = 200, description = "One item per post, in the order asked", body = Counts),
        (status = 400, description = "post_ids missing, too many, or a bad id or user", body = crate::openapi::ErrorBody),
        (status = 503, description = "The database is unavailable", body = crate::openapi::ErrorBody),
    )
)]
pub async fn counts(
    store: web::Data<Store>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, LikesError> {
    let (ids, user) = parse_counts_query(&query)?;
    let counts = store.counts(&ids, user.as_deref()).await?;
    let items = counts.into_iter().map(|c| CountItem { post_id: c.post_id, count: c.count, liked: c.liked }).collect();
    Ok(HttpResponse::Ok().json(Counts { items }))
}

/// The posts a user liked.
#[utoipa::path(
    get,
    path = "/v1/liked/{user}",
    tag = "likes",
    params(("user" = String, Path, description = "The user", min_length = 1, max_length = 32, pattern = r"^[\p{Alpha}\p{N}_-]+$")),
    responses(
        (status = 200, description = "The posts, newest like first (at most 100)", body = LikedBy),
        (status = 400, description = "A bad user name", body = crate::openapi::ErrorBody),
        (status = 503, description = "The database is unavailable", body = crate::openapi::ErrorBody),
    )
)]
pub async fn liked_by(store: web::Data<Store>, path: web::Path<String>) -> Result<HttpResponse, LikesError> {
    let user = validate::user(&path.into_inner())?;
    let post_ids = store.liked_by(&user).await?;
    Ok(HttpResponse::Ok().json(LikedBy { user, post_ids }))
}

/// Recounts every counter from the likes.
#[utoipa::path(
    post,
    path = "/v1/reconcile",
    tag = "likes",
    responses(
        (status = 200, description = "How many posts were checked, and how many counters fixed", body = Reconcile),
        (status = 503, description = "The database is unavailable", body = crate::openapi::ErrorBody),
    )
)]
pub async fn reconcile(store: web::Data<Store>) -> Result<HttpResponse, LikesError> {
    let done = store.reconcile().await?;
    log::info!("reconcile: {} posts checked, {} counters fixed", done.checked, done.fixed);
    Ok(HttpResponse::Ok().json(Reconcile { checked: done.checked, fixed: done.fixed }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_counts_query_is_checked() {
        let a = "a".repeat(24);
        let b = "B".repeat(24);
        let (ids, user) = parse_counts_query(&pairs(&[("post_ids", &format!("{a},{b},{a}")), ("user", "u")])).unwrap();
        assert_eq!(ids, [a.clone(), "b".repeat(24)]);
        assert_eq!(user.as_deref(), Some("u"));
        let many: Vec<String> = (0..=MAX_POST_IDS).map(|n| format!("{n:024x}")).collect();
        assert!(parse_counts_query(&pairs(&[("post_ids", &many[..MAX_POST_IDS].join(","))])).is_ok());
        for bad in [
            pairs(&[]),
            pairs(&[("post_ids", "")]),
            pairs(&[("post_ids", "xyz")]),
            pairs(&[("post_ids", &format!("{a},"))]),
            pairs(&[("post_ids", &many.join(","))]),
            pairs(&[("post_ids", &a), ("user", "a b")]),
        ] {
            assert!(matches!(parse_counts_query(&bad), Err(LikesError::BadRequest(_))), "{bad:?}");
        }
    }
}
