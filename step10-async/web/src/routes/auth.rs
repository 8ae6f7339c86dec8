//! Login, logout and the user's own page.
//!
//! A username is enough to log in: this step has no passwords (the workshop
//! did not either). A real application would verify a password hash or
//! delegate to an identity provider here.

use actix_session::Session;
use actix_web::{http::StatusCode, web, HttpResponse};
use actix_web_flash_messages::{FlashMessage, IncomingFlashMessages};
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
    session_store::REMEMBER_KEY,
    settings::Settings,
    views::{current_user, page_context, render_html, PostView, USER_KEY},
};

/// The longest username, in characters.
pub const MAX_USERNAME_CHARS: usize = 32;

/// `?next=` on the login page.
#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Where to go after logging in: only a path on this site. `//host`, `\`
/// and control characters or spaces (browsers drop tabs, turning `/\t/host`
/// into `//host`) would send the visitor to another site: an open redirect.
pub(crate) fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.chars().any(|c| c == '\\' || c.is_whitespace() || c.is_control()) =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// `GET /login`.
pub async fn login_form(
    tera: web::Data<Tera>,
    settings: web::Data<Settings>,
    session: Session,
    flashes: IncomingFlashMessages,
    query: web::Query<NextQuery>,
    services: Services,
) -> Result<HttpResponse, AppError> {
    let next = safe_next(query.next.as_deref());
    render_login(&tera, &settings, &session, &flashes, &next, "", None, StatusCode::OK, &services)
}

#[allow(clippy::too_many_arguments)] // one page, many parts: clearer than a struct used once
fn render_login(
    tera: &Tera,
    settings: &Settings,
    session: &Session,
    flashes: &IncomingFlashMessages,
    next: &str,
    username: &str,
    error: Option<&str>,
    status: StatusCode,
    services: &Services,
) -> Result<HttpResponse, AppError> {
    let token = csrf::token(session)?;
    let mut context = page_context(session, flashes);
    context.insert("csrf_token", &token);
    context.insert("next", next);
    context.insert("username", username);
    context.insert("error", &error);
    context.insert("max_username_chars", &MAX_USERNAME_CHARS);
    context.insert("remember_days", &(settings.remember_ttl.as_secs() / 86_400).max(1));
    let html = render_html(tera, "login.html", &mut context, services.timings())?;
    Ok(HttpResponse::build(status).content_type("text/html; charset=utf-8").body(html))
}

/// The login form.
#[derive(Deserialize)]
pub struct LoginForm {
    csrf_token: String,
    username: String,
    remember: Option<String>,
    next: Option<String>,
}

/// `POST /login`.
pub async fn login(
    tera: web::Data<Tera>,
    settings: web::Data<Settings>,
    db: web::Data<Db>,
    session: Session,
    flashes: IncomingFlashMessages,
    form: web::Form<LoginForm>,
    services: Services,
) -> Result<HttpResponse, AppError> {
    csrf::verify(&session, &form.csrf_token, &db).await?;
    let next = safe_next(form.next.as_deref());
    let username = form.username.trim();
    if let Err(message) = validate_username(username) {
        return render_login(
            &tera,
            &settings,
            &session,
            &flashes,
            &next,
            username,
            Some(&message),
            StatusCode::BAD_REQUEST,
            &services,
        );
    }
    db.record_login(username).await?;
    // A new session key on login: a key planted before login is worthless.
    session.renew();
    session.clear();
    let insert = |k: &str, v: &str| session.insert(k, v).map_err(|e| AppError::Unexpected(anyhow::anyhow!("{e}")));
    insert(USER_KEY, username)?;
    if form.remember.is_some() {
        insert(REMEMBER_KEY, "1")?;
    }
    csrf::token(&session)?;
    FlashMessage::success(format!("Welcome, {username}!")).send();
    Ok(see_other(&next))
}

/// Usernames: 1 to 32 letters, digits, `-` or `_`.
pub fn validate_username(username: &str) -> Result<(), String> {
    if username.is_empty() {
        return Err("Please enter a username.".into());
    }
    if username.chars().count() > MAX_USERNAME_CHARS {
        return Err(format!("A username is at most {MAX_USERNAME_CHARS} characters long."));
    }
    if !username.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_') {
        return Err("A username may hold letters, digits, - and _ only.".into());
    }
    Ok(())
}

