//! The service's one error type, answered as Eve's JSON error envelope.
//!
//! Bad parameters are 400 with the parameter's name (the messages are
//! mongo-rest's, so that v1 fails the way step 08's aggregation failed);
//! candidates not loaded yet (the database has been unreachable since the
//! start) are 503; sync's errors keep the statuses the kit gives them
//! (409 with the current checkpoint, 422, 503, 500 logged).

use actix_web::{
    http::{header, StatusCode},
    HttpResponse, ResponseError,
};
use kit::sync::TargetError;
use mongo_rest::error::error_body;

/// Everything the service can answer with an error.
#[derive(Debug, thiserror::Error)]
pub enum RecommendError {
    /// A bad query parameter (400); the message names it.
    #[error("{0}")]
    BadRequest(String),
    /// The candidates have not been loaded yet (503, retry shortly).
    #[error("the candidates are not loaded yet: the database has not answered since the service started")]
    NotLoaded,
    /// A sync request failed (the kit's status).
    #[error(transparent)]
    Sync(#[from] TargetError),
}

impl ResponseError for RecommendError {
    fn status_code(&self) -> StatusCode {
        match self {
            RecommendError::BadRequest(_) => StatusCode::BAD_REQUEST,
            RecommendError::NotLoaded => StatusCode::SERVICE_UNAVAILABLE,
            RecommendError::Sync(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            RecommendError::Sync(e) => e.error_response(),
            RecommendError::NotLoaded => HttpResponse::ServiceUnavailable()
                .insert_header((header::RETRY_AFTER, "1"))
                .json(error_body(self.status_code(), &self.to_string())),
            other => HttpResponse::build(other.status_code()).json(error_body(other.status_code(), &other.to_string())),
        }
    }
}
