//! Step 10's "waiting": a page calls its services concurrently, round by
//! round, each call under its own timeout with a fallback, the whole page
//! under a deadline; a dead likes, shares or hide degrades a page with a
//! notice, never a 500.

use std::time::{Duration, Instant};

use step10_web::fanout::Fanout;

use crate::helpers::{dead_url, post, spawn_app, spawn_app_with, Mode, Page, TestApp};

/// The `(name, milliseconds)` of each `Server-Timing` entry.
fn timings(page: &Page) -> Vec<(String, f64)> {
    page.header("server-timing")
        .split(", ")
        .map(|entry| {
            let name = entry.split(';').next().unwrap_or_default().to_owned();
            let dur = entry.split("dur=").nth(1).and_then(|d| d.parse().ok()).unwrap_or_default();
            (name, dur)
        })
        .collect()
}

/// Seeds `n` recommendable posts and logs `user` in with one tag (so that
/// the home page asks tags for topics and recommend for them).
async fn logged_in_with_posts(app: &TestApp, n: i64, user: &str) -> Vec<String> {
    let posts = (0..n).map(|i| post(&format!("Asyncio post {i}"), 100 + i, 200, 100 - i, i)).collect();
    let ids = app.seed(posts).await;
    app.login(user, false).await.assert_status(303);
    let path = format!("/posts/{}", ids[0].to_hex());
    let token = app.get(&path).await.csrf_token();
    app.post_form(&format!("{path}/tags"), &[("csrf_token", &token), ("tag", "asyncio")]).await.assert_status(303);
    ids.iter().map(|id| id.to_hex()).collect()
}

/// The fastest of `runs` views of `path`, and the page of the last one.
async fn fastest(app: &TestApp, path: &str, runs: usize) -> (Duration, Page) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let started = Instant::now();
        let page = app.get(path).await;
        best = best.min(started.elapsed());
        page.assert_status(200);
        last = Some(page);
    }
    (best, last.expect("at least one run"))
}

// ANCHOR: fan_out_test
#[actix_web::test]
async fn the_logged_in_home_page_waits_for_each_round_not_for_each_call() {
    let app = spawn_app().await;
    logged_in_with_posts(&app, 12, "ines").await;
    fastest(&app, "/", 2).await; // warm the connections
    let (without_latency, _) = fastest(&app, "/", 3).await;

    let slowed = [&app.tags_proxy, &app.hide, &app.recommend, &app.likes, &app.shares];
    for stand_in in slowed {
        stand_in.set_latency(Duration::from_millis(100));
    }
    let waited_before: Duration = slowed.iter().map(|s| s.waited()).sum();
    let runs = 3;
    let (with_latency, page) = fastest(&app, "/", runs).await;
    let waited: Duration = slowed.iter().map(|s| s.waited()).sum::<Duration>() - waited_before;
    let sequential = waited / runs as u32;

    page.assert_contains("Recommended for your topics");
    assert_eq!(page.body.matches("class=\"tile w").count(), 12);
    page.assert_contains("0 likes");
    // One after another, the same calls would take the sum of their
    // latencies: tags, hide, recommend, likes and shares (one call each:
    // likes and shares count the 12 posts in one call).
    assert_eq!(sequential, Duration::from_millis(100 * 5), "one after another");
    // Concurrently: three rounds of 100 ms.
    assert!(with_latency >= Duration::from_millis(300), "three dependent rounds: {with_latency:?}");
    assert!(
        with_latency < without_latency + Duration::from_millis(350),
        "{with_latency:?} with latency, {without_latency:?} without"
    );
    // Server-Timing shows it: the calls overlap, adding up to more than
    // the whole request (by about two of the three rounds' 100 ms: the
    // first and the last round each hold two calls at once).
    let entries = timings(&page);
    let total = entries.iter().find(|(name, _)| name == "total").expect("a total entry").1;
    let calls: f64 =
        entries.iter().filter(|(name, _)| !["render", "total"].contains(&name.as_str())).map(|e| e.1).sum();
    assert!(calls > total + 150.0, "calls {calls} ms in a {total} ms request: {entries:?}");
    for name in ["tags", "hide", "recommend", "likes", "shares"] {
        assert!(entries.iter().any(|(n, _)| n == name), "{name} in {entries:?}");
    }
}
// ANCHOR_END: fan_out_test

/// The fastest of three logged-in home page views of `app` with 100 ms on
/// tags, hide, recommend, likes and shares.
async fn home_with_latency(app: &TestApp, user: &str) -> Duration {
    logged_in_with_posts(app, 12, user).await;
    fastest(app, "/", 2).await; // warm the connections
    for stand_in in [&app.tags_proxy, &app.hide, &app.recommend, &app.likes, &app.shares] {
        stand_in.set_latency(Duration::from_millis(100));
    }
    let (took, page) = fastest(app, "/", 3).await;
    assert_eq!(page.body.matches("class=\"tile w").count(), 12);
    page.assert_contains("0 likes").assert_contains("0 shares");
    took
}

