//! The web front's client of the jobs service: submit an import, follow a
//! job to its result, cancel it.
//!
//! The jobs service answers long work with **202 Accepted** and where to
//! look (`Location: /v1/jobs/{id}`, `Retry-After`); its status monitor
//! answers 200 while the job runs and **303 See Other** to the result once
//! it has succeeded. The kit's client does not follow redirects, so this
//! module sees the 303 itself and follows it ([`JobsService::poll`]): the
//! browser never talks to jobs (only the web front is published), it sees
//! the web front's own pages, `/jobs/{id}`, which refresh themselves at the
//! pace jobs asks for.
//!
//! As in [`crate::services`]: one [`JobsDirectory`] (the instances, shared
//! by every worker), one [`JobsClient`] per worker (an awc client is not
//! `Send`), and the [`JobsService`] extractor that handlers take, which adds
//! this request's id and timings. Kept apart from [`crate::services`] so
//! that the pages' clients and this one change independently.

use std::{future::Ready, sync::Arc, time::Duration};

use actix_web::{
    dev::Payload,
    http::{header, Method, StatusCode},
    web::{self, Bytes},
    FromRequest, HttpMessage, HttpRequest,
};
use kit::{
    upstream::{Ctx, Instances, Reply, Upstream, UpstreamError},
    RequestId,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::{services::request_timings, settings::Settings};

/// The length of a job id: jobs makes them from a random UUID, as 32
/// lowercase hex digits.
pub const JOB_ID_LEN: usize = 32;
/// The shortest and longest `Retry-After` honoured, in seconds: a missing
/// or odd header means 1 s, a huge one is capped so the page still moves.
pub const RETRY_AFTER_BOUNDS: (u64, u64) = (1, 60);
/// The most problem reports a job page lists (jobs keeps at most 20).
pub const MAX_REPORTS_SHOWN: usize = 20;

/// Whether `id` looks like a job id (checked before jobs is called, so that
/// nothing but an id reaches its path).
pub fn is_job_id(id: &str) -> bool {
    id.len() == JOB_ID_LEN && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A job as jobs shows it (the fields the page uses).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    /// 32 hex digits.
    pub id: String,
    /// `import` or `export`.
    pub kind: String,
    /// `queued`, `running`, `succeeded`, `failed` or `canceled`.
    pub status: String,
    /// How far it is.
    pub progress: Progress,
    /// When it was submitted (RFC 3339).
    pub created_at: String,
    /// When a worker first started it.
    #[serde(default)]
    pub started_at: Option<String>,
    /// When it finished.
    #[serde(default)]
    pub finished_at: Option<String>,
    /// How many times a worker started it.
    #[serde(default)]
    pub attempts: i64,
    /// Why the last attempt failed, or why the job did.
    #[serde(default)]
    pub error: Option<String>,
}

impl Job {
    /// Whether it is still queued or running (the page refreshes).
    pub fn is_pending(&self) -> bool {
        matches!(self.status.as_str(), "queued" | "running")
    }
}

/// A job's progress.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Progress {
    /// Posts handled so far.
    pub done: i64,
    /// Posts to handle.
    pub total: i64,
}

/// An import's result: every record read is written, skipped or an error.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImportResult {
    /// Records read.
    pub read: i64,
    /// Posts created.
    pub written: i64,
    /// Records that are not posts, and posts already there.
    pub skipped: i64,
    /// Posts the posts service refused.
    pub errors: i64,
    /// The first problems, in words.
    #[serde(default)]
    pub reports: Vec<String>,
}

/// What jobs said to a submission.
#[derive(Debug)]
pub enum Submitted {
    /// 202: the job, to follow at `/jobs/{id}`.
    Accepted(Job),
    /// 400, 409, 413, 415 or 422: the request is refused; `message` is
    /// jobs' own (shown on the import page).
    Refused {
        /// jobs' status.
        status: StatusCode,
        /// jobs' message.
        message: String,
    },
    /// 429: the queue is full; try again after `retry_after` seconds.
    Busy {
        /// jobs' `Retry-After`.
        retry_after: u64,
    },
}

