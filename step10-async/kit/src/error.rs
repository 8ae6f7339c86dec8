//! What the error types of step 10's new services (likes, shares, hide,
//! jobs) share: each keeps its own cases and statuses, and answers and
//! logs them the same way.
//!
//! - [`respond`]: the answer in Eve's JSON envelope (`mongo_rest`'s
//!   `error_body`), with `Retry-After` when the client should come back.
//! - [`fmt_chain`]: an error and every `source()` below it, for a
//!   `Debug` that shows a logged error's cause (as zero-to-production's
//!   `error_chain_fmt` does).
//! - [`is_unavailable`]: whether a MongoDB error means the database cannot
//!   be reached, a transaction's first failure included.

use actix_web::{
    http::{header, StatusCode},
    HttpResponse,
};
use mongo_rest::error::error_body;

/// `status` with `message` in the error envelope, and `Retry-After:
/// retry_after` seconds when given.
pub fn respond(status: StatusCode, message: &str, retry_after: Option<u32>) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    if let Some(secs) = retry_after {
        response.insert_header((header::RETRY_AFTER, secs.to_string()));
    }
    response.json(error_body(status, message))
}

/// Writes `error`, then each cause below it on a line of its own
/// (`  caused by: …`).
pub fn fmt_chain(error: &dyn std::error::Error, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    write!(f, "{error}")?;
    let mut source = error.source();
    while let Some(cause) = source {
        write!(f, "\n  caused by: {cause}")?;
        source = cause.source();
    }
    Ok(())
}

/// Whether `e` means "MongoDB cannot be reached" (503) rather than "the
/// query failed" (500): [`crate::mongo::is_unavailable`], and the driver's
/// refusal to start a transaction before it has reached a server
/// ("transactions are not supported by this deployment"), which is what a
/// transaction meets first while the database is down.
pub fn is_unavailable(e: &mongodb::error::Error) -> bool {
    let no_transactions = matches!(&*e.kind, mongodb::error::ErrorKind::Transaction { message, .. }
        if message.contains("not supported"));
    crate::mongo::is_unavailable(e) || no_transactions
}

#[cfg(test)]
mod tests {
    use actix_web::body::MessageBody;

    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    struct Chain(Outer);

    impl std::fmt::Debug for Chain {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            fmt_chain(&self.0, f)
        }
    }

    #[test]
    fn the_chain_names_every_cause() {
        let error = Chain(Outer(std::io::Error::other("inner")));
        assert_eq!(format!("{error:?}"), "outer\n  caused by: inner");
    }

    #[test]
    fn an_answer_is_the_envelope_with_retry_after_when_given() {
        let response = respond(StatusCode::SERVICE_UNAVAILABLE, "down; retry in 5 s", Some(5));
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers().get("retry-after").unwrap(), "5");
        let bytes = response.into_body().try_into_bytes().ok().unwrap();
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(body["_status"], "ERR");
        assert_eq!(
            (body["_error"]["code"].as_u64(), body["_error"]["message"].as_str()),
            (Some(503), Some("down; retry in 5 s"))
        );
        assert!(respond(StatusCode::NOT_FOUND, "no", None).headers().get("retry-after").is_none());
    }
}
