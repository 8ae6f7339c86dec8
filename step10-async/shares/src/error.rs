//! The shares service's one error type, answered in Eve's JSON envelope.
//!
//! Each case maps to its status: a malformed post id, user name or query
//! is the client's mistake (400, the message says what is expected); an
//! unlike without a like is a 404; an unreachable database, or writes so
//! contended that the transaction kept conflicting, are temporary (503
//! with `Retry-After`); anything else is ours (500, the cause logged and
//! not shown).

use actix_web::{http::StatusCode, HttpResponse, ResponseError};
use kit::error::is_unavailable;

/// How many seconds a client is told to wait when the database is down.
pub const RETRY_AFTER_SECS: u32 = 5;

/// Everything a shares request can fail with.
#[derive(thiserror::Error)]
pub enum SharesError {
    /// A malformed post id, user name or query parameter (400).
    #[error("{0}")]
    BadRequest(String),
    /// No such share (404).
    #[error("{0}")]
    NotFound(String),
    /// The posts service does not know the post (422).
    #[error("{0}")]
    UnknownPost(String),
    /// The posts service cannot be reached or failed (503).
    #[error("the posts service is unavailable, so the post cannot be checked")]
    Posts(#[source] kit::upstream::UpstreamError),
    /// The transaction kept conflicting with concurrent writes (503).
    #[error("too many concurrent writes on this share; retry")]
    Contended(#[source] mongodb::error::Error),
    /// Every new code collided with an existing one (503; with 62⁸ codes,
    /// only a broken random generator gets here).
    #[error("no free share code was found; retry")]
    NoCode,
    /// The database cannot be reached (503).
    #[error("the shares database is unavailable")]
    Unavailable(#[source] mongodb::error::Error),
    /// Any other database failure (500).
    #[error("database error")]
    Database(#[source] mongodb::error::Error),
}

impl From<mongodb::error::Error> for SharesError {
    fn from(e: mongodb::error::Error) -> Self {
        if is_unavailable(&e) {
            SharesError::Unavailable(e)
        } else {
            SharesError::Database(e)
        }
    }
}

// `Debug` walks the `source()` chain, so that a logged error shows its cause.
impl std::fmt::Debug for SharesError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        kit::error::fmt_chain(self, f)
    }
}

impl ResponseError for SharesError {
    fn status_code(&self) -> StatusCode {
        match self {
            SharesError::BadRequest(_) => StatusCode::BAD_REQUEST,
            SharesError::NotFound(_) => StatusCode::NOT_FOUND,
            SharesError::UnknownPost(_) => StatusCode::UNPROCESSABLE_ENTITY,
            SharesError::Posts(_) => StatusCode::SERVICE_UNAVAILABLE,
            SharesError::Contended(_) | SharesError::Unavailable(_) | SharesError::NoCode => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            SharesError::Database(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let (message, retry_after) = match self {
            SharesError::BadRequest(message) | SharesError::NotFound(message) | SharesError::UnknownPost(message) => {
                (message.clone(), None)
            }
            SharesError::Posts(_) => {
                log::warn!("shares: {self:?}");
                (format!("{self}; retry in {RETRY_AFTER_SECS} s"), Some(RETRY_AFTER_SECS))
            }
            SharesError::Contended(_) | SharesError::NoCode => {
                log::warn!("shares: {self:?}");
                (self.to_string(), Some(1))
            }
            SharesError::Unavailable(_) => {
                log::warn!("shares: {self:?}");
                (format!("{self}; retry in {RETRY_AFTER_SECS} s"), Some(RETRY_AFTER_SECS))
            }
            SharesError::Database(_) => {
                log::error!("shares: {self:?}");
                ("database error (logged)".to_owned(), None)
            }
        };
        kit::error::respond(status, &message, retry_after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    #[test]
    fn a_bad_request_is_a_400_in_the_envelope() {
        let response = SharesError::BadRequest("post_id is bad".into()).error_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let bytes = response.into_body().try_into_bytes().ok().unwrap();
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(body["_error"]["code"], 400);
        assert_eq!(body["_error"]["message"], "post_id is bad");
    }
}
