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

use actix_web::{
    body::{BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::Method,
    middleware::{from_fn, Next},
    web, Error,
};

/// Mounts the service's routes (the per-worker data is added by
/// [`crate::Application::build`]). `/v1/jobs/{kind}` and `/v1/jobs/{id}`
/// are one resource: `POST` reads the segment as a kind, `GET` and
/// `DELETE` as an id. A submission may carry an `Idempotency-Key`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/v1/jobs/{segment}")
            .wrap(from_fn(idempotent_posts))
            .route(web::post().to(jobs::submit))
            .route(web::get().to(jobs::status))
            .route(web::delete().to(jobs::cancel)),
    )
    .service(web::resource("/v1/jobs/{id}/result").route(web::get().to(jobs::result)))
    .service(web::resource("/health/ready").route(web::get().to(health::ready)))
    .service(web::resource("/openapi.json").route(web::get().to(crate::openapi::serve)));
}

/// The kit's `Idempotency-Key` middleware on submissions only: a `POST`
/// retried with the same key and body gets the first answer again (the
/// same job), with the same key and another body a 422. A `GET` or
/// `DELETE` passes untouched (a status read is idempotent already; a
/// replayed one would be stale).
async fn idempotent_posts(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if req.method() == Method::POST {
        kit::idempotency::middleware(req, next).await
    } else {
        next.call(req).await.map(ServiceResponse::map_into_boxed_body)
    }
}
