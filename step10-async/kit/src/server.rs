//! The HTTP server every JSON service of steps 9 and 10 runs.
//!
//! [`Application::bind`] binds `HOST:PORT` first (so `PORT=0` picks a free
//! port, which [`Application::port`] reports: what the tests use), then
//! serves the service's routes inside the middleware every service
//! shares, outermost first:
//! 1. request ids ([`crate::request_id`]): kept or made, echoed;
//! 2. one log line per request, the request id first;
//! 3. `X-Content-Type-Options: nosniff`;
//! 4. `SIMULATED_LATENCY_MS` ([`crate::latency`], off by default): a delay
//!    before every request but `/health/*`, inside the log line;
//! 5. Eve's JSON error envelope for every 4xx/5xx that is not JSON yet
//!    (an unknown URL, a wrong method, a body too large, bad JSON).
//!
//! `/health/live` is mounted here; `/health/ready` is the service's own
//! (only it knows what it depends on).
//!
//! Mount routes as resources, `cfg.service(web::resource(path).route(..))`,
//! not with `cfg.route(path, ..)`: that one puts the method guard on the
//! resource, so a method the path does not take falls through to the 404
//! of the default service, where a resource answers 405 with `Allow`
//! (RFC 9110 §15.5.6). schemathesis found it (TRACE on every path).

use std::{net::TcpListener, time::Duration};

use actix_web::{
    dev::Server,
    error::InternalError,
    http::StatusCode,
    middleware::{from_fn, DefaultHeaders, ErrorHandlers, Logger},
    web, App, HttpResponse, HttpServer,
};
use mongo_rest::error::{error_body, json_errors};

use crate::{health, latency, request_id};

/// A bound, ready-to-run server.
pub struct Application {
    host: String,
    port: u16,
    server: Server,
}

impl Application {
    /// Binds `host:port` and builds the server. `configure` mounts the
    /// service's routes and per-worker data; it runs once per worker (so an
    /// `awc::Client`, which is not `Send`, is made inside it).
    /// `max_body_bytes` bounds every request body (larger ones get 413).
    /// No simulated latency: see [`Application::bind_with`].
    pub fn bind(
        host: &str,
        port: u16,
        max_body_bytes: usize,
        configure: impl Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
    ) -> anyhow::Result<Self> {
        Self::bind_with(host, port, max_body_bytes, Duration::ZERO, configure)
    }

    /// [`Application::bind`], with `simulated_latency`
    /// (`SIMULATED_LATENCY_MS`, `Common::simulated_latency`) waited before
    /// every request but `/health/*`.
    pub fn bind_with(
        host: &str,
        port: u16,
        max_body_bytes: usize,
        simulated_latency: Duration,
        configure: impl Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind((host, port))?;
        let port = listener.local_addr()?.port();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::PayloadConfig::default().limit(max_body_bytes))
                .app_data(web::JsonConfig::default().limit(max_body_bytes).error_handler(|e, _| {
                    let status = match e {
                        actix_web::error::JsonPayloadError::Overflow { .. }
                        | actix_web::error::JsonPayloadError::OverflowKnownLength { .. } => {
                            StatusCode::PAYLOAD_TOO_LARGE
                        }
                        actix_web::error::JsonPayloadError::ContentType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        _ => StatusCode::BAD_REQUEST,
                    };
                    let body = error_body(status, &e.to_string());
                    InternalError::from_response(e, HttpResponse::build(status).json(body)).into()
                }))
                .app_data(web::QueryConfig::default().error_handler(|e, _| {
                    let body = error_body(StatusCode::BAD_REQUEST, &e.to_string());
                    InternalError::from_response(e, HttpResponse::BadRequest().json(body)).into()
                }))
                .service(web::resource("/health/live").route(web::get().to(health::live)))
                .configure(configure.clone())
                .default_service(web::to(|| async {
                    HttpResponse::NotFound()
                        .json(error_body(StatusCode::NOT_FOUND, "the requested URL was not found on the server"))
                }))
                .wrap(ErrorHandlers::new().default_handler(json_errors))
                .wrap(from_fn(move |req, next| latency::delay(simulated_latency, req, next)))
                .wrap(DefaultHeaders::new().add(("X-Content-Type-Options", "nosniff")))
                .wrap(Logger::new(request_id::LOG_FORMAT))
                .wrap(from_fn(request_id::middleware))
        })
        .listen(listener)?
        .run();
        Ok(Self { host: host.to_owned(), port, server })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `host:port` as bound.
    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// Serves until the process is stopped (Ctrl-C stops it gracefully).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A method a path does not take is a 405 naming the ones it takes,
    /// and an unknown path is still a 404 (schemathesis found TRACE
    /// answered 404 everywhere).
    #[actix_web::test]
    async fn a_wrong_method_is_a_405_with_allow() {
        let app = Application::bind("127.0.0.1", 0, 1024, |cfg| {
            cfg.service(web::resource("/thing").route(web::get().to(HttpResponse::Ok)));
        })
        .unwrap();
        let base = format!("http://{}", app.address());
        actix_web::rt::spawn(app.run_until_stopped());
        let client = awc::Client::default();
        for path in ["/health/live", "/thing"] {
            let method = actix_web::http::Method::from_bytes(b"TRACE").unwrap();
            let response = client.request(method, format!("{base}{path}")).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{path}");
            assert_eq!(response.headers().get("allow").unwrap(), "GET", "{path}");
        }
        let response = client.get(format!("{base}/nothing")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }

    /// `SIMULATED_LATENCY_MS` of 150 ms: a route answers in 150 ms or
    /// more, `/health/live` at once, and an unknown URL (the default
    /// service) waits too.
    #[actix_web::test]
    async fn a_simulated_latency_delays_all_but_the_probes() {
        let latency = Duration::from_millis(150);
        let app = Application::bind_with("127.0.0.1", 0, 1024, latency, |cfg| {
            cfg.service(web::resource("/thing").route(web::get().to(HttpResponse::Ok)));
        })
        .unwrap();
        let base = format!("http://{}", app.address());
        actix_web::rt::spawn(app.run_until_stopped());
        let client = awc::Client::default();
        // A first request opens the connection, so that the timed ones
        // measure the server only.
        client.get(format!("{base}/health/live")).send().await.unwrap();
        for (path, status) in [("/thing", StatusCode::OK), ("/nothing", StatusCode::NOT_FOUND)] {
            let start = std::time::Instant::now();
            let response = client.get(format!("{base}{path}")).send().await.unwrap();
            assert_eq!(response.status(), status, "{path}");
            assert!(start.elapsed() >= latency, "{path}: {:?}", start.elapsed());
        }
        let start = std::time::Instant::now();
        let response = client.get(format!("{base}/health/live")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(start.elapsed() < Duration::from_millis(100), "{:?}", start.elapsed());
    }
}
