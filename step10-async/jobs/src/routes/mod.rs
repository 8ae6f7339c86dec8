//! The service's routes, one module per feature.
//!
//! - [`jobs`]: `POST /v1/jobs/{kind}`, `GET` and `DELETE /v1/jobs/{id}`,
//!   `GET /v1/jobs/{id}/result`.
//! - [`health`]: `GET /health/ready` (`/health/live` is the kit's).
//! - `GET /openapi.json`: [`crate::openapi`].

pub mod health;
pub mod jobs;

use actix_web::web;

/// Mounts the service's routes (the per-worker data is added by
/// [`crate::Application::build`]). `/v1/jobs/{kind}` and `/v1/jobs/{id}`
/// are one resource: `POST` reads the segment as a kind, `GET` and
/// `DELETE` as an id.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/v1/jobs/{segment}")
            .route(web::post().to(jobs::submit))
            .route(web::get().to(jobs::status))
            .route(web::delete().to(jobs::cancel)),
    )
    .service(web::resource("/v1/jobs/{id}/result").route(web::get().to(jobs::result)))
    .service(web::resource("/health/ready").route(web::get().to(health::ready)))
    .service(web::resource("/openapi.json").route(web::get().to(crate::openapi::serve)));
}