/// Where a job stands, as the status monitor says.
#[derive(Debug)]
pub enum Polled {
    /// Queued or running: look again after `retry_after` seconds.
    Pending {
        /// The job.
        job: Job,
        /// jobs' `Retry-After`, within [`RETRY_AFTER_BOUNDS`].
        retry_after: u64,
    },
    /// Failed or canceled: the job says why.
    Ended(Job),
    /// Succeeded: jobs answered 303, and its result was read.
    Succeeded {
        /// The job (the 303's body).
        job: Job,
        /// The import's counts.
        result: ImportResult,
    },
    /// 404: never submitted, or expired.
    Gone,
}

/// What jobs said to a cancel.
#[derive(Debug)]
pub enum Canceled {
    /// 200: it is canceled (or already was).
    Done,
    /// 409: it has already finished; jobs' message.
    TooLate(String),
    /// 404: no such job.
    Gone,
}

/// The jobs service's instances, made once and shared by every worker.
#[derive(Clone)]
pub struct JobsDirectory {
    instances: Arc<Instances>,
    timeout: Duration,
}

impl JobsDirectory {
    /// The instances listed in `JOBS_URL`, called with `JOBS_TIMEOUT_MS`.
    pub fn new(settings: &Settings) -> Self {
        Self { instances: Instances::new("jobs", settings.jobs_url.clone()), timeout: settings.jobs_timeout }
    }

    /// One worker's client (call it in the `HttpServer::new` closure).
    pub fn client(&self) -> JobsClient {
        JobsClient(Upstream::new(self.instances.clone(), self.timeout))
    }
}

/// One worker's client of jobs (app data).
pub struct JobsClient(Upstream);

/// jobs, seen from one request: the worker's client and the request's
/// [`Ctx`] (its id, forwarded as `X-Request-Id`, and its timings).
pub struct JobsService {
    client: web::Data<JobsClient>,
    ctx: Ctx,
}

impl FromRequest for JobsService {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let client = req.app_data::<web::Data<JobsClient>>().cloned().ok_or_else(|| {
            actix_web::error::ErrorInternalServerError("the jobs client is not installed on this worker")
        });
        std::future::ready(client.map(|client| {
            let request_id = req.extensions().get::<RequestId>().map(|id| id.0.clone());
            let request_id = request_id.unwrap_or_else(kit::request_id::fresh);
            JobsService { client, ctx: Ctx { request_id, timings: request_timings(req) } }
        }))
    }
}

/// jobs' message in Eve's error envelope (`_error.message`), or the status.
fn message_of(reply: &Reply) -> String {
    serde_json::from_slice::<Value>(&reply.body)
        .ok()
        .and_then(|v| v["_error"]["message"].as_str().map(str::to_owned))
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| reply.status.canonical_reason().unwrap_or("refused").to_owned())
}

/// `Retry-After` in seconds (the delay form; a date or nothing is 1 s),
/// within [`RETRY_AFTER_BOUNDS`].
pub fn retry_after(reply: &Reply) -> u64 {
    let (min, max) = RETRY_AFTER_BOUNDS;
    reply
        .headers
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(min)
        .clamp(min, max)
}

/// The error for an answer this client cannot use.
fn unexpected(what: &str, reply: &Reply) -> UpstreamError {
    UpstreamError::Unexpected { service: "jobs", detail: format!("{what}: {} {}", reply.status, message_of(reply)) }
}

impl JobsService {
    /// This request's timings (the render adds itself to them).
    pub fn timings(&self) -> &kit::timing::Timings {
        &self.ctx.timings
    }

    /// `POST /v1/jobs/import` with `{"generate": count, "seed": seed}`
    /// (without a seed, jobs uses its default).
    pub async fn submit_generate(&self, count: u64, seed: Option<u64>, key: &str) -> Result<Submitted, UpstreamError> {
        let body = match seed {
            Some(seed) => json!({ "generate": count, "seed": seed }),
            None => json!({ "generate": count }),
        };
        let reply = self
            .client
            .0
            .call_with_headers(&self.ctx, Method::POST, "/v1/jobs/import", Some(&body), &[("idempotency-key", key)])
            .await?;
        Self::submitted(reply)
    }

    /// `POST /v1/jobs/import` with a file as the body, as `content_type`.
    pub async fn submit_file(&self, file: &Bytes, content_type: &str, key: &str) -> Result<Submitted, UpstreamError> {
        let reply = self
            .client
            .0
            .call_raw(&self.ctx, Method::POST, "/v1/jobs/import", file, content_type, &[("idempotency-key", key)])
            .await?;
        Self::submitted(reply)
    }

