//! The service's routes, one module per feature.
//!
//! - [`search`]: `GET /v1/search`, the verb.
//! - [`health`]: `GET /health/ready` (`/health/live` is the kit's).
//! - `GET /openapi.json`: [`crate::openapi`].
//! - `GET /sync/checkpoint`, `POST /sync/apply`: the kit's
//!   [`kit::sync::configure`], on the store's target.

pub mod health;
pub mod search;

use actix_web::web;

/// Mounts the service's routes (the per-worker data is added by
/// [`crate::Application::build`]).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/v1/search").route(web::get().to(search::search)))
        .service(web::resource("/health/ready").route(web::get().to(health::ready)))
        .service(web::resource("/openapi.json").route(web::get().to(crate::openapi::serve)));
    kit::sync::configure(cfg);
}
