//! One post's page, and the tag forms on it.
//!
//! The page needs only the post's id to ask for everything it shows, so it
//! asks posts, tags, likes, shares and hide in one round, all at once.

use actix_session::Session;
use actix_web::{web, HttpResponse};
use actix_web_flash_messages::{FlashMessage, IncomingFlashMessages};
use mongodb::bson::oid::ObjectId;
use serde::Deserialize;
use tera::Tera;

use super::see_other;
use crate::{
    csrf,
    db::Db,
    error::AppError,
    reactions::{self, Hidden},
    routes::home::TAGS_NOTICE,
    services::Services,
    views::{current_user, page_context, render, PostView},
};

/// The longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 32;
/// How many tags one user may put on one post.
pub const MAX_TAGS_PER_POST: usize = 20;

/// Parses a post id; anything that is not an ObjectId is a missing post.
fn post_id(raw: &str) -> Result<ObjectId, AppError> {
    ObjectId::parse_str(raw).map_err(|_| AppError::NotFound("There is no post with this id.".into()))
}

/// `GET /posts/{id}`.
pub async fn show(
    tera: web::Data<Tera>,
    services: Services,
    session: Session,
    flashes: IncomingFlashMessages,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = post_id(&id)?;
    let user = current_user(&session);
    let ids = [id.to_hex()];
    // One round: the post, the user's tags on it, its counts, the hidden posts.
    let tags = async {
        match &user {
            Some(user) => Some(services.post_tags(user, id).await),
            None => None,
        }
    };
    let hidden = async {
        match &user {
            Some(user) => Some(services.hidden(user).await),
            None => None,
        }
    };
    let (post, tags, likes, shares, hidden) =
        futures::join!(services.post(id), tags, services.likes(&ids, user.as_deref()), services.shares(&ids), hidden);
    let post = post?.ok_or_else(|| AppError::NotFound("There is no post with this id.".into()))?;
    let mut post = PostView::from(post);
    let mut notices = Vec::new();
    let mut tags_available = true;
    match tags {
        Some(Ok(tags)) => post.tags = tags,
        // The post without the tag forms beats no post at all.
        Some(Err(e)) => {
            log::warn!("post page: no tags: {e}");
            notices.push(TAGS_NOTICE.to_owned());
            tags_available = false;
        }
        None => {}
    }
    let hidden = match hidden {
        Some(answer) => Hidden::from_answer(answer, &mut notices),
        None => Hidden::nothing(),
    };
    reactions::apply(std::slice::from_mut(&mut post), user.as_deref(), likes, shares, &hidden, &mut notices);
    let mut context = page_context(&session, &flashes);
    context.insert("here", &format!("/posts/{}", id.to_hex()));
    context.insert("post", &post);
    context.insert("max_tag_chars", &MAX_TAG_CHARS);
    context.insert("tags_available", &tags_available);
    context.insert("notices", &notices);
    render(&tera, "post.html", &mut context, services.timings())
}

/// The tag forms: add (the default) or remove one tag.
#[derive(Deserialize)]
pub struct TagForm {
    csrf_token: String,
    tag: String,
    #[serde(default)]
    action: TagAction,
}

/// What the tag form asks for.
#[derive(Deserialize, utoipa::ToSchema, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum TagAction {
    /// Put the tag on the post.
    #[default]
    Add,
    /// Take it off.
    Remove,
}

/// `POST /posts/{id}/tags`: the logged-in user adds or removes a tag.
pub async fn tags(
    services: Services,
    db: web::Data<Db>,
    session: Session,
    id: web::Path<String>,
    form: web::Form<TagForm>,
) -> Result<HttpResponse, AppError> {
    let id = post_id(&id)?;
    let here = format!("/posts/{}", id.to_hex());
    let Some(user) = current_user(&session) else {
        FlashMessage::info("Please log in to tag posts.").send();
        return Ok(see_other(&format!("/login?next={}", urlencoding::encode(&here))));
    };
    csrf::verify(&session, &form.csrf_token, &db).await?;
    if services.post(id).await?.is_none() {
        return Err(AppError::NotFound("There is no post with this id.".into()));
    }
    let tag = match normalise_tag(&form.tag) {
        Ok(tag) => tag,
        Err(message) => {
            FlashMessage::error(message).send();
            return Ok(see_other(&here));
        }
    };
    let done = match form.action {
        TagAction::Add => add_tag(&services, &user, id, &tag).await,
        TagAction::Remove => {
            services.remove_tag(&user, id, &tag).await.map(|()| Ok(format!("Removed the tag “{tag}”.")))
        }
    };
    match done {
        Ok(Ok(success)) => FlashMessage::success(success).send(),
        Ok(Err(refused)) => FlashMessage::error(refused).send(),
        // Tags down: the visitor is told on the post's page, not with a 5xx.
        Err(e) => {
            log::warn!("tagging failed: {e}");
            FlashMessage::error(TAGGING_FAILED).send();
        }
    }
    Ok(see_other(&here))
}

/// The flash message when tags cannot be reached.
pub const TAGGING_FAILED: &str = "Tagging is unavailable right now: nothing was changed. Please try again in a moment.";

/// Adds a tag unless the user's tags on the post are at the limit: the
/// message to show, or why tags could not be reached.
async fn add_tag(
    services: &Services,
    user: &str,
    id: ObjectId,
    tag: &str,
) -> Result<Result<String, String>, crate::services::UpstreamError> {
    let existing = services.post_tags(user, id).await?;
    if !existing.iter().any(|t| t == tag) && existing.len() >= MAX_TAGS_PER_POST {
        return Ok(Err(format!("A post can carry at most {MAX_TAGS_PER_POST} of your tags.")));
    }
    services.add_tag(user, id, tag).await?;
    Ok(Ok(format!("Tagged “{tag}”.")))
}

/// Trims, lower-cases and squeezes spaces; refuses empty, long or odd tags.
pub fn normalise_tag(raw: &str) -> Result<String, String> {
    let tag = raw.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    if tag.is_empty() {
        return Err("A tag cannot be empty.".into());
    }
    if tag.chars().count() > MAX_TAG_CHARS {
        return Err(format!("A tag is at most {MAX_TAG_CHARS} characters long."));
    }
    if !tag.chars().all(|c| c.is_alphanumeric() || " -_.+#".contains(c)) {
        return Err("A tag may hold letters, digits, spaces and - _ . + # only.".into());
    }
    Ok(tag)
}

#[cfg(test)]
mod tests {
    use super::normalise_tag;

    #[test]
    fn tags_are_normalised_and_validated() {
        assert_eq!(normalise_tag("  Machine   Learning ").unwrap(), "machine learning");
        assert_eq!(normalise_tag("C++").unwrap(), "c++");
        assert_eq!(normalise_tag("Übung").unwrap(), "übung");
        assert!(normalise_tag("   ").is_err());
        assert!(normalise_tag(&"x".repeat(33)).is_err());
        assert!(normalise_tag("<script>").is_err());
    }
}
