//! `SIMULATED_LATENCY_MS`: a delay added to every request but the probes,
//! for teaching and tests.
//!
//! A service on one laptop answers in a millisecond, which hides what a
//! network costs: with a delay of 100 ms on each service, a page that calls
//! five of them one after another takes over half a second, and one that
//! calls them at once about 100 ms. The delay is an async sleep
//! ([`actix_web::rt::time::sleep`]), never a blocking one: the worker
//! serves other requests meanwhile, as it would while waiting for a real
//! network. `/health/*` is never delayed, so that probes (and an
//! orchestrator's restarts) are not fooled by it. Off (0) by default.

use std::time::Duration;

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    middleware::Next,
};

/// The variable.
pub const SETTING: &str = "SIMULATED_LATENCY_MS";
/// The largest `SIMULATED_LATENCY_MS` accepted: one minute.
pub const MAX_MS: u64 = 60_000;

/// Whether a request to `path` is delayed: all but the probes.
pub fn applies_to(path: &str) -> bool {
    !path.starts_with("/health/")
}

/// The middleware body: waits `latency` (unless the request is a probe or
/// `latency` is zero), then hands the request on. Mount it with a closure,
/// `.wrap(from_fn(move |req, next| latency::delay(latency, req, next)))`.
pub async fn delay<B: MessageBody>(
    latency: Duration,
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    if !latency.is_zero() && applies_to(req.path()) {
        actix_web::rt::time::sleep(latency).await;
    }
    next.call(req).await
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use actix_web::{middleware::from_fn, test as http, web, App, HttpResponse};

    use super::*;

    #[test]
    fn only_the_probes_are_exempt() {
        assert!(applies_to("/posts"));
        assert!(applies_to("/"));
        assert!(applies_to("/healthy"));
        assert!(!applies_to("/health/live"));
        assert!(!applies_to("/health/ready"));
    }

    /// 150 ms on a route, none on `/health/live`; and other requests are
    /// served while one waits (the sleep does not hold the worker).
    #[actix_web::test]
    async fn requests_wait_and_probes_do_not() {
        let latency = Duration::from_millis(150);
        let app = http::init_service(
            App::new()
                .route("/thing", web::get().to(HttpResponse::Ok))
                .route("/health/live", web::get().to(HttpResponse::Ok))
                .wrap(from_fn(move |req, next| delay(latency, req, next))),
        )
        .await;
        let start = Instant::now();
        let response = http::call_service(&app, http::TestRequest::get().uri("/thing").to_request()).await;
        assert!(response.status().is_success());
        assert!(start.elapsed() >= latency, "{:?}", start.elapsed());

        let start = Instant::now();
        let response = http::call_service(&app, http::TestRequest::get().uri("/health/live").to_request()).await;
        assert!(response.status().is_success());
        assert!(start.elapsed() < Duration::from_millis(100), "{:?}", start.elapsed());

        // Four at once on one thread take about one delay, not four.
        let start = Instant::now();
        let calls = (0..4).map(|_| http::call_service(&app, http::TestRequest::get().uri("/thing").to_request()));
        for response in futures::future::join_all(calls).await {
            assert!(response.status().is_success());
        }
        assert!(start.elapsed() < 3 * latency, "{:?}", start.elapsed());
    }
}
