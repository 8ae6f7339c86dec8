//! The service's routes, one module per feature.
//!
//! - [`likes`]: like, unlike, one post's count, many posts' counts, a
//!   user's likes, and reconcile. `PUT` and `DELETE` on a like take an
//!   `Idempotency-Key` (the kit's middleware).
//! - [`health`]: `GET /health/ready` (`/health/live` is the kit's).
//! - `GET /openapi.json`: [`crate::openapi`].

pub mod health;
pub mod likes;

use actix_web::{middleware::from_fn, web};

/// Mounts the service's routes (the per-worker data is added by
/// [`crate::Application::build`]).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        // The kit's middleware on each write's route, not on the resource:
        // another method is the router's 405 whatever its headers.
        web::resource("/v1/likes/{post_id}/{user}")
            .route(web::put().to(likes::like).wrap(from_fn(kit::idempotency::middleware)))
            .route(web::delete().to(likes::unlike).wrap(from_fn(kit::idempotency::middleware))),
    )
    .service(web::resource("/v1/likes/{post_id}").route(web::get().to(likes::count)))
    .service(web::resource("/v1/likes").route(web::get().to(likes::counts)))
    .service(web::resource("/v1/liked/{user}").route(web::get().to(likes::liked_by)))
    .service(web::resource("/v1/reconcile").route(web::post().to(likes::reconcile)))
    .service(web::resource("/health/ready").route(web::get().to(health::ready)))
    .service(web::resource("/openapi.json").route(web::get().to(kit::openapi::serve)));
}
