//! The like, share and hide forms on every listed post, and the share
//! links (`GET /s/{code}`).
//!
//! Each form carries the session's CSRF token, a random form key and the
//! page to go back to. The handler checks the token, sends the write with
//! `Idempotency-Key: {user}.{action}.{key}` (so a double submit of one
//! form is one write, and one user's keys never meet another's), flashes
//! what happened and answers 303 to `next` (a path on this site only).
//! A service that is down is a flash message, never a 5xx.

use actix_session::Session;
use actix_web::{http::header, web, HttpResponse};
use actix_web_flash_messages::FlashMessage;
use mongodb::bson::oid::ObjectId;
use serde::Deserialize;

use super::{auth::safe_next, see_other};
use crate::{
    csrf,
    db::Db,
    error::AppError,
    reactions::valid_form_key,
    services::{Change, Post, Services},
    views::current_user,
};

/// The longest share code accepted in `/s/{code}` (longer ones are unknown
/// without asking shares).
pub const MAX_SHARE_CODE_CHARS: usize = 64;

/// What the like form asks for.
#[derive(Deserialize, utoipa::ToSchema, Default, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
pub enum LikeAction {
    /// Like the post.
    #[default]
    Like,
    /// Take the like back.
    Unlike,
}

/// What the hide form asks for.
#[derive(Deserialize, utoipa::ToSchema, Default, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
pub enum HideAction {
    /// Leave the post out of the user's lists.
    #[default]
    Hide,
    /// Show it again.
    Unhide,
}

/// The like form (`POST /posts/{id}/like`).
#[derive(Deserialize)]
pub struct LikeForm {
    csrf_token: String,
    idempotency_key: String,
    #[serde(default)]
    action: LikeAction,
    next: Option<String>,
}

/// The hide form (`POST /posts/{id}/hide`).
#[derive(Deserialize)]
pub struct HideForm {
    csrf_token: String,
    idempotency_key: String,
    #[serde(default)]
    action: HideAction,
    next: Option<String>,
}

/// The share form (`POST /posts/{id}/share`).
#[derive(Deserialize)]
pub struct ShareForm {
    csrf_token: String,
    idempotency_key: String,
    next: Option<String>,
}

/// What every form handler checks first: a post id, a logged-in user (or
/// a redirect to the login page), the CSRF token, the form key and that
/// the post exists. The user, the post and where to go back to.
async fn checked(
    services: &Services,
    db: &Db,
    session: &Session,
    raw_id: &str,
    csrf_token: &str,
    key: &str,
    next: Option<&str>,
) -> Result<Result<(String, Post, String), HttpResponse>, AppError> {
    let missing = || AppError::NotFound("There is no post with this id.".into());
    let id = ObjectId::parse_str(raw_id).map_err(|_| missing())?;
    let here = format!("/posts/{}", id.to_hex());
    let Some(user) = current_user(session) else {
        FlashMessage::info("Please log in to like, share or hide posts.").send();
        return Ok(Err(see_other(&format!("/login?next={}", urlencoding::encode(&here)))));
    };
    csrf::verify(session, csrf_token, db).await?;
    if !valid_form_key(key) {
        return Err(AppError::BadRequest("This form's key is malformed. Please reload the page and try again.".into()));
    }
    let post = services.post(id).await?.ok_or_else(missing)?;
    let back = match next {
        Some(next) => safe_next(Some(next)),
        None => here,
    };
    Ok(Ok((user, post, back)))
}

/// `POST /posts/{id}/like`: like or unlike, then back.
pub async fn like(
    services: Services,
    db: web::Data<Db>,
    session: Session,
    id: web::Path<String>,
    form: web::Form<LikeForm>,
) -> Result<HttpResponse, AppError> {
    let (user, post, back) =
        match checked(&services, &db, &session, &id, &form.csrf_token, &form.idempotency_key, form.next.as_deref())
            .await?
        {
            Ok(found) => found,
            Err(redirect) => return Ok(redirect),
        };
    let title = &post.title;
    let done = match form.action {
        LikeAction::Like => {
            let key = format!("{user}.like.{}", form.idempotency_key);
            services.like(post.id, &user, &key).await.map(|change| match change {
                Change::Done => format!("You like “{title}”."),
                Change::Already => format!("You already like “{title}”."),
            })
        }
        LikeAction::Unlike => services.unlike(post.id, &user).await.map(|change| match change {
            Change::Done => format!("You no longer like “{title}”."),
            Change::Already => format!("You did not like “{title}”."),
        }),
    };
    flash(done, "Likes are unavailable right now: nothing was changed. Please try again in a moment.");
    Ok(see_other(&back))
}