/// The logout form (a button in the header).
#[derive(Deserialize)]
pub struct LogoutForm {
    csrf_token: String,
}

/// `POST /logout`.
pub async fn logout(
    db: web::Data<Db>,
    session: Session,
    form: web::Form<LogoutForm>,
) -> Result<HttpResponse, AppError> {
    csrf::verify(&session, &form.csrf_token, &db).await?;
    // Clear and renew rather than purge: the old key is deleted and the
    // goodbye message still has a (fresh, anonymous) session to live in.
    session.clear();
    session.renew();
    FlashMessage::info("You have been logged out.").send();
    Ok(see_other("/"))
}

/// `GET /me`: the user's tags (their preferred topics) and tagged posts.
pub async fn me(
    tera: web::Data<Tera>,
    services: Services,
    session: Session,
    flashes: IncomingFlashMessages,
) -> Result<HttpResponse, AppError> {
    let Some(user) = current_user(&session) else {
        FlashMessage::info("Please log in to see your tags.").send();
        return Ok(see_other("/login?next=%2Fme"));
    };
    let mut context = page_context(&session, &flashes);
    context.insert("here", "/me");
    // Round 1, all at once: the tags, the topics, the tagged posts (tags,
    // then posts) and the hidden posts.
    let (tags, topics, tagged, hidden) = futures::join!(
        services.user_tags(&user),
        services.user_topics(&user),
        services.tagged_posts(&user),
        services.hidden(&user),
    );
    let mut notices = Vec::new();
    let hidden = Hidden::from_answer(hidden, &mut notices);
    // Tags down: the page says so; posts down (tags answered): 503.
    let (tags, topics) = match (tags, topics) {
        (Ok(tags), Ok(topics)) => (tags, topics),
        (Err(e), _) | (_, Err(e)) => {
            log::warn!("/me: no tags: {e}");
            notices.push(TAGS_NOTICE.to_owned());
            context.insert("notices", &notices);
            context.insert("tags", &Vec::<String>::new());
            context.insert("posts", &Vec::<PostView>::new());
            context.insert("hidden_posts", &Vec::<PostView>::new());
            return crate::views::render(&tera, "me.html", &mut context, services.timings());
        }
    };
    let mut posts: Vec<PostView> = match tagged {
        Ok(tagged) => tagged
            .into_iter()
            .filter(|tagged| !hidden.contains(&tagged.post.id.to_hex()))
            .map(|tagged| PostView { tags: tagged.tags, ..PostView::from(tagged.post) })
            .collect(),
        Err(e) if crate::services::service_of(&e) == "tags" => {
            log::warn!("/me: no tagged posts: {e}");
            notices.push(TAGS_NOTICE.to_owned());
            Vec::new()
        }
        Err(e) => return Err(e.into()),
    };
    // Round 2, at once: the counts of the tagged posts, and the hidden
    // posts themselves (listed with their unhide forms only).
    let hidden_ids: Vec<String> = hidden.ids().map(str::to_owned).collect();
    let (_, hidden_posts) = futures::join!(
        reactions::counts(&services, Some(&user), &mut posts, &hidden, &mut notices),
        services.posts_by_ids(&hidden_ids),
    );
    let hidden_posts: Vec<PostView> = hidden_posts
        .unwrap_or_else(|e| {
            log::warn!("/me: no hidden posts: {e}");
            Vec::new()
        })
        .into_iter()
        .map(|post| PostView {
            hide_known: true,
            hidden: true,
            form_key: reactions::form_key(),
            ..PostView::from(post)
        })
        .collect();
    context.insert("hidden_posts", &hidden_posts);
    context.insert("notices", &notices);
    context.insert("tags", &tags);
    context.insert("topics", &topics);
    context.insert("posts", &posts);
    crate::views::render(&tera, "me.html", &mut context, services.timings())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(safe_next(Some("/posts/abc")), "/posts/abc");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\t/evil.example")), "/");
        assert_eq!(safe_next(Some("/ /evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn usernames_are_validated() {
        assert!(validate_username("alice_01").is_ok());
        assert!(validate_username("").is_err());
        assert!(validate_username("a b").is_err());
        assert!(validate_username("<b>").is_err());
        assert!(validate_username(&"a".repeat(33)).is_err());
    }
}
