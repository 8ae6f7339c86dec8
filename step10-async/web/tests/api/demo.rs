//! The blocking vs async demo: on one worker, four waits of 300 ms at
//! once take about 300 ms when awaited and at least 4 × 300 ms when they
//! block the thread. Behaviour, not a benchmark: the margins are wide.

use std::time::{Duration, Instant};

use futures::future::join_all;

use crate::helpers::spawn_app_with;

const WAIT_MS: u64 = 300;
const AT_ONCE: u32 = 4;

/// The time four concurrent `GET path` take, and their statuses and bodies.
async fn four_at_once(app: &crate::helpers::TestApp, path: &str) -> (Duration, Vec<(u16, String)>) {
    let start = Instant::now();
    let pages = join_all((0..AT_ONCE).map(|_| app.get(path))).await;
    (start.elapsed(), pages.into_iter().map(|p| (p.status, p.body)).collect())
}

#[actix_web::test]
async fn on_one_worker_awaits_overlap_and_blocking_sleeps_queue() {
    let app = spawn_app_with(|s| s.workers = Some(1)).await;
    // Open the connections first, so that only the waits are timed.
    four_at_once(&app, "/demo/async?ms=0").await;
    let wait = Duration::from_millis(WAIT_MS);

    let (elapsed, pages) = four_at_once(&app, &format!("/demo/async?ms={WAIT_MS}")).await;
    for (status, body) in &pages {
        assert_eq!(*status, 200);
        assert!(body.contains("without blocking"), "{body}");
    }
    assert!(elapsed >= wait, "{elapsed:?}");
    assert!(elapsed < wait * AT_ONCE / 2, "four awaits on one worker overlap: {elapsed:?}");

    let (elapsed, pages) = four_at_once(&app, &format!("/demo/blocking?ms={WAIT_MS}")).await;
    for (status, body) in &pages {
        assert_eq!(*status, 200);
        assert!(body.contains("blocked"), "{body}");
    }
    assert!(elapsed >= wait * AT_ONCE, "four blocking sleeps on one worker run one after another: {elapsed:?}");
}

#[actix_web::test]
async fn a_bad_wait_is_a_400_page_and_the_answer_is_plain_text() {
    let app = spawn_app_with(|_| {}).await;
    for path in ["/demo/async", "/demo/blocking", "/demo/async?ms=10001", "/demo/blocking?ms=-1", "/demo/async?ms=x"] {
        let page = app.get(path).await;
        assert_eq!(page.status, 400, "{path}: {}", page.body);
        assert!(page.body.contains("ms must be a whole number"), "{path}: {}", page.body);
    }
    let page = app.get("/demo/blocking?ms=0").await;
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").starts_with("text/plain"), "{}", page.header("content-type"));
    assert_eq!(page.body, "blocked this worker's thread for 0 ms\n");
}

#[actix_web::test]
async fn a_simulated_latency_delays_pages_not_probes() {
    let latency = Duration::from_millis(150);
    let app = spawn_app_with(|s| s.simulated_latency = latency).await;
    app.get("/health/live").await;
    let start = Instant::now();
    assert_eq!(app.get("/demo/async?ms=0").await.status, 200);
    assert!(start.elapsed() >= latency, "{:?}", start.elapsed());
    let start = Instant::now();
    assert_eq!(app.get("/health/live").await.status, 200);
    assert!(start.elapsed() < Duration::from_millis(100), "{:?}", start.elapsed());
}