    fn submitted(reply: Reply) -> Result<Submitted, UpstreamError> {
        match reply.status {
            StatusCode::ACCEPTED => {
                let job: Job = reply.json()?;
                if !is_job_id(&job.id) {
                    return Err(unexpected("a job id that is not 32 hex digits", &reply));
                }
                Ok(Submitted::Accepted(job))
            }
            StatusCode::TOO_MANY_REQUESTS => Ok(Submitted::Busy { retry_after: retry_after(&reply) }),
            status @ (StatusCode::BAD_REQUEST
            | StatusCode::CONFLICT
            | StatusCode::PAYLOAD_TOO_LARGE
            | StatusCode::UNSUPPORTED_MEDIA_TYPE
            | StatusCode::UNPROCESSABLE_ENTITY) => Ok(Submitted::Refused { status, message: message_of(&reply) }),
            _ => Err(reply.error()),
        }
    }

    /// `GET /v1/jobs/{id}`, and on its 303 the result it points to.
    /// `id` must pass [`is_job_id`].
    pub async fn poll(&self, id: &str) -> Result<Polled, UpstreamError> {
        debug_assert!(is_job_id(id));
        let reply = self.client.0.call(&self.ctx, Method::GET, &format!("/v1/jobs/{id}"), None).await?;
        match reply.status {
            StatusCode::OK => {
                let job: Job = reply.json()?;
                Ok(if job.is_pending() {
                    Polled::Pending { job, retry_after: retry_after(&reply) }
                } else {
                    Polled::Ended(job)
                })
            }
            StatusCode::SEE_OTHER => {
                let job: Job = reply.json()?;
                // Followed by hand, only to where a job's result lives:
                // the Location is jobs' word, but it is not a URL to fetch
                // blindly.
                let location = reply.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("");
                if location != format!("/v1/jobs/{id}/result") {
                    return Err(unexpected(&format!("a 303 to {location:?}"), &reply));
                }
                let result = self.client.0.call(&self.ctx, Method::GET, location, None).await?;
                match result.status {
                    StatusCode::OK => Ok(Polled::Succeeded { job, result: result.json()? }),
                    // Expired between the two calls.
                    StatusCode::NOT_FOUND => Ok(Polled::Gone),
                    _ => Err(result.error()),
                }
            }
            StatusCode::NOT_FOUND => Ok(Polled::Gone),
            _ => Err(reply.error()),
        }
    }

    /// `DELETE /v1/jobs/{id}`. `id` must pass [`is_job_id`].
    pub async fn cancel(&self, id: &str) -> Result<Canceled, UpstreamError> {
        debug_assert!(is_job_id(id));
        let reply = self.client.0.call(&self.ctx, Method::DELETE, &format!("/v1/jobs/{id}"), None).await?;
        match reply.status {
            status if status.is_success() => Ok(Canceled::Done),
            StatusCode::CONFLICT => Ok(Canceled::TooLate(message_of(&reply))),
            StatusCode::NOT_FOUND => Ok(Canceled::Gone),
            _ => Err(reply.error()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_ids_are_32_lowercase_hex_digits() {
        assert!(is_job_id("0123456789abcdef0123456789abcdef"));
        for bad in ["", "0123456789ABCDEF0123456789ABCDEF", "0123456789abcdef0123456789abcde", "../../v1/jobs/x"] {
            assert!(!is_job_id(bad), "{bad:?}");
        }
        assert!(!is_job_id(&"a".repeat(33)));
    }

    #[test]
    fn jobs_body_is_read() {
        let job: Job = serde_json::from_value(json!({
            "id": "0123456789abcdef0123456789abcdef", "kind": "import", "status": "running",
            "progress": {"done": 100, "total": 1000}, "created_at": "2026-01-01T00:00:00Z",
            "started_at": "2026-01-01T00:00:01Z", "finished_at": null, "attempts": 1, "error": null,
            "_links": {"self": {"title": "job", "href": "/v1/jobs/0123456789abcdef0123456789abcdef"}, "result": null}
        }))
        .unwrap();
        assert!(job.is_pending());
        assert_eq!((job.progress.done, job.progress.total), (100, 1000));
    }
}
