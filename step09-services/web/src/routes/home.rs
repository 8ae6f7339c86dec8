//! The home page (recommendations grid) and the full recommendations list.

use actix_session::Session;
use actix_web::{web, HttpResponse};
use actix_web_flash_messages::IncomingFlashMessages;
use tera::Tera;

use crate::{
    api_client::{ApiClient, GRID_SIZE, RECOMMENDED_LIST_SIZE},
    error::AppError,
    views::{current_user, page_context, render, PostView},
};

/// `GET /` and `GET /index`: "Let's search on Reddit" and the grid.
pub async fn index(
    tera: web::Data<Tera>,
    api: web::Data<ApiClient>,
    session: Session,
    flashes: IncomingFlashMessages,
) -> Result<HttpResponse, AppError> {
    page(&tera, &api, &session, &flashes, "index.html", GRID_SIZE).await
}

/// `GET /recommended/`: the same recommendations as a longer list.
pub async fn recommended(
    tera: web::Data<Tera>,
    api: web::Data<ApiClient>,
    session: Session,
    flashes: IncomingFlashMessages,
) -> Result<HttpResponse, AppError> {
    page(&tera, &api, &session, &flashes, "recommended.html", RECOMMENDED_LIST_SIZE).await
}

async fn page(
    tera: &Tera,
    api: &ApiClient,
    session: &Session,
    flashes: &IncomingFlashMessages,
    template: &str,
    limit: i64,
) -> Result<HttpResponse, AppError> {
    let topics = match current_user(session) {
        Some(user) => api.user_topics(&user).await?,
        None => Vec::new(),
    };
    // The aggregation still runs on every page view, now in the API.
    let posts: Vec<PostView> = api.recommendations(&topics, limit).await?.into_iter().map(PostView::from).collect();
    let mut context = page_context(session, flashes);
    context.insert("posts", &posts);
    context.insert("topics", &topics);
    render(tera, template, &context)
}
