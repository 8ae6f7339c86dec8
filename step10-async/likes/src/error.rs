//! The likes service's one error type, answered in Eve's JSON envelope.
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

/// Everything a likes request can fail with.
#[derive(thiserror::Error)]
pub enum LikesError {
    /// A malformed post id, user name or query parameter (400).
    #[error("{0}")]
    BadRequest(String),
    /// Nothing to unlike (404).
    #[error("{0}")]
    NotFound(String),
    /// The transaction kept conflicting with concurrent writes (503).
    #[error("too many concurrent writes on this post; retry")]
    Contended(#[source] mongodb::error::Error),
    /// The database cannot be reached (503).
    #[error("the likes database is unavailable")]
    Unavailable(#[source] mongodb::error::Error),
    /// Any other database failure (500).
    #[error("database error")]
    Database(#[source] mongodb::error::Error),
}

impl From<mongodb::error::Error> for LikesError {
    fn from(e: mongodb::error::Error) -> Self {
        if is_unavailable(&e) {
            LikesError::Unavailable(e)
        } else {
            LikesError::Database(e)
        }
    }
}

// `Debug` walks the `source()` chain, so that a logged error shows its cause.
impl std::fmt::Debug for LikesError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        kit::error::fmt_chain(self, f)
    }
}

impl ResponseError for LikesError {
    fn status_code(&self) -> StatusCode {
        match self {
            LikesError::BadRequest(_) => StatusCode::BAD_REQUEST,
            LikesError::NotFound(_) => StatusCode::NOT_FOUND,
            LikesError::Contended(_) | LikesError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            LikesError::Database(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let (message, retry_after) = match self {
            LikesError::BadRequest(message) | LikesError::NotFound(message) => (message.clone(), None),
            LikesError::Contended(_) => {
                log::warn!("likes: {self:?}");
                (self.to_string(), Some(1))
            }
            LikesError::Unavailable(_) => {
                log::warn!("likes: {self:?}");
                (format!("{self}; retry in {RETRY_AFTER_SECS} s"), Some(RETRY_AFTER_SECS))
            }
            LikesError::Database(_) => {
                log::error!("likes: {self:?}");
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
        let response = LikesError::BadRequest("post_id is bad".into()).error_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let bytes = response.into_body().try_into_bytes().ok().unwrap();
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(body["_error"]["code"], 400);
        assert_eq!(body["_error"]["message"], "post_id is bad");
    }
}
