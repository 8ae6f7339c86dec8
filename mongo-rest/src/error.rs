//! The API's one error type, answered as Eve's JSON error envelope.
//!
//! Every failure, ours or actix-web's own (an unknown URL, a body too large),
//! reaches the client as
//! `{"_status": "ERR", "_error": {"code": 404, "message": "…"}}`; validation
//! failures add `_issues` (field → message) and, for a bulk `POST`, `_items`
//! (one status per document). [`json_errors`] rewrites the responses that
//! actix-web produces itself, so that no error is ever plain text.

use actix_web::{
    body::{BoxBody, EitherBody, MessageBody},
    dev::ServiceResponse,
    http::{header, StatusCode},
    middleware::ErrorHandlerResponse,
    HttpResponse, ResponseError,
};
use serde_json::{json, Value};

use super::{query::QueryError, validate::Issues};

/// Everything the API can answer with an error.
#[derive(thiserror::Error)]
pub enum ApiError {
    /// A malformed request: a bad query parameter, a body that is not JSON (400).
    #[error("{0}")]
    BadRequest(String),
    /// A `where`, `sort`, `projection` or `embedded` the API refuses (400);
    /// the message names the mistake.
    #[error("{0}")]
    Query(#[from] QueryError),
    /// A body that is not valid JSON (400).
    #[error("the body is not valid JSON: {0}")]
    InvalidJson(#[source] serde_json::Error),
    /// A query string that cannot be read as `name=value` pairs (400).
    #[error("invalid query string: {0}")]
    InvalidQueryString(#[source] actix_web::error::QueryPayloadError),
    /// A query the database itself refuses (400): BadValue, or a `$regex`
    /// that Rust's regex crate accepted but the server's engine does not.
    #[error("the database refused the query: {reason}")]
    RefusedQuery {
        /// The server's reason, shown to the client.
        reason: String,
        /// The driver's error.
        #[source]
        source: mongodb::error::Error,
    },
    /// No such resource or document (404).
    #[error("{0}")]
    NotFound(String),
    /// The method is not allowed here (405); carries the allowed ones.
    #[error("method {method} is not allowed on {path}")]
    MethodNotAllowed {
        /// The method asked for.
        method: String,
        /// The URL path.
        path: String,
        /// The methods allowed there, for the `Allow` header.
        allow: Vec<&'static str>,
    },
    /// A duplicate key in the database (409).
    #[error("{0}")]
    Conflict(String),
    /// `If-Match` does not match the stored ETag (412).
    #[error("client and server etags don't match")]
    PreconditionFailed,
    /// The body is not `application/json` (415).
    #[error("unsupported content type {0:?}: send application/json")]
    UnsupportedMediaType(String),
    /// The document(s) failed validation (422).
    #[error("insertion failure: {} document(s) contain error(s)", .failed)]
    Validation {
        /// How many documents failed.
        failed: usize,
        /// The issues of a single document.
        issues: Option<Issues>,
        /// For a bulk write, one entry per document, in order.
        items: Option<Vec<Value>>,
    },
    /// A bulk `POST` with more documents than `MAX_BULK_DOCUMENTS` (422).
    #[error("at most {max} documents per request; this one has {got}")]
    TooManyDocuments {
        /// The limit.
        max: usize,
        /// The documents sent.
        got: usize,
    },
    /// A write without `If-Match` (428).
    #[error("to edit a document its etag must be provided using the If-Match header")]
    PreconditionRequired,
    /// Concurrent writes kept conflicting, even after retries (503; the
    /// client may retry after a second).
    #[error("too many concurrent writes; try again in a moment")]
    Busy,
    /// A query ran longer than the API allows (504).
    #[error("the query took too long; narrow the filter or use an indexed field")]
    QueryTimeout,
    /// MongoDB cannot be reached (503).
    #[error("the database is unavailable")]
    DatabaseUnavailable(#[source] mongodb::error::Error),
    /// Any other database failure (500, logged, not shown).
    #[error("database error")]
    Database(#[source] mongodb::error::Error),
    /// A fault of the server's own data, such as a corrupt oplog counter
    /// (500; the cause is logged, not shown).
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<mongodb::error::Error> for ApiError {
    fn from(e: mongodb::error::Error) -> Self {
        use mongodb::error::ErrorKind;
        if is_unavailable(&e) {
            ApiError::DatabaseUnavailable(e)
        } else if is_duplicate_key(&e) {
            // Before the command arm below: inside a transaction a duplicate
            // arrives as a command error with code 11000.
            ApiError::Conflict("duplicate key: a document with this unique value already exists".into())
        } else if let ErrorKind::Command(c) = &*e.kind {
            match c.code {
                // MaxTimeMSExpired: the query hit `store::QUERY_TIME_LIMIT`.
                50 => ApiError::QueryTimeout,
                // BadValue, or a `$regex` that Rust's regex crate accepted
                // but the server's engine does not: the client's query, so
                // a 400 with the server's reason, not a 500.
                2 | 51091 => ApiError::RefusedQuery { reason: c.message.clone(), source: e },
                _ => ApiError::Database(e),
            }
        } else {
            ApiError::Database(e)
        }
    }
}

/// Whether an error means "MongoDB cannot be reached" (answered with 503)
/// rather than "the query failed" (500).
pub fn is_unavailable(e: &mongodb::error::Error) -> bool {
    use mongodb::error::ErrorKind;
    matches!(*e.kind, ErrorKind::ServerSelection { .. } | ErrorKind::Io(_) | ErrorKind::ConnectionPoolCleared { .. })
        || e.contains_label("RetryableWriteError")
}

/// Whether a write failed on a unique index (code 11000), also inside a
/// bulk write or a transaction.
pub fn is_duplicate_key(e: &mongodb::error::Error) -> bool {
    use mongodb::error::{ErrorKind, WriteFailure};
    match &*e.kind {
        ErrorKind::Write(WriteFailure::WriteError(w)) => w.code == 11000,
        ErrorKind::InsertMany(failure) => failure.write_errors.iter().flatten().any(|w| w.code == 11000),
        ErrorKind::Command(c) => c.code == 11000,
        _ => e.to_string().contains("E11000"),
    }
}

impl std::fmt::Debug for ApiError {
    /// The error and its `source()` chain, one per line, for the log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        error_chain(self, f)
    }
}

/// Prints an error and every `source()` below it, one per line, so that
/// the log names the root cause.
fn error_chain(error: &dyn std::error::Error, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    writeln!(f, "{error}")?;
    let mut current = error.source();
    while let Some(cause) = current {
        writeln!(f, "Caused by:\n\t{cause}")?;
        current = cause.source();
    }
    Ok(())
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_)
            | ApiError::Query(_)
            | ApiError::InvalidJson(_)
            | ApiError::InvalidQueryString(_)
            | ApiError::RefusedQuery { .. } => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Validation { .. } | ApiError::TooManyDocuments { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ApiError::QueryTimeout => StatusCode::GATEWAY_TIMEOUT,
            ApiError::DatabaseUnavailable(_) | ApiError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Database(_) | ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        let status = self.status_code();
        let message = match self {
            ApiError::DatabaseUnavailable(_) => "the database is unavailable; try again in a moment".to_string(),
            ApiError::Database(_) | ApiError::Internal(_) => "internal error; it has been logged".to_string(),
            other => other.to_string(),
        };
        if status.is_server_error() {
            log::error!("{self:?}");
        }
        let mut body = error_body(status, &message);
        if let ApiError::Validation { issues, items, .. } = self {
            if let Some(issues) = issues {
                body["_issues"] = json!(issues);
            }
            if let Some(items) = items {
                body["_items"] = Value::Array(items.clone());
            }
        }
        let mut response = HttpResponse::build(status);
        match self {
            ApiError::MethodNotAllowed { allow, .. } => {
                response.insert_header((header::ALLOW, allow.join(", ")));
            }
            ApiError::DatabaseUnavailable(_) => {
                response.insert_header((header::RETRY_AFTER, "5"));
            }
            ApiError::Busy => {
                response.insert_header((header::RETRY_AFTER, "1"));
            }
            _ => {}
        }
        response.json(body)
    }
}

/// Eve's error envelope.
pub fn error_body(status: StatusCode, message: &str) -> Value {
    json!({ "_status": "ERR", "_error": { "code": status.as_u16(), "message": message } })
}

/// `ErrorHandlers` callback: any 4xx/5xx that is not JSON yet (actix-web's
/// own 404, 413, a failed extractor…) becomes Eve's error envelope, with
/// the client's mistake named and server faults kept in the log.
pub fn json_errors<B: MessageBody + 'static>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let message = match res.response().error() {
        Some(e) if status.is_client_error() => e.to_string(),
        _ if status == StatusCode::NOT_FOUND => "the requested URL was not found on the server".to_string(),
        _ => status.canonical_reason().unwrap_or("error").to_string(),
    };
    let (req, mut response) = res.into_parts();
    response.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/json"));
    let body = error_body(status, &message).to_string();
    let res = ServiceResponse::new(req, response.set_body(body)).map_into_boxed_body().map_into_right_body::<B>();
    let res: ServiceResponse<EitherBody<B, BoxBody>> = res;
    Ok(ErrorHandlerResponse::Response(res))
}

#[cfg(test)]
mod tests {
    use mongodb::{
        bson::doc,
        error::{CommandError, Error, ErrorKind},
    };

    use super::*;

    /// A command error as the server sends it.
    fn command_error(code: i32, name: &str, message: &str) -> Error {
        let error: CommandError =
            mongodb::bson::from_document(doc! { "code": code, "codeName": name, "errmsg": message }).unwrap();
        Error::from(ErrorKind::Command(error))
    }

    #[test]
    fn a_duplicate_key_command_error_is_a_409_not_a_500() {
        // How a unique index refuses a write inside a transaction.
        let duplicate = command_error(11000, "DuplicateKey", "E11000 duplicate key error collection: t.posts");
        assert!(is_duplicate_key(&duplicate));
        let error = ApiError::from(duplicate);
        assert!(matches!(error, ApiError::Conflict(_)), "{error:?}");
        assert_eq!(error.status_code(), StatusCode::CONFLICT);
    }

    #[test]
    fn command_errors_map_to_the_status_their_code_means() {
        let status = |code, name| ApiError::from(command_error(code, name, "why")).status_code();
        assert_eq!(status(50, "MaxTimeMSExpired"), StatusCode::GATEWAY_TIMEOUT);
        assert_eq!(status(2, "BadValue"), StatusCode::BAD_REQUEST);
        // A client-side error keeps the driver's error as its source.
        let refused = ApiError::from(command_error(2, "BadValue", "bad regex"));
        assert_eq!(refused.to_string(), "the database refused the query: bad regex");
        assert!(std::error::Error::source(&refused).is_some());
        assert_eq!(status(51091, "Location51091"), StatusCode::BAD_REQUEST);
        assert_eq!(status(14, "TypeMismatch"), StatusCode::INTERNAL_SERVER_ERROR);
        let internal = ApiError::Internal("the oplog counter \"oplog\" is not a whole number".into());
        assert_eq!(internal.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(format!("{internal:?}").contains("oplog counter"), "the cause is logged");
    }
}
