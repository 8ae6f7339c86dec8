//! The routes, one module per feature, and [`configure`] that mounts them.

pub mod actions;
pub mod auth;
pub mod demo;
mod health;
pub mod home;
pub mod import;
pub mod posts;
pub mod search;

use actix_web::{http::header, web, HttpResponse, Route};

pub use health::ready;

/// Mounts every page of the app (all behind the session layer; `/health/*`
/// and `/static` are mounted outside it, in [`crate::startup`]).
pub fn configure(cfg: &mut web::ServiceConfig) {
    // One resource per path, every method it takes on it: a method it
    // does not take is then a 405 with `Allow` (RFC 9110 §15.5.6), where
    // `cfg.route` (one guarded resource per method) answers 404.
    let one = |path: &str, route: Route| web::resource(path.to_owned()).route(route);
    cfg.service(one("/", web::get().to(home::index)))
        .service(one("/index", web::get().to(home::index)))
        .service(one("/recommended/", web::get().to(home::recommended)))
        .service(one("/recommended", web::get().to(|| async { see_other("/recommended/") })))
        .service(
            web::resource("/search")
                .route(web::post().to(search::submit))
                .route(web::get().to(|| async { see_other("/") })),
        )
        .service(one("/search_results/{query:.*}", web::get().to(search::results)))
        .service(one("/posts/{id}", web::get().to(posts::show)))
        .service(one("/posts/{id}/tags", web::post().to(posts::tags)))
        .service(one("/posts/{id}/like", web::post().to(actions::like)))
        .service(one("/posts/{id}/share", web::post().to(actions::share)))
        .service(one("/posts/{id}/hide", web::post().to(actions::hide)))
        .service(one("/s/{code}", web::get().to(actions::share_link)))
        .service(web::resource("/login").route(web::get().to(auth::login_form)).route(web::post().to(auth::login)))
        .service(one("/logout", web::post().to(auth::logout)))
        .service(one("/me", web::get().to(auth::me)))
        .service(web::resource("/import").route(web::get().to(import::form)).route(web::post().to(import::submit)))
        .service(one("/jobs/{id}", web::get().to(import::show)))
        .service(one("/jobs/{id}/cancel", web::post().to(import::cancel)));
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
