//! The job resource: submit, poll, read the result, cancel.
//!
//! The exchange (RFC 9110's 202 and 303, Microsoft's asynchronous
//! request-reply pattern):
//! 1. `POST /v1/jobs/{kind}` checks the request at once (see
//!    [`crate::request`]) and answers **202 Accepted** with `Location:
//!    /v1/jobs/{id}` (the status monitor), `Retry-After` and the job.
//! 2. `GET /v1/jobs/{id}` answers 200 with the job and `Retry-After` while
//!    it is queued or running; **303 See Other** to `/v1/jobs/{id}/result`
//!    once it has succeeded (with the job as the body too); 200 without
//!    `Retry-After` when it failed or was canceled (`error` says why).
//! 3. `GET /v1/jobs/{id}/result` answers an import's counts
//!    (`{read, written, skipped, errors, reports}`) or an export's JSON
//!    lines (`application/x-ndjson`), as many times as asked until the job
//!    expires: a result deleted on first read would be lost when that read
//!    fails half-way.
//! 4. `DELETE /v1/jobs/{id}` cancels a queued or running job (200 with the
//!    job, `canceled`; a running job's worker stops at its next batch, and
//!    what it had written stays). Canceling a canceled job is a 200 again;
//!    a job that has succeeded or failed is a 409.
//!
//! A submission may carry an `Idempotency-Key` (the kit's middleware,
//! mounted in [`crate::routes`]): retried with the same key and body, it
//! gets the first 202 again, the same job.
//!
//! A job that has expired (`JOBS_RETENTION_SECS` after it finished) is a
//! 404 everywhere. Zalando's guidelines advise against 303; this service
//! follows RFC 9110 and Microsoft (see the step's README).

use std::sync::Arc;

use actix_web::{http::header, web, HttpRequest, HttpResponse};
use tokio::sync::Notify;

use crate::{
    error::JobsError,
    job::{import_result, Job, Kind, Request, Status},
    request::{self, Import},
    settings::Settings,
    store::{initial_counts, Store},
};

/// `Retry-After` (seconds) on a job that is not finished: how often a
/// client is told to poll.
pub const POLL_AFTER_SECS: u32 = 1;
/// `Retry-After` (seconds) on a 429: the queue drains at the workers' pace.
pub const QUEUE_FULL_RETRY_SECS: u32 = 10;
/// The longest job id looked up (ids are 32 hex digits).
const MAX_ID_CHARS: usize = 64;

/// The job `id`, or a 404.
async fn find(store: &Store, id: &str) -> Result<Job, JobsError> {
    let missing = || JobsError::NotFound(format!("no job {id:?} (never submitted, or expired)"));
    if id.len() > MAX_ID_CHARS {
        return Err(missing());
    }
    store.get(id).await?.ok_or_else(missing)
}

