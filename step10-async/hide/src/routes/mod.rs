//! The service's routes, one module per feature.
//!
//! - [`hidden`]: `PUT`, `DELETE /v1/hidden/{user}/{post_id}`,
//!   `GET /v1/hidden/{user}`.
//! - [`health`]: `GET /health/ready` (`/health/live` is the kit's).
//! - `GET /openapi.json`: [`crate::openapi`].

pub mod health;
pub mod hidden;

use actix_web::{middleware::from_fn, web};

/// Mounts the service's routes (the per-worker data is added by
/// [`crate::Application::build`]).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        // A retried write with its `Idempotency-Key` gets the first answer:
        // the kit's middleware on each write's route, not on the resource,
        // so that another method is the router's 405 whatever its headers.
        web::resource("/v1/hidden/{user}/{post_id}")
            .route(web::put().to(hidden::hide).wrap(from_fn(kit::idempotency::middleware)))
            .route(web::delete().to(hidden::unhide).wrap(from_fn(kit::idempotency::middleware))),
    )
    .service(web::resource("/v1/hidden/{user}").route(web::get().to(hidden::list)))
    .service(web::resource("/health/ready").route(web::get().to(health::ready)))
    .service(web::resource("/openapi.json").route(web::get().to(kit::openapi::serve)));
}