/// `POST /posts/{id}/hide`: hide or show again, then back.
pub async fn hide(
    services: Services,
    db: web::Data<Db>,
    session: Session,
    id: web::Path<String>,
    form: web::Form<HideForm>,
) -> Result<HttpResponse, AppError> {
    let (user, post, back) =
        match checked(&services, &db, &session, &id, &form.csrf_token, &form.idempotency_key, form.next.as_deref())
            .await?
        {
            Ok(found) => found,
            Err(redirect) => return Ok(redirect),
        };
    let title = &post.title;
    let done = match form.action {
        HideAction::Hide => {
            let key = format!("{user}.hide.{}", form.idempotency_key);
            services.hide(&user, post.id, &key).await.map(|change| match change {
                Change::Done => format!("Hidden: “{title}” is left out of your lists."),
                Change::Already => format!("“{title}” was hidden already."),
            })
        }
        HideAction::Unhide => services.unhide(&user, post.id).await.map(|change| match change {
            Change::Done => format!("“{title}” is shown in your lists again."),
            Change::Already => format!("“{title}” was not hidden."),
        }),
    };
    flash(done, "Hiding is unavailable right now: nothing was changed. Please try again in a moment.");
    Ok(see_other(&back))
}

/// `POST /posts/{id}/share`: the user's share link for the post (the same
/// one each time), in a flash message, then back.
pub async fn share(
    services: Services,
    db: web::Data<Db>,
    session: Session,
    id: web::Path<String>,
    form: web::Form<ShareForm>,
) -> Result<HttpResponse, AppError> {
    let (user, post, back) =
        match checked(&services, &db, &session, &id, &form.csrf_token, &form.idempotency_key, form.next.as_deref())
            .await?
        {
            Ok(found) => found,
            Err(redirect) => return Ok(redirect),
        };
    let key = format!("{user}.share.{}", form.idempotency_key);
    let done = services.share(post.id, &user, &key).await.map(|link| match link {
        Some(link) => format!("Your link to “{}”: {}", post.title, link.url),
        // Posts knows the post but shares does not yet (a new post sync
        // has not carried): say so rather than fail.
        None => format!("“{}” cannot be shared yet. Please try again in a moment.", post.title),
    });
    flash(done, "Sharing is unavailable right now. Please try again in a moment.");
    Ok(see_other(&back))
}

/// Flashes the outcome of a write: its message, or `unavailable` (the
/// cause logged) when the service failed.
fn flash(done: Result<String, crate::services::UpstreamError>, unavailable: &str) {
    match done {
        Ok(message) => FlashMessage::success(message).send(),
        Err(e) => {
            log::warn!("form write failed: {e}");
            FlashMessage::error(unavailable).send();
        }
    }
}

/// `GET /s/{code}`: counts one visit (shares' `POST
/// /v1/shares/visits/{code}`) and redirects (302) to the post's page. An
/// unknown code is the 404 page; shares down is the 503 page.
pub async fn share_link(services: Services, code: web::Path<String>) -> Result<HttpResponse, AppError> {
    let unknown = || AppError::NotFound("There is no share link at this address.".into());
    let code = code.into_inner();
    if code.is_empty()
        || code.len() > MAX_SHARE_CODE_CHARS
        || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(unknown());
    }
    let post_id = services.visit(&code).await?.ok_or_else(unknown)?;
    // The id comes from shares: only an ObjectId becomes a Location.
    let post_id = ObjectId::parse_str(&post_id).map_err(|_| {
        AppError::Service(crate::services::UpstreamError::Unexpected {
            service: "shares",
            detail: format!("the post id {post_id:?} for the code {code:?}"),
        })
    })?;
    Ok(HttpResponse::Found().insert_header((header::LOCATION, format!("/posts/{}", post_id.to_hex()))).finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    use serde_json::json;

    #[test]
    fn the_actions_parse_from_the_forms() {
        let like: LikeForm =
            serde_json::from_value(json!({"csrf_token": "t", "idempotency_key": "k", "action": "unlike"})).unwrap();
        assert_eq!(like.action, LikeAction::Unlike);
        let like: LikeForm = serde_json::from_value(json!({"csrf_token": "t", "idempotency_key": "k"})).unwrap();
        assert_eq!(like.action, LikeAction::Like);
        let bad = json!({"csrf_token": "t", "idempotency_key": "k", "action": "explode"});
        assert!(serde_json::from_value::<HideForm>(bad).is_err());
        assert!(serde_json::from_value::<ShareForm>(json!({"csrf_token": "t"})).is_err());
    }
}
