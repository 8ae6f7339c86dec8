//! The hide service's one error type, answered in Eve's JSON envelope.
//!
//! Each case maps to its status: a malformed user name or post id is the
//! client's mistake (400, the message says what is expected), a user who
//! already hides the most posts allowed gets 422, un-hiding a post that is
//! not hidden is a 404, an unreachable database or writes that kept
//! colliding are temporary (503 with `Retry-After`), anything else is ours
//! (500, the cause logged and not shown).

use actix_web::{http::StatusCode, HttpResponse, ResponseError};
use kit::error::is_unavailable;

/// How many seconds a client is told to wait when the database is down.
pub const RETRY_AFTER_SECS: u32 = 5;

/// Everything a hide request can fail with.
#[derive(thiserror::Error)]
pub enum HideError {
    /// A malformed user name or post id (400).
    #[error("{0}")]
    BadInput(String),
    /// The user already hides `max` posts (422).
    #[error("{user} already hides {max} posts, the most allowed: un-hide some first")]
    TooMany {
        /// Who.
        user: String,
        /// `MAX_HIDDEN_PER_USER`.
        max: u32,
    },
    /// The post is not hidden by that user (404).
    #[error("{user} does not hide post {post_id}")]
    NotHidden {
        /// Who.
        user: String,
        /// The post (hex).
        post_id: String,
    },
    /// Concurrent writes of the same user kept colliding (503).
    #[error("too many concurrent writes for this user")]
    Busy,
    /// The database cannot be reached (503).
    #[error("the hide database is unavailable")]
    Unavailable(#[source] mongodb::error::Error),
    /// Any other database failure (500).
    #[error("database error")]
    Database(#[source] mongodb::error::Error),
}

impl From<mongodb::error::Error> for HideError {
    fn from(e: mongodb::error::Error) -> Self {
        if is_unavailable(&e) {
            HideError::Unavailable(e)
        } else {
            HideError::Database(e)
        }
    }
}

// `Debug` walks the `source()` chain, so that a logged error shows its cause.
impl std::fmt::Debug for HideError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        kit::error::fmt_chain(self, f)
    }
}

impl ResponseError for HideError {
    fn status_code(&self) -> StatusCode {
        match self {
            HideError::BadInput(_) => StatusCode::BAD_REQUEST,
            HideError::TooMany { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            HideError::NotHidden { .. } => StatusCode::NOT_FOUND,
            HideError::Busy | HideError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            HideError::Database(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let message = match self {
            HideError::BadInput(_) | HideError::TooMany { .. } | HideError::NotHidden { .. } => self.to_string(),
            HideError::Busy | HideError::Unavailable(_) => {
                log::warn!("hide: {self:?}");
                format!("{self}; retry in {RETRY_AFTER_SECS} s")
            }
            HideError::Database(_) => {
                log::error!("hide: {self:?}");
                "database error (logged)".to_owned()
            }
        };
        let retry_after = (status == StatusCode::SERVICE_UNAVAILABLE).then_some(RETRY_AFTER_SECS);
        kit::error::respond(status, &message, retry_after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    fn body(error: HideError) -> (StatusCode, serde_json::Value) {
        let response = error.error_response();
        let status = response.status();
        let bytes = response.into_body().try_into_bytes().ok().unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[test]
    fn each_case_has_its_status_in_the_envelope() {
        let (status, json) = body(HideError::BadInput("bad user".into()));
        assert_eq!(
            (status, json["_status"].as_str(), json["_error"]["code"].as_u64()),
            (StatusCode::BAD_REQUEST, Some("ERR"), Some(400))
        );
        assert_eq!(json["_error"]["message"], "bad user");
        let (status, json) = body(HideError::TooMany { user: "ann".into(), max: 3 });
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(json["_error"]["message"].as_str().unwrap().contains("3 posts"));
        assert_eq!(body(HideError::NotHidden { user: "a".into(), post_id: "b".into() }).0, StatusCode::NOT_FOUND);
        assert_eq!(body(HideError::Busy).0, StatusCode::SERVICE_UNAVAILABLE);
    }
}
