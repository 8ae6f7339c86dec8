//! The jobs service's one error type, answered in Eve's JSON envelope.
//!
//! Each case maps to its status: a request that cannot be read is a 400, one
//! that is read but wrong (a count out of range, a file without a post) a
//! 422, an unknown kind or job a 404, a DELETE of a finished job a 409, a
//! body type the kind does not take a 415, a full queue a 429 with
//! `Retry-After`, an unreachable database a 503 with `Retry-After`, and
//! anything else a 500 with the cause logged and not shown.

use actix_web::{http::StatusCode, HttpResponse, ResponseError};
use kit::error::is_unavailable;

/// How many seconds a client is told to wait when the database is down.
pub const RETRY_AFTER_SECS: u32 = 5;

/// Everything a request to the jobs service can fail with.
#[derive(thiserror::Error)]
pub enum JobsError {
    /// The body cannot be read as what its content type says (400).
    #[error("{0}")]
    BadRequest(String),
    /// The request is read but refused (422): the message says why.
    #[error("{0}")]
    Invalid(String),
    /// No such kind, job or result (404).
    #[error("{0}")]
    NotFound(String),
    /// The job is in a state that does not allow it (409).
    #[error("{0}")]
    Conflict(String),
    /// The body's content type is not one the kind takes (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The queue holds `JOBS_QUEUE_MAX` jobs (429).
    #[error("the queue is full ({max} queued jobs); retry in {retry_after} s")]
    QueueFull {
        /// The bound.
        max: u64,
        /// The seconds to wait.
        retry_after: u32,
    },
    /// The database cannot be reached (503).
    #[error("the jobs database is unavailable")]
    Unavailable(#[source] mongodb::error::Error),
    /// Any other database failure (500).
    #[error("database error")]
    Database(#[source] mongodb::error::Error),
    /// A fault of ours that is not the database's (500): the parser's
    /// thread pool gone, say.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<mongodb::error::Error> for JobsError {
    fn from(e: mongodb::error::Error) -> Self {
        if is_unavailable(&e) {
            JobsError::Unavailable(e)
        } else {
            JobsError::Database(e)
        }
    }
}

// `Debug` walks the `source()` chain, so that a logged error shows its cause.
impl std::fmt::Debug for JobsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        kit::error::fmt_chain(self, f)
    }
}

impl ResponseError for JobsError {
    fn status_code(&self) -> StatusCode {
        match self {
            JobsError::BadRequest(_) => StatusCode::BAD_REQUEST,
            JobsError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            JobsError::NotFound(_) => StatusCode::NOT_FOUND,
            JobsError::Conflict(_) => StatusCode::CONFLICT,
            JobsError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            JobsError::QueueFull { .. } => StatusCode::TOO_MANY_REQUESTS,
            JobsError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            JobsError::Database(_) | JobsError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let message = match self {
            JobsError::Unavailable(_) => {
                log::warn!("jobs: {self:?}");
                format!("{self}; retry in {RETRY_AFTER_SECS} s")
            }
            JobsError::Database(_) | JobsError::Internal(_) => {
                log::error!("jobs: {self:?}");
                "database error (logged)".to_owned()
            }
            other => other.to_string(),
        };
        let retry_after = match self {
            JobsError::Unavailable(_) => Some(RETRY_AFTER_SECS),
            JobsError::QueueFull { retry_after, .. } => Some(*retry_after),
            _ => None,
        };
        kit::error::respond(status, &message, retry_after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    #[test]
    fn a_full_queue_is_a_429_with_retry_after_in_the_envelope() {
        let response = JobsError::QueueFull { max: 1, retry_after: 7 }.error_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers().get("retry-after").unwrap(), "7");
        let bytes = response.into_body().try_into_bytes().ok().unwrap();
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(body["_status"], "ERR");
        assert_eq!(body["_error"]["code"], 429);
    }
}
