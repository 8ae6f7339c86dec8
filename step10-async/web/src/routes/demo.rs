//! `GET /demo/blocking?ms=N` and `GET /demo/async?ms=N`: the same wait of
//! `N` milliseconds, once holding the worker's thread, once not.
//!
//! The workshop's Tornado samples compared a handler that sleeps with one
//! that awaits; this is that comparison in actix-web. An actix server runs
//! a few workers (`WORKERS`, default one per CPU), each a single thread
//! running many requests' futures in turn. A handler that calls
//! `std::thread::sleep` stops its worker's thread: no other request on
//! that worker makes progress until it wakes, so with `W` workers at most
//! `W` such requests run at once, and the throughput is capped near
//! `W ÷ N`. A handler that awaits a timer gives its thread back while it
//! waits, so one worker holds any number of waits at once, and the
//! throughput is capped near `connections ÷ N`. `make bench` measures both.
//!
//! `N` is a whole number from 0 to [`MAX_MS`]; anything else, missing
//! included, is a 400 page. Both answer a line of `text/plain`. No session
//! and no database: they are mounted outside the session layer.

use std::time::Duration;

use actix_web::{error::ErrorBadRequest, HttpRequest, HttpResponse};

/// The longest wait a demo request may ask for, in milliseconds.
pub const MAX_MS: u64 = 10_000;

/// The `ms` of the query string, checked.
fn wait(req: &HttpRequest) -> actix_web::Result<Duration> {
    let pairs = actix_web::web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map_err(|e| ErrorBadRequest(format!("a bad query string: {e}")))?;
    let ms = pairs.iter().find(|(name, _)| name == "ms").map(|(_, value)| value.as_str());
    match ms.map(|text| text.parse::<u64>()) {
        Some(Ok(ms)) if ms <= MAX_MS => Ok(Duration::from_millis(ms)),
        _ => Err(ErrorBadRequest(format!(
            "ms must be a whole number of milliseconds from 0 to {MAX_MS}, for example /demo/async?ms=100"
        ))),
    }
}

fn text(body: String) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; charset=utf-8").body(body)
}

// ANCHOR: demo
/// `GET /demo/blocking?ms=N`: blocks the worker's thread for `N` ms.
pub async fn blocking(req: HttpRequest) -> actix_web::Result<HttpResponse> {
    let wait = wait(&req)?;
    // On purpose: this is the mistake the demo shows. `std::thread::sleep`
    // in an async handler holds the worker's thread, and every other
    // request on this worker waits with it. Never do this in a real
    // handler (use `actix_web::rt::time::sleep`, or `web::block` for work
    // that must block).
    std::thread::sleep(wait);
    Ok(text(format!("blocked this worker's thread for {} ms\n", wait.as_millis())))
}

/// `GET /demo/async?ms=N`: awaits `N` ms, the worker serving others meanwhile.
pub async fn asynchronous(req: HttpRequest) -> actix_web::Result<HttpResponse> {
    let wait = wait(&req)?;
    actix_web::rt::time::sleep(wait).await;
    Ok(text(format!("waited {} ms without blocking the worker\n", wait.as_millis())))
}
// ANCHOR_END: demo

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn ms_is_a_whole_number_up_to_the_limit() {
        let at = |uri: &str| wait(&TestRequest::get().uri(uri).to_http_request());
        assert_eq!(at("/demo/async?ms=0").unwrap(), Duration::ZERO);
        assert_eq!(at("/demo/async?ms=10000").unwrap(), Duration::from_secs(10));
        assert_eq!(at("/demo/async?x=1&ms=5").unwrap(), Duration::from_millis(5));
        for bad in [
            "/demo/async",
            "/demo/async?ms=",
            "/demo/async?ms=10001",
            "/demo/async?ms=-1",
            "/demo/async?ms=1.5",
            "/demo/async?ms=abc",
            "/demo/async?ms=99999999999999999999999",
        ] {
            let err = at(bad).unwrap_err();
            assert_eq!(err.as_response_error().status_code(), actix_web::http::StatusCode::BAD_REQUEST, "{bad}");
        }
    }
}
