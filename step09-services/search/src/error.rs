//! The search service's one error type, answered in Eve's JSON envelope.
//!
//! Each case maps to its status: a bad query string is the client's
//! mistake (400, the message says what is expected), an unreachable
//! database is temporary (503 with `Retry-After`), anything else is ours
//! (500, the cause logged and not shown). The sync endpoints answer with
//! the kit's own `TargetError`, whose statuses are the protocol's.

use actix_web::{
    http::{header, StatusCode},
    HttpResponse, ResponseError,
};
use kit::mongo::is_unavailable;
use mongo_rest::error::error_body;

/// How many seconds a client is told to wait when the database is down.
pub const RETRY_AFTER_SECS: u32 = 5;

/// Everything a search request can fail with.
#[derive(thiserror::Error)]
pub enum SearchError {
    /// A missing or unusable query parameter (400).
    #[error("{0}")]
    BadQuery(String),
    /// The database cannot be reached (503).
    #[error("the search database is unavailable")]
    Unavailable(#[source] mongodb::error::Error),
    /// Any other database failure (500).
    #[error("database error")]
    Database(#[source] mongodb::error::Error),
}

impl From<mongodb::error::Error> for SearchError {
    fn from(e: mongodb::error::Error) -> Self {
        if is_unavailable(&e) {
            SearchError::Unavailable(e)
        } else {
            SearchError::Database(e)
        }
    }
}

// `Debug` walks the `source()` chain, so that a logged error shows its cause
// (as zero-to-production does).
impl std::fmt::Debug for SearchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self}")?;
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            write!(f, "\n  caused by: {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

impl ResponseError for SearchError {
    fn status_code(&self) -> StatusCode {
        match self {
            SearchError::BadQuery(_) => StatusCode::BAD_REQUEST,
            SearchError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            SearchError::Database(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let message = match self {
            SearchError::BadQuery(message) => message.clone(),
            SearchError::Unavailable(_) => {
                log::warn!("search: {self:?}");
                format!("{self}; retry in {RETRY_AFTER_SECS} s")
            }
            SearchError::Database(_) => {
                log::error!("search: {self:?}");
                "database error (logged)".to_owned()
            }
        };
        let mut response = HttpResponse::build(status);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECS.to_string()));
        }
        response.json(error_body(status, &message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    #[test]
    fn a_bad_query_is_a_400_in_the_envelope() {
        let response = SearchError::BadQuery("q is missing".into()).error_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let bytes = response.into_body().try_into_bytes().ok().unwrap();
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(body["_status"], "ERR");
        assert_eq!(body["_error"]["code"], 400);
        assert_eq!(body["_error"]["message"], "q is missing");
    }
}
