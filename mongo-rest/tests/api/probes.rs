//! The probes (`/health/live`, `/health/ready`) and request ids.

use std::time::{Duration, Instant};

use crate::helpers::{spawn_api, spawn_api_with};

#[actix_web::test]
async fn the_probes_answer() {
    let api = spawn_api().await;
    let live = api.get("/health/live").await;
    live.assert_status(200);
    assert_eq!(live.body["status"], "live");
    let ready = api.get("/health/ready").await;
    ready.assert_status(200);
    assert_eq!(ready.body["checks"]["database"], "up");
}

#[actix_web::test]
async fn a_sane_request_id_is_echoed_and_a_bad_one_replaced() {
    let api = spawn_api().await;
    let kept = api.request("GET", "/health/live", &[("x-request-id", "page-42:web")], None).await;
    assert_eq!(kept.header("x-request-id"), Some("page-42:web"));
    let replaced = api.request("GET", "/health/live", &[("x-request-id", "bad id with spaces")], None).await;
    let id = replaced.header("x-request-id").expect("an id is made");
    assert_ne!(id, "bad id with spaces");
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let made = api.get("/posts").await;
    assert!(made.header("x-request-id").is_some_and(mongo_rest::request_id::is_sane));
}

/// `SIMULATED_LATENCY_MS`: a resource answers after the delay, the probes
/// at once; without the setting nothing waits.
#[actix_web::test]
async fn a_simulated_latency_delays_all_but_the_probes() {
    let latency = Duration::from_millis(150);
    let api = spawn_api_with(|s| s.simulated_latency = latency).await;
    let start = Instant::now();
    api.get("/posts").await.assert_status(200);
    assert!(start.elapsed() >= latency, "{:?}", start.elapsed());
    let start = Instant::now();
    api.get("/health/live").await.assert_status(200);
    assert!(start.elapsed() < Duration::from_millis(100), "{:?}", start.elapsed());

    let api = spawn_api().await;
    api.get("/posts").await.assert_status(200);
    let start = Instant::now();
    api.get("/posts").await.assert_status(200);
    assert!(start.elapsed() < latency, "off by default: {:?}", start.elapsed());
}
