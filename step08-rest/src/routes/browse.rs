//! `/browse`: the workshop's JavaScript client of the API.
//!
//! The server renders an empty shell (search box, list, status line) and
//! hands the browser the API's public address in a `data-api-url`
//! attribute; `static/browse.js` then calls the API itself, page after page,
//! as the user scrolls. The Content-Security-Policy (see
//! [`crate::startup`]) allows exactly that: scripts from this site only, and
//! `connect-src` to this site and `PUBLIC_API_URL`.

use actix_session::Session;
use actix_web::{http::header, web, HttpResponse};
use actix_web_flash_messages::IncomingFlashMessages;
use tera::Tera;

use crate::{
    error::AppError,
    settings::Settings,
    views::{page_context, render},
};

/// `GET /browse`: the page, with the API's address for the script.
pub async fn page(
    session: Session,
    flashes: IncomingFlashMessages,
    tera: web::Data<Tera>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, AppError> {
    let mut context = page_context(&session, &flashes);
    // An attribute rather than an inline `<script>`: the CSP forbids inline
    // scripts, and Tera escapes the value like any other text.
    context.insert("api_url", &settings.public_api_url);
    render(&tera, "browse.html", &context)
}

/// `GET /static/browse.js`: the page's script, compiled into the binary
/// (served from memory like the stylesheet, for the same reasons).
pub async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("../../static/browse.js"))
}
