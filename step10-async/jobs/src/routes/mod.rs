//! The service's routes, one module per feature.
//!
//! - [`jobs`]: `POST /v1/jobs/{kind}`, `GET` and `DELETE /v1/jobs/{id}`,
//!   `GET /v1/jobs/{id}/result`.
//! - [`health`]: `GET /health/ready` (`/health/live` is the kit's).
//! - `GET /openapi.json`: [`crate::openapi`].
//!
//! `POST /v1/jobs/{kind}` goes through the kit's `Idempotency-Key`
//! middleware ([`kit::idempotency`]), whose store is the app data
//! `web::Data<kit::idempotency::Store>` set by [`crate::Application::build`].

pub mod health;
pub mod jobs;

use actix_web::{middleware::from_fn, web};

/// Mounts the service's routes (the per-worker data is added by
/// [`crate::Application::build`]).
///
/// A job is `/v1/jobs/{id}` with an id of 32 hex digits (what
/// [`crate::job::Job::new`] makes): `GET` and `DELETE`. Any other segment is
/// a kind, `/v1/jobs/{kind}`: `POST` (an unknown kind is the handler's 404,
/// naming the kinds). Two resources, so that each one's `405` and `Allow`
/// say what that URL takes (`GET /v1/jobs/import` is a 405 with `Allow:
/// POST`), as the document describes them; the id resource comes first,
/// since actix tries resources in order. A submission may carry an
/// `Idempotency-Key`: the kit's middleware is on the `POST` route only (a
/// status read is idempotent already; a replayed one would be stale).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(format!("/v1/jobs/{{id:{ID_PATTERN}}}"))
            .route(web::get().to(jobs::status))
            .route(web::delete().to(jobs::cancel)),
    )
    .service(
        web::resource("/v1/jobs/{kind}")
            .route(web::post().to(jobs::submit).wrap(from_fn(kit::idempotency::middleware))),
    )
    .service(web::resource("/v1/jobs/{id}/result").route(web::get().to(jobs::result)))
    .service(web::resource("/health/ready").route(web::get().to(health::ready)))
    .service(web::resource("/openapi.json").route(web::get().to(kit::openapi::serve)));
}

/// What a job id looks like in a path (a UUID's 32 hex digits, lower case).
pub const ID_PATTERN: &str = "[0-9a-f]{32}";