#[actix_web::test]
async fn fanout_sequential_waits_for_every_call_one_after_another() {
    let concurrent = spawn_app().await;
    let sequential = spawn_app_with(|s| s.fanout = Fanout::Sequential).await;
    let concurrent = home_with_latency(&concurrent, "olga").await;
    let sequential = home_with_latency(&sequential, "olga").await;
    // Concurrently: three rounds of 100 ms. One after another: tags, hide,
    // recommend, likes, then shares, 5 calls of 100 ms: two rounds longer.
    assert!(concurrent < Duration::from_millis(700), "concurrent: {concurrent:?}");
    assert!(sequential >= Duration::from_millis(500), "sequential: {sequential:?}");
    assert!(sequential > concurrent + Duration::from_millis(100), "{sequential:?} against {concurrent:?}");
}

#[actix_web::test]
async fn dead_likes_shares_and_hide_degrade_every_page_with_a_notice() {
    let app = spawn_app_with(|s| {
        s.likes_url = vec![dead_url()];
        s.shares_url = vec![dead_url()];
        s.hide_url = vec![dead_url()];
    })
    .await;
    let ids = logged_in_with_posts(&app, 3, "jack").await;
    let post_page = format!("/posts/{}", ids[0]);
    for path in ["/", "/recommended/", "/search_results/asyncio", "/me", post_page.as_str()] {
        let page = app.get(path).await;
        page.assert_status(200)
            .assert_contains("Asyncio post")
            .assert_contains("Like counts are unavailable right now.")
            .assert_contains("Share counts are unavailable right now.")
            .assert_contains("Hiding is unavailable right now: hidden posts may appear.");
        assert!(!page.body.contains("/like\""), "{path}: no like form while likes is down");
        assert!(!page.body.contains("/hide\""), "{path}: no hide form while hide is down");
        assert!(!page.body.contains("/share\""), "{path}: no share form while shares is down");
    }
    // Anonymous pages need no hide.
    app.clear_cookies();
    let page = app.get("/").await;
    page.assert_status(200).assert_contains("Like counts are unavailable");
    assert!(!page.body.contains("Hiding is unavailable"));
}

#[actix_web::test]
async fn a_service_answering_503_degrades_the_page_too() {
    let app = spawn_app().await;
    logged_in_with_posts(&app, 3, "kim").await;
    app.likes.set_mode(Mode::Unavailable);
    let page = app.get("/").await;
    page.assert_status(200).assert_contains("Like counts are unavailable right now.").assert_contains("0 shares");
    assert!(!page.body.contains("Share counts are unavailable"));
    app.likes.set_mode(Mode::Normal);
    app.hide.set_mode(Mode::Unavailable);
    let page = app.get("/search_results/asyncio").await;
    page.assert_status(200).assert_contains("hidden posts may appear").assert_contains("Asyncio post 0");
}

#[actix_web::test]
async fn a_slow_counts_service_is_given_up_after_its_own_timeout() {
    let app = spawn_app_with(|s| s.shares_timeout = Duration::from_millis(200)).await;
    logged_in_with_posts(&app, 3, "lee").await;
    app.shares.set_latency(Duration::from_millis(1_500));
    let started = Instant::now();
    let page = app.get("/").await;
    let took = started.elapsed();
    page.assert_status(200).assert_contains("Share counts are unavailable right now.").assert_contains("0 likes");
    assert!(took < Duration::from_millis(1_200), "shares' 200 ms timeout, not its 1.5 s: {took:?}");
}

#[actix_web::test]
async fn the_page_deadline_bounds_the_whole_page() {
    let app = spawn_app_with(|s| s.page_deadline = Duration::from_millis(300)).await;
    logged_in_with_posts(&app, 3, "max").await;
    // Within its own timeout (1 s in the tests), beyond the page's deadline.
    app.recommend.set_latency(Duration::from_millis(800));
    let started = Instant::now();
    let page = app.get("/").await;
    let took = started.elapsed();
    page.assert_status(200).assert_contains("Recommendations are unavailable right now.");
    assert!(took < Duration::from_millis(700), "the 300 ms deadline, not recommend's 800 ms: {took:?}");
}

#[actix_web::test]
async fn one_home_page_view_sends_its_request_id_to_every_service_it_calls() {
    let app = spawn_app().await;
    logged_in_with_posts(&app, 2, "nora").await;
    let page = app.get_at(&app.address, "/", &[("x-request-id", "home-view-7")]).await;
    page.assert_status(200);
    assert_eq!(page.header("x-request-id"), "home-view-7");
    let all = [&app.tags_proxy, &app.hide, &app.recommend, &app.likes, &app.shares];
    for (name, stand_in) in ["tags", "hide", "recommend", "likes", "shares"].iter().zip(all) {
        let ids = stand_in.request_ids();
        assert!(ids.iter().any(|id| id == "home-view-7"), "{name} got {ids:?}");
    }
    // One call to each: likes and shares count every post shown at once.
    let count = |ids: Vec<String>| ids.iter().filter(|id| *id == "home-view-7").count();
    assert_eq!(count(app.shares.request_ids()), 1);
    assert_eq!(count(app.likes.request_ids()), 1);
    assert_eq!(count(app.hide.request_ids()), 1);
}
