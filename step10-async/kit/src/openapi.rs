//! What the OpenAPI documents of step 10's new services (likes, shares,
//! hide, jobs) share, so that each declares it once: the `Idempotency-Key`
//! header parameter, stated with the limits that [`crate::idempotency`]
//! enforces.

use utoipa::IntoParams;

/// The `Idempotency-Key` header, for a handler's `params(…)`:
/// `params(kit::openapi::IdempotencyKey)`. Its schema is what
/// [`crate::idempotency::key`] accepts: 1 to
/// [`crate::idempotency::MAX_KEY_CHARS`] visible ASCII characters (`!` to
/// `~`). (One exception a pattern cannot say simply: the draft's quoted
/// form `"…"` is unquoted first, so `""` alone is an empty key, a 400.)
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKey {
    /// A key of the client's making: a retry with the same key and the same
    /// request gets the first answer again (`Idempotent-Replayed: true`);
    /// the same key with another request is a 422. Kept 24 h.
    #[param(rename = "Idempotency-Key", min_length = 1, max_length = 255, pattern = r"^[!-~]+$")]
    pub key: Option<String>,
}

#[cfg(test)]
mod tests {
    use utoipa::IntoParams;

    use super::*;
    use crate::idempotency::{key, MAX_KEY_CHARS};

    #[test]
    fn the_header_states_the_middlewares_limits() {
        let params = serde_json::to_value(IdempotencyKey::into_params(|| None)).unwrap();
        let param = &params[0];
        assert_eq!((param["name"].as_str(), param["in"].as_str()), (Some("Idempotency-Key"), Some("header")));
        assert_eq!(param["required"], false);
        let schema = &param["schema"];
        assert_eq!((schema["minLength"].as_u64(), schema["maxLength"].as_u64()), (Some(1), Some(MAX_KEY_CHARS as u64)));
        assert_eq!(schema["pattern"], "^[!-~]+$");
        // The middleware agrees at the edges of the pattern.
        let mut headers = actix_web::http::header::HeaderMap::new();
        for (value, ok) in [("!", true), ("~", true), ("a~!z09", true), ("a b", false)] {
            headers.insert(
                actix_web::http::header::HeaderName::from_static("idempotency-key"),
                actix_web::http::header::HeaderValue::from_static(value),
            );
            assert_eq!(key(&headers).is_ok(), ok, "{value:?}");
        }
    }
}
