//! The routes, one module per feature, and [`configure`] that mounts them.

mod auth;
mod health;
pub mod home;
pub mod posts;
mod search;

use actix_web::{http::header, web, HttpResponse};

pub use health::ready;

/// Mounts every page of the app (all behind the session layer; `/health/*`
/// and `/static` are mounted outside it, in [`crate::startup`]).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home::index))
        .route("/index", web::get().to(home::index))
        .route("/recommended/", web::get().to(home::recommended))
        .route("/recommended", web::get().to(|| async { see_other("/recommended/") }))
        .route("/search", web::post().to(search::submit))
        .route("/search", web::get().to(|| async { see_other("/") }))
        .route("/search_results/{query:.*}", web::get().to(search::results))
        .route("/posts/{id}", web::get().to(posts::show))
        .route("/posts/{id}/tags", web::post().to(posts::tags))
        .route("/login", web::get().to(auth::login_form))
        .route("/login", web::post().to(auth::login))
        .route("/logout", web::post().to(auth::logout))
        .route("/me", web::get().to(auth::me));
}

/// `GET /static/style.css`: the one stylesheet, compiled into the binary.
///
/// Served from memory rather than with `actix-files`: one small file needs no
/// file system at run time, and `actix-files` writes headers and body
/// separately, which on a keep-alive connection meets TCP's delayed ACK and
/// costs ~40 ms per request (measured with `make bench`).
pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("../../static/style.css"))
}

/// A `303 See Other` redirect: after a POST, the browser follows it with a GET.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
}