/// Submits a job. The document shows each kind as a path of its own,
/// `/v1/jobs/import` and `/v1/jobs/export`, with its own body; the router
/// has one resource `/v1/jobs/{kind}` (an unknown kind is a 404 naming the
/// kinds), told apart from a job's `/v1/jobs/{id}` by the id's shape (32
/// hex digits, see [`crate::routes`]). This handler's documentation is the
/// import's; [`submit_export`] carries the export's.
#[utoipa::path(
    post,
    path = "/v1/jobs/import",
    tag = "jobs",
    params(kit::openapi::IdempotencyKey),
    request_body(
        description = "`{\"generate\": N, \"seed\": S}` (1 ≤ N ≤ 100,000) as application/json; or a file of posts in a \
                       format `datasets import` reads, with its content type: application/x-ndjson (JSON lines), \
                       application/json (an array of posts, or reddit listings), application/xml (StackExchange's \
                       Posts.xml)",
        content(
            (crate::request::GenerateRequest = "application/json"),
            (String = "application/x-ndjson"),
            (String = "application/xml"),
        )
    ),
    responses(
        (status = 202, description = "Accepted: `Location` is the job, `Retry-After` when to look", body = crate::job::JobBody),
        (status = 400, description = "The body cannot be read (JSON that does not parse), or a bad Idempotency-Key", body = crate::openapi::ErrorBody),
        (status = 409, description = "A submission with this Idempotency-Key is still being answered (Retry-After)", body = crate::openapi::ErrorBody),
        (status = 413, description = "The body is larger than MAX_BODY_BYTES", body = crate::openapi::ErrorBody),
        (status = 415, description = "Not one of the three content types", body = crate::openapi::ErrorBody),
        (status = 422, description = "A number out of range, a file with a malformed record or no post, or an Idempotency-Key used for another request", body = crate::openapi::ErrorBody),
        (status = 429, description = "JOBS_QUEUE_MAX jobs are queued (Retry-After)", body = crate::openapi::ErrorBody),
        (status = 503, description = "The jobs database is unavailable", body = crate::openapi::ErrorBody),
    )
)]
pub async fn submit(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    store: web::Data<Store>,
    settings: web::Data<Settings>,
    wake: web::Data<Arc<Notify>>,
) -> Result<HttpResponse, JobsError> {
    let name = path.into_inner();
    let kind = Kind::parse(&name)
        .ok_or_else(|| JobsError::NotFound(format!("no job kind {name:?}: the kinds are import and export")))?;
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    // Checked before the body is parsed: a full queue costs nothing more.
    // Two submissions at once may both pass: the bound is approximate by
    // one per concurrent submission (a counter document would make it exact).
    if store.queued().await? >= settings.queue_max {
        return Err(JobsError::QueueFull { max: settings.queue_max, retry_after: QUEUE_FULL_RETRY_SECS });
    }
    let job = match kind {
        Kind::Export => {
            let user = request::export(&content_type, &body)?;
            Job::new(Kind::Export, Request::Export { user }, 0, Default::default())
        }
        Kind::Import => {
            let batch_size = settings.batch_size;
            let parsed = web::block(move || request::import(&content_type, &body, batch_size))
                .await
                .map_err(|e| JobsError::Internal(format!("the parser's thread: {e}")))??;
            match parsed {
                Import::Generate { count, seed } => Job::new(
                    Kind::Import,
                    Request::Generate { count: count as i64, seed: seed as i64 },
                    count as i64,
                    Default::default(),
                ),
                Import::File { format, chunks, posts, skipped } => {
                    let request =
                        Request::File { format: format!("{format:?}").to_lowercase(), chunks: chunks.len() as i64 };
                    let job = Job::new(Kind::Import, request, posts as i64, initial_counts(skipped as i64));
                    store.insert_chunks(&job.id, chunks).await?;
                    job
                }
            }
        }
    };
    store.insert(&job).await?;
    log::info!("job {} ({:?}) submitted: {:?}", job.id, job.kind, job.request);
    wake.notify_one();
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, job.href()))
        .insert_header((header::RETRY_AFTER, POLL_AFTER_SECS.to_string()))
        .json(job.body()))
}

/// Submits an export: the same handler as an import ([`submit`]),
/// documented on its own path with its own body (documentation only).
#[utoipa::path(
    post,
    path = "/v1/jobs/export",
    tag = "jobs",
    params(kit::openapi::IdempotencyKey),
    request_body(
        description = "`{\"user\": NAME}`: that user's tagged posts, as JSON lines",
        content((crate::request::ExportRequest = "application/json"))
    ),
    responses(
        (status = 202, description = "Accepted: `Location` is the job, `Retry-After` when to look", body = crate::job::JobBody),
        (status = 400, description = "The body is not JSON, or a bad Idempotency-Key", body = crate::openapi::ErrorBody),
        (status = 409, description = "A submission with this Idempotency-Key is still being answered (Retry-After)", body = crate::openapi::ErrorBody),
        (status = 413, description = "The body is larger than MAX_BODY_BYTES", body = crate::openapi::ErrorBody),
        (status = 415, description = "Not application/json", body = crate::openapi::ErrorBody),
        (status = 422, description = "Not `{\"user\": NAME}` with 1 to 64 characters, or an Idempotency-Key used for another request", body = crate::openapi::ErrorBody),
        (status = 429, description = "JOBS_QUEUE_MAX jobs are queued (Retry-After)", body = crate::openapi::ErrorBody),
        (status = 503, description = "The jobs database is unavailable", body = crate::openapi::ErrorBody),
    )
)]
pub async fn submit_export() {}

