//! The home page (recommendations grid) and the full recommendations list.
//!
//! Both degrade rather than fail: without recommend the page is a 200 with
//! the search box and a notice, without tags the recommendations are the
//! anonymous ones, without hide every post is shown (with a notice),
//! without likes or shares the counts are missing (with a notice).
//!
//! ANCHOR: rounds
//! A logged-in page makes three rounds of calls, each round's calls at
//! once (`futures::join!`, through [`crate::fanout`]; `FANOUT=sequential`
//! awaits them one after another instead), each round waiting only for
//! what it needs:
//! 1. tags (the user's topics) and hide (the user's hidden posts);
//! 2. recommend, for the topics' posts: as many as the page shows plus as
//!    many as are hidden (at most recommend's 50), so that leaving the
//!    hidden ones out still fills the grid;
//! 3. likes and shares, for the counts of the posts listed.
//!
//! So the page takes about the slowest call of each round, not the sum of
//! all its calls (the `Server-Timing` entries overlap).
//! ANCHOR_END: rounds

use actix_session::Session;
use actix_web::{web, HttpResponse};
use actix_web_flash_messages::IncomingFlashMessages;
use tera::Tera;

use crate::{
    error::AppError,
    reactions::{self, Hidden},
    services::{Services, GRID_SIZE, MAX_RECOMMENDATIONS, RECOMMENDED_LIST_SIZE},
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
    page(&tera, &services, &session, &flashes, "index.html", GRID_SIZE, "/").await
}

/// `GET /recommended/`: the same recommendations as a longer list.
pub async fn recommended(
    tera: web::Data<Tera>,
    services: Services,
    session: Session,
    flashes: IncomingFlashMessages,
) -> Result<HttpResponse, AppError> {
    page(&tera, &services, &session, &flashes, "recommended.html", RECOMMENDED_LIST_SIZE, "/recommended/").await
}

async fn page(
    tera: &Tera,
    services: &Services,
    session: &Session,
    flashes: &IncomingFlashMessages,
    template: &str,
    limit: i64,
    here: &str,
) -> Result<HttpResponse, AppError> {
    let mut notices = Vec::new();
    let user = current_user(session);
    // ANCHOR: fan_out
    // Round 1: the topics and the hidden posts, at once.
    let (topics, hidden) = match &user {
        Some(user) => {
            let (topics, hidden) = services.fanout().join(services.user_topics(user), services.hidden(user)).await;
            let topics = topics.unwrap_or_else(|e| {
                log::warn!("home: no topics: {e}");
                notices.push(TAGS_NOTICE.to_owned());
                Vec::new()
            });
            (topics, Hidden::from_answer(hidden, &mut notices))
        }
        None => (Vec::new(), Hidden::nothing()),
    };
    // Round 2: the recommendations, enough of them to fill the page once
    // the hidden ones are left out (recommend serves them from memory).
    let wanted = (limit + hidden.len() as i64).min(MAX_RECOMMENDATIONS);
    let mut posts: Vec<PostView> = match services.recommendations(&topics, wanted).await {
        Ok(posts) => hidden.leave_out(posts).into_iter().take(limit as usize).map(PostView::from).collect(),
        Err(e) => {
            log::warn!("home: no recommendations: {e}");
            notices.push(RECOMMEND_NOTICE.to_owned());
            Vec::new()
        }
    };
    // Round 3: the counts of the posts shown, likes and shares at once.
    reactions::counts(services, user.as_deref(), &mut posts, &hidden, &mut notices).await;
    // ANCHOR_END: fan_out
    let mut context = page_context(session, flashes);
    context.insert("here", here);
    context.insert("posts", &posts);
    context.insert("topics", &topics);
    context.insert("recommendations_unavailable", &notices.iter().any(|n| n == RECOMMEND_NOTICE));
    context.insert("notices", &notices);
    render(tera, template, &mut context, services.timings())
}
