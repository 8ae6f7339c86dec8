//! What the templates see: the post view model and the common page context,
//! and the render, which is timed and says in the footer how many service
//! calls the page made.

use std::time::Instant;

use actix_session::Session;
use actix_web::HttpResponse;
use actix_web_flash_messages::{IncomingFlashMessages, Level};
use kit::timing::Timings;
use serde::Serialize;
use tera::{Context, Tera};

use crate::{csrf, error::AppError, services::Post};

/// The session entry that holds the logged-in username.
pub const USER_KEY: &str = "user";

/// The logged-in user, if any.
pub fn current_user(session: &Session) -> Option<String> {
    session.get::<String>(USER_KEY).ok().flatten()
}

/// A post, ready for a template.
#[derive(Debug, Serialize)]
pub struct PostView {
    /// The ObjectId as hex, for `/posts/{id}` links.
    pub id: String,
    /// Title.
    pub title: String,
    /// Author.
    pub author: String,
    /// Link target.
    pub url: String,
    /// Linked site.
    pub domain: String,
    /// Discussion page.
    pub permalink: String,
    /// Text of a self post.
    pub selftext: String,
    /// Whether this is a text post.
    pub is_self: bool,
    /// `YYYY-MM-DD`, or empty when unknown.
    pub created: String,
    /// Score.
    pub score: i64,
    /// Number of comments.
    pub num_comments: i64,
    /// The linked image, when the post links one.
    pub image: Option<String>,
    /// `score / 10`, rounded, for recommendation tiles.
    pub weight: Option<i64>,
    /// Tags the current user gave the post (filled in where shown).
    pub tags: Vec<String>,
    /// How many users like it; `None` when likes did not answer (the page
    /// says so and shows no like form).
    pub likes: Option<i64>,
    /// Whether the logged-in user likes it.
    pub liked: bool,
    /// How many users shared it; `None` when shares did not answer.
    pub shares: Option<i64>,
    /// How often its share links were followed.
    pub visits: i64,
    /// Whether hide answered for this page (the hide form is shown only then).
    pub hide_known: bool,
    /// Whether the logged-in user hid it (only the post page shows hidden
    /// posts: the lists leave them out).
    pub hidden: bool,
    /// The random `Idempotency-Key` rendered into this post's forms (empty
    /// for anonymous visitors, who get no forms): a double submit sends the
    /// same key, and the service answers it once.
    pub form_key: String,
}

impl From<Post> for PostView {
    fn from(p: Post) -> Self {
        Self {
            id: p.id.to_hex(),
            image: image_url(&p.url),
            created: p
                .created_utc
                .and_then(|d| chrono::DateTime::from_timestamp_millis(d.timestamp_millis()))
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            weight: p.weight.map(|w| w.round() as i64),
            title: p.title,
            author: p.author,
            url: p.url,
            domain: p.domain,
            permalink: p.permalink,
            selftext: p.selftext,
            is_self: p.is_self,
            score: p.score,
            num_comments: p.num_comments,
            tags: Vec::new(),
            likes: None,
            liked: false,
            shares: None,
            visits: 0,
            hide_known: false,
            hidden: false,
            form_key: String::new(),
        }
    }
}

/// The URL itself when it points at an image file over http(s).
pub fn image_url(url: &str) -> Option<String> {
    let lower = url.to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) {
        return None;
    }
    let path = lower.split(['?', '#']).next().unwrap_or_default();
    [".jpg", ".jpeg", ".png", ".gif", ".webp"].iter().any(|ext| path.ends_with(ext)).then(|| url.to_owned())
}

/// A flash message as the layout shows it.
#[derive(Serialize)]
struct Flash {
    level: &'static str,
    content: String,
}

/// The context every page starts from: the user, their CSRF token (for the
/// logout form in the header) and the flash messages.
pub fn page_context(session: &Session, flashes: &IncomingFlashMessages) -> Context {
    let mut context = Context::new();
    context.insert("user", &current_user(session));
    context.insert("csrf_token", &csrf::existing(session));
    let flashes: Vec<Flash> = flashes
        .iter()
        .map(|m| Flash {
            level: match m.level() {
                Level::Error => "error",
                Level::Warning => "warning",
                Level::Success => "success",
                _ => "info",
            },
            content: m.content().to_owned(),
        })
        .collect();
    context.insert("flashes", &flashes);
    // What a page could not show because a service is down (handlers fill it).
    context.insert("notices", &Vec::<String>::new());
    context
}

/// The footer's line about the page's service calls: how many, and the
/// slowest (`3 service calls, slowest: recommend 4.1 ms`).
pub fn calls_summary(timings: &Timings) -> String {
    let calls = timings.calls();
    let Some(slowest) = calls.iter().max_by_key(|t| t.duration) else {
        return "No service calls".into();
    };
    let plural = if calls.len() == 1 { "" } else { "s" };
    let ms = slowest.duration.as_secs_f64() * 1e3;
    format!("{} service call{plural}, slowest: {} {ms:.1} ms", calls.len(), slowest.name)
}

/// Renders a template into HTML, with the footer's [`calls_summary`], and
/// records the render in `timings` (the `Server-Timing` entry `render`).
pub fn render_html(
    tera: &Tera,
    template: &str,
    context: &mut Context,
    timings: &Timings,
) -> Result<String, tera::Error> {
    context.insert("calls_summary", &calls_summary(timings));
    let started = Instant::now();
    let html = tera.render(template, context);
    timings.record("render", template, started.elapsed());
    html
}

/// Renders a template into a 200 HTML response.
pub fn render(tera: &Tera, template: &str, context: &mut Context, timings: &Timings) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(render_html(tera, template, context, timings)?))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{calls_summary, image_url, Timings};

    #[test]
    fn the_footer_names_the_slowest_call() {
        let timings = Timings::default();
        assert_eq!(calls_summary(&timings), "No service calls");
        timings.record("posts", "/posts/x", Duration::from_micros(1_200));
        assert_eq!(calls_summary(&timings), "1 service call, slowest: posts 1.2 ms");
        timings.record("recommend", "/v2/recommendations", Duration::from_micros(4_100));
        timings.record("render", "index.html", Duration::from_millis(9));
        assert_eq!(calls_summary(&timings), "2 service calls, slowest: recommend 4.1 ms");
    }

    #[test]
    fn image_links_are_recognised_by_extension() {
        assert!(image_url("http://i.imgur.com/To3DQ6J.jpg").is_some());
        assert!(image_url("https://i.imgur.com/x.PNG?1").is_some());
        assert!(image_url("https://example.com/article").is_none());
        assert!(image_url("javascript:alert(1)//.png").is_none());
        assert!(image_url("").is_none());
    }
}