/// The status monitor.
#[utoipa::path(
    get,
    path = "/v1/jobs/{id}",
    tag = "jobs",
    params(("id" = String, Path, description = "The job's id: 32 hex digits", pattern = "^[0-9a-f]{32}$")),
    responses(
        (status = 200, description = "The job; `Retry-After` while it is queued or running", body = crate::job::JobBody),
        (status = 303, description = "Succeeded: `Location` is the result", body = crate::job::JobBody),
        (status = 404, description = "No such job, or it expired", body = crate::openapi::ErrorBody),
        (status = 405, description = "The segment is not a job id (32 hex digits): `/v1/jobs/{kind}` is a kind's URL, which takes only POST (`Allow`)", body = crate::openapi::ErrorBody),
        (status = 503, description = "The jobs database is unavailable", body = crate::openapi::ErrorBody),
    )
)]
pub async fn status(path: web::Path<String>, store: web::Data<Store>) -> Result<HttpResponse, JobsError> {
    let job = find(&store, &path).await?;
    let mut response = match job.status {
        Status::Succeeded => {
            let mut response = HttpResponse::SeeOther();
            response.insert_header((header::LOCATION, job.result_href()));
            response
        }
        status if status.is_finished() => HttpResponse::Ok(),
        _ => {
            let mut response = HttpResponse::Ok();
            response.insert_header((header::RETRY_AFTER, POLL_AFTER_SECS.to_string()));
            response
        }
    };
    Ok(response.json(job.body()))
}

/// The result.
#[utoipa::path(
    get,
    path = "/v1/jobs/{id}/result",
    tag = "jobs",
    params(("id" = String, Path, description = "The job's id: 32 hex digits", pattern = "^[0-9a-f]{32}$")),
    responses(
        (status = 200, description = "An import's `{read, written, skipped, errors, reports}` (JSON), or an export's JSON lines",
            content((Object = "application/json"), (String = "application/x-ndjson"))),
        (status = 404, description = "No such job, it expired, or it has no result (not succeeded; Retry-After while it runs)", body = crate::openapi::ErrorBody),
        (status = 503, description = "The jobs database is unavailable", body = crate::openapi::ErrorBody),
    )
)]
pub async fn result(path: web::Path<String>, store: web::Data<Store>) -> Result<HttpResponse, JobsError> {
    let job = find(&store, &path).await?;
    if job.status != Status::Succeeded {
        return Err(JobsError::NotFound(format!(
            "job {} is {}: it has no result{}",
            job.id,
            job.status.as_str(),
            if job.status.is_finished() { "" } else { " yet" }
        )));
    }
    Ok(match job.kind {
        Kind::Import => HttpResponse::Ok().json(import_result(&job)),
        Kind::Export => {
            HttpResponse::Ok().insert_header((header::CONTENT_TYPE, NDJSON)).body(store.result(&job).await?)
        }
    })
}

/// The media type of JSON lines.
pub const NDJSON: &str = "application/x-ndjson";

/// Cancels a job.
#[utoipa::path(
    delete,
    path = "/v1/jobs/{id}",
    tag = "jobs",
    params(("id" = String, Path, description = "The job's id: 32 hex digits", pattern = "^[0-9a-f]{32}$")),
    responses(
        (status = 200, description = "Canceled (or it already was): the job", body = crate::job::JobBody),
        (status = 404, description = "No such job, or it expired", body = crate::openapi::ErrorBody),
        (status = 405, description = "The segment is not a job id (32 hex digits): `/v1/jobs/{kind}` is a kind's URL, which takes only POST (`Allow`)", body = crate::openapi::ErrorBody),
        (status = 409, description = "The job has already succeeded or failed", body = crate::openapi::ErrorBody),
        (status = 503, description = "The jobs database is unavailable", body = crate::openapi::ErrorBody),
    )
)]
pub async fn cancel(
    path: web::Path<String>,
    store: web::Data<Store>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, JobsError> {
    let id = path.into_inner();
    let job = match store.cancel(&id, settings.retention).await? {
        Some(job) => {
            log::info!("job {id} canceled");
            job
        }
        None => match find(&store, &id).await? {
            job if job.status == Status::Canceled => job,
            job => {
                return Err(JobsError::Conflict(format!(
                    "job {id} has already {}: it cannot be canceled",
                    job.status.as_str()
                )))
            }
        },
    };
    Ok(HttpResponse::Ok().json(job.body()))
}
