//! Request ids: one id per request, kept across every service it reaches.
//!
//! [`middleware`] keeps a sane incoming `X-Request-Id` (a client or the
//! calling service chose it) or makes one, writes it into the request's
//! headers so that the request log (`%{x-request-id}i`) prints it, stores
//! it as a [`RequestId`] extension for handlers that call other services,
//! and echoes it on the response. Wrap it outside the `Logger`.
//!
//! A small `from_fn` middleware rather than `tracing-actix-web`, which
//! makes its own id and ignores an incoming one.

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::{HeaderName, HeaderValue},
    middleware::Next,
    FromRequest, HttpMessage, HttpRequest,
};

/// The header that carries the id, in and out.
pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");
/// The longest incoming id kept (a UUID is 36 characters).
pub const MAX_LEN: usize = 64;
/// The request log line: the request id first, so that `grep <id>` over
/// every service's log follows one page view.
pub const LOG_FORMAT: &str = r#"%{x-request-id}i %a "%r" %s %b %Dms"#;

/// The id of the request being served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(pub String);

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether an incoming id is kept: 1 to [`MAX_LEN`] ASCII letters,
/// digits, `-`, `_`, `.` or `:`. Anything else (a log-injection attempt, a
/// megabyte of text) is replaced by a fresh id.
pub fn is_sane(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_LEN && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

/// A new id: a random UUID.
pub fn fresh() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The middleware (`.wrap(from_fn(request_id::middleware))`, outermost).
pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let incoming = req.headers().get(&HEADER).and_then(|v| v.to_str().ok()).filter(|id| is_sane(id));
    let id = incoming.map(str::to_owned).unwrap_or_else(fresh);
    let value = HeaderValue::from_str(&id).expect("a sane id is a valid header value");
    req.headers_mut().insert(HEADER, value.clone());
    req.extensions_mut().insert(RequestId(id));
    let mut res = next.call(req).await?;
    res.headers_mut().insert(HEADER, value);
    Ok(res)
}

impl FromRequest for RequestId {
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    /// The id the middleware chose; a fresh one where it is not installed.
    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let id = req.extensions().get::<RequestId>().cloned().unwrap_or_else(|| RequestId(fresh()));
        std::future::ready(Ok(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sane_ids_are_kept() {
        assert!(is_sane("4b3c0f0e-9d51-4f8e-8a43-0c8e7f0a1b2c"));
        assert!(is_sane("web-1:42"));
        assert!(!is_sane(""));
        assert!(!is_sane(&"a".repeat(65)));
        assert!(!is_sane("a b"));
        assert!(!is_sane("id\nFAKE LOG LINE"));
        assert!(is_sane(&fresh()));
    }
}
