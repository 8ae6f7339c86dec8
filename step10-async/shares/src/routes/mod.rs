//! The service's routes, one module per feature.
//!
//! - [`shares`]: share, visit, counts, reconcile. `POST /v1/shares` takes
//!   an `Idempotency-Key` (the kit's middleware).
//! - [`health`]: `GET /health/ready` (`/health/live` is the kit's).
//! - `GET /openapi.json`: [`crate::openapi`].

pub mod health;
pub mod shares;

use actix_web::{middleware::from_fn, web};

/// Mounts the service's routes (the per-worker data is added by
/// [`crate::Application::build`]).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        // The kit's middleware on the write's route, not on the resource:
        // another method is the router's 405 whatever its headers.
        web::resource("/v1/shares")
            .route(web::post().to(shares::share).wrap(from_fn(kit::idempotency::middleware)))
            .route(web::get().to(shares::counts)),
    )
    .service(web::resource("/v1/shares/visits/{code}").route(web::post().to(shares::visit)))
    .service(web::resource("/v1/shares/{post_id}").route(web::get().to(shares::count)))
    .service(web::resource("/v1/reconcile").route(web::post().to(shares::reconcile)))
    .service(web::resource("/health/ready").route(web::get().to(health::ready)))
    .service(web::resource("/openapi.json").route(web::get().to(kit::openapi::serve)));
}
