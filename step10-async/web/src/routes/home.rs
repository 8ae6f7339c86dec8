//! The home page (recommendations grid) and the full recommendations list.
//!
//! Both degrade rather than fail: without recommend the page is a 200 with
//! the search box and a notice, without tags the recommendations are the
//! anonymous ones.

use actix_session::Session;
use actix_web::{web, HttpResponse};
use actix_web_flash_messages::IncomingFlashMessages;
use tera::Tera;

use crate::{
    error::AppError,
    services::{Services, GRID_SIZE, RECOMMENDED_LIST_SIZE},
    views::{current_user, page_context, render, PostView},
};

/// The notice when recommend cannot be reached.
pub const RECOMMEND_NOTICE: &str = "Recommendations are unavailable right now.";
/// The notice when tags cannot be reached (the pages hide the tag forms).
pub const TAGS_NOTICE: &str = "Tags are unavailable right now: your topics and tag forms will be back in a moment.";

/// `GET /` and `GET /index`: "Let's search on Reddit" and the grid.
pub async fn index(
    tera: web::Data<Tera>,
    services: Services,
    session: Session,
    flashes: IncomingFlashMessages,
) -> Result<HttpResponse, AppError> {
    page(&tera, &services, &session, &flashes, "index.html", GRID_SIZE).await
}

/// `GET /recommended/`: the same recommendations as a longer list.
pub async fn recommended(
    tera: web::Data<Tera>,
    services: Services,
    session: Session,
    flashes: IncomingFlashMessages,
) -> Result<HttpResponse, AppError> {
    page(&tera, &services, &session, &flashes, "recommended.html", RECOMMENDED_LIST_SIZE).await
}

async fn page(
    tera: &Tera,
    services: &Services,
    session: &Session,
    flashes: &IncomingFlashMessages,
    template: &str,
    limit: i64,
) -> Result<HttpResponse, AppError> {
    let mut notices = Vec::new();
    let topics = match current_user(session) {
        Some(user) => services.user_topics(&user).await.unwrap_or_else(|e| {
            log::warn!("home: no topics: {e}");
            notices.push(TAGS_NOTICE.to_owned());
            Vec::new()
        }),
        None => Vec::new(),
    };
    // Recommend serves them from memory: no aggregation per page view.
    let posts: Vec<PostView> = match services.recommendations(&topics, limit).await {
        Ok(posts) => posts.into_iter().map(PostView::from).collect(),
        Err(e) => {
            log::warn!("home: no recommendations: {e}");
            notices.push(RECOMMEND_NOTICE.to_owned());
            Vec::new()
        }
    };
    let mut context = page_context(session, flashes);
    context.insert("posts", &posts);
    context.insert("topics", &topics);
    context.insert("recommendations_unavailable", &notices.iter().any(|n| n == RECOMMEND_NOTICE));
    context.insert("notices", &notices);
    render(tera, template, &mut context, services.timings())
}
