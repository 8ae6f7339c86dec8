//! `PUT`, `DELETE /v1/hidden/{user}/{post_id}` and `GET /v1/hidden/{user}`:
//! hiding a post, un-hiding it, and a user's hidden posts.
//!
//! User names follow the web front's rule (1 to 32 letters, digits, `-`
//! or `_`); post ids are ObjectIds (24 hex digits, answered in lower
//! case). Anything else is a 400 naming the rule. The writes have no body.

use actix_web::{http::StatusCode, web, HttpResponse};
use mongodb::bson::oid::ObjectId;
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    error::HideError,
    store::{Outcome, Store},
};

/// The longest user name, in characters (the kit's rule, the web front's
/// `MAX_USERNAME_CHARS`).
pub use kit::validate::MAX_USER_CHARS;

/// A user's hidden posts.
#[derive(Serialize, ToSchema)]
pub struct HiddenList {
    /// The user.
    pub user: String,
    /// The posts the user hides (24 hex digits each), newest first.
    pub post_ids: Vec<String>,
}

/// What a hide answers.
#[derive(Serialize, ToSchema)]
pub struct HiddenPost {
    /// The user.
    pub user: String,
    /// The post (24 hex digits).
    pub post_id: String,
    /// Always `true`.
    pub hidden: bool,
}

/// Checks a user name: 1 to [`MAX_USER_CHARS`] letters, digits, `-` or `_`
/// (the kit's rule, shared with likes and shares).
pub fn check_user(user: &str) -> Result<(), HideError> {
    kit::validate::user(user).map(|_| ()).map_err(HideError::BadInput)
}

/// Parses a post id: 24 hex digits.
pub fn parse_post_id(post_id: &str) -> Result<ObjectId, HideError> {
    ObjectId::parse_str(post_id)
        .map_err(|_| HideError::BadInput(format!("invalid post_id {post_id:?}: 24 hex digits expected")))
}

fn pair(path: &(String, String)) -> Result<(&str, ObjectId), HideError> {
    check_user(&path.0)?;
    Ok((&path.0, parse_post_id(&path.1)?))
}

/// Hides a post from a user's lists.
#[utoipa::path(
    put,
    path = "/v1/hidden/{user}/{post_id}",
    tag = "hidden",
    params(
        ("user" = String, Path, description = "The user (1 to 32 letters, digits, - or _)", min_length = 1, max_length = 32, pattern = r"^[\p{Alpha}\p{N}_-]+$"),
        ("post_id" = String, Path, description = "The post (24 hex digits)", pattern = "^[0-9a-fA-F]{24}$"),
        kit::openapi::IdempotencyKey,
    ),
    responses(
        (status = 201, description = "Hidden now", body = HiddenPost),
        (status = 200, description = "Hidden already", body = HiddenPost),
        (status = 400, description = "A malformed user, post id or Idempotency-Key", body = crate::openapi::ErrorBody),
        (status = 409, description = "A request with this Idempotency-Key is in progress (Retry-After)", body = crate::openapi::ErrorBody),
        (status = 422, description = "The user already hides MAX_HIDDEN_PER_USER posts, or the Idempotency-Key was used for another request", body = crate::openapi::ErrorBody),
        (status = 503, description = "The database is unavailable, or writes of this user kept colliding (Retry-After)", body = crate::openapi::ErrorBody),
    )
)]
pub async fn hide(store: web::Data<Store>, path: web::Path<(String, String)>) -> Result<HttpResponse, HideError> {
    let (user, post) = pair(&path)?;
    let status = match store.hide(user, post).await? {
        Outcome::Created => StatusCode::CREATED,
        _ => StatusCode::OK,
    };
    Ok(HttpResponse::build(status).json(HiddenPost { user: user.to_owned(), post_id: post.to_hex(), hidden: true }))
}

/// Un-hides a post.
#[utoipa::path(
    delete,
    path = "/v1/hidden/{user}/{post_id}",
    tag = "hidden",
    params(
        ("user" = String, Path, description = "The user (1 to 32 letters, digits, - or _)", min_length = 1, max_length = 32, pattern = r"^[\p{Alpha}\p{N}_-]+$"),
        ("post_id" = String, Path, description = "The post (24 hex digits)", pattern = "^[0-9a-fA-F]{24}$"),
        kit::openapi::IdempotencyKey,
    ),
    responses(
        (status = 204, description = "Not hidden any more"),
        (status = 400, description = "A malformed user, post id or Idempotency-Key", body = crate::openapi::ErrorBody),
        (status = 404, description = "The user does not hide this post", body = crate::openapi::ErrorBody),
        (status = 409, description = "A request with this Idempotency-Key is in progress (Retry-After)", body = crate::openapi::ErrorBody),
        (status = 422, description = "The Idempotency-Key was used for another request", body = crate::openapi::ErrorBody),
        (status = 503, description = "The database is unavailable, or writes of this user kept colliding (Retry-After)", body = crate::openapi::ErrorBody),
    )
)]
pub async fn unhide(store: web::Data<Store>, path: web::Path<(String, String)>) -> Result<HttpResponse, HideError> {
    let (user, post) = pair(&path)?;
    store.unhide(user, post).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The posts a user hides.
#[utoipa::path(
    get,
    path = "/v1/hidden/{user}",
    tag = "hidden",
    params(
        ("user" = String, Path, description = "The user (1 to 32 letters, digits, - or _)", min_length = 1, max_length = 32, pattern = r"^[\p{Alpha}\p{N}_-]+$"),
    ),
    responses(
        (status = 200, description = "The user's hidden posts, newest first (empty for a user who hides none); at most MAX_HIDDEN_PER_USER", body = HiddenList),
        (status = 400, description = "A malformed user", body = crate::openapi::ErrorBody),
        (status = 503, description = "The database is unavailable (Retry-After)", body = crate::openapi::ErrorBody),
    )
)]
pub async fn list(store: web::Data<Store>, user: web::Path<String>) -> Result<HttpResponse, HideError> {
    check_user(&user)?;
    let post_ids = store.list(&user).await?.into_iter().map(ObjectId::to_hex).collect();
    Ok(HttpResponse::Ok().json(HiddenList { user: user.into_inner(), post_ids }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_follow_the_web_fronts_rule() {
        for good in ["ann", "a", "Zoë_2", "x-y", &"a".repeat(32), "日本"] {
            assert!(check_user(good).is_ok(), "{good}");
        }
        for bad in ["", " ", "a b", "a/b", "a.b", &"a".repeat(33), "ann\n"] {
            assert!(matches!(check_user(bad), Err(HideError::BadInput(_))), "{bad:?}");
        }
    }

    #[test]
    fn post_ids_are_object_ids() {
        let id = parse_post_id("5F0C9E1B2A3D4C5B6A7F8E9D").unwrap();
        assert_eq!(id.to_hex(), "5f0c9e1b2a3d4c5b6a7f8e9d");
        for bad in ["", "123", "zzzzzzzzzzzzzzzzzzzzzzzz", "5f0c9e1b2a3d4c5b6a7f8e9d0"] {
            assert!(matches!(parse_post_id(bad), Err(HideError::BadInput(_))), "{bad:?}");
        }
    }
}
