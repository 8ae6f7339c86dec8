//! What step 9 adds to the pages: several instances, dead and slow
//! services, `Server-Timing`, the footer line, and request ids followed
//! into the services.

use std::time::{Duration, Instant};

use crate::helpers::{dead_url, post, spawn, spawn_app, spawn_app_with, Mode, TEST_SERVICE_TIMEOUT};

#[actix_web::test]
async fn a_login_on_one_instance_is_valid_on_another() {
    let app = spawn_app().await;
    let second = app.another_instance().await;
    app.login("olga", false).await.assert_status(303);
    let page = app.get_at(&second, "/", &[]).await;
    page.assert_status(200).assert_contains(r#"<a href="/me">olga</a>"#);
    app.get_at(&second, "/me", &[]).await.assert_status(200).assert_contains("olga");
}

#[actix_web::test]
async fn search_calls_go_round_robin_across_the_instances() {
    let app = spawn(2, |_| {}).await;
    app.seed(vec![post("Round robin in Python", 10, 10, 0, 0)]).await;
    for _ in 0..4 {
        app.get("/search_results/robin").await.assert_status(200).assert_contains("Round robin in Python");
    }
    assert_eq!((app.searches[0].calls(), app.searches[1].calls()), (2, 2));
}

#[actix_web::test]
async fn a_dead_search_instance_is_skipped() {
    let app = spawn_app_with(|s| s.search_url.insert(0, dead_url())).await;
    app.seed(vec![post("Surviving instances", 10, 10, 0, 0)]).await;
    for _ in 0..4 {
        app.get("/search_results/surviving").await.assert_status(200).assert_contains("Surviving instances");
    }
    assert_eq!(app.searches[0].calls(), 4);
}

#[actix_web::test]
async fn a_stopped_search_instance_is_skipped() {
    let app = spawn(2, |_| {}).await;
    app.seed(vec![post("Surviving instances", 10, 10, 0, 0)]).await;
    app.searches[1].stop().await;
    for _ in 0..3 {
        app.get("/search_results/surviving").await.assert_status(200).assert_contains("Surviving instances");
    }
}

#[actix_web::test]
async fn without_search_the_search_page_says_so_with_a_503() {
    let app = spawn_app_with(|s| s.search_url = vec![dead_url()]).await;
    let page = app.get("/search_results/python").await;
    page.assert_status(503).assert_contains("Search is unavailable right now");
    assert_eq!(page.header("content-type"), "text/html; charset=utf-8");
    // The other pages do not need search.
    app.get("/").await.assert_status(200);
    // A search that answers 503 itself is the same page.
    let app = spawn_app().await;
    app.searches[0].set_mode(Mode::Unavailable);
    app.get("/search_results/python").await.assert_status(503).assert_contains("Search is unavailable");
}

#[actix_web::test]
async fn a_slow_search_gives_up_after_the_timeout() {
    let app = spawn_app().await;
    app.seed(vec![post("Slow bodies", 10, 10, 0, 0)]).await;
    app.searches[0].set_mode(Mode::SlowBody);
    let started = Instant::now();
    let page = app.get("/search_results/slow").await;
    let took = started.elapsed();
    assert!([503, 504].contains(&page.status), "{}", page.status);
    page.assert_contains("Search is unavailable");
    // One timeout (after a timeout, a read is tried once more only on
    // another instance).
    assert!(took >= TEST_SERVICE_TIMEOUT && took < TEST_SERVICE_TIMEOUT + Duration::from_millis(800), "{took:?}");
}

#[actix_web::test]
async fn without_recommend_the_home_page_has_a_notice() {
    let app = spawn_app_with(|s| s.recommend_url = vec![dead_url()]).await;
    app.seed(vec![post("Loved by all", 300, 310, 10, 5)]).await;
    for path in ["/", "/recommended/"] {
        let page = app.get(path).await;
        page.assert_status(200).assert_contains("Recommendations are unavailable right now.");
        assert!(!page.body.contains("Loved by all"));
    }
    app.get("/").await.assert_contains("Let's search on Reddit");
}

#[actix_web::test]
async fn without_tags_the_post_page_hides_the_tag_forms() {
    let app = spawn_app_with(|s| s.tags_url = vec![dead_url()]).await;
    let ids = app.seed(vec![post("Tagless for a while", 10, 10, 0, 0)]).await;
    let path = format!("/posts/{}", ids[0].to_hex());
    app.login("pat", false).await;
    let page = app.get(&path).await;
    page.assert_status(200).assert_contains("Tagless for a while").assert_contains("Tags are unavailable right now");
    assert!(!page.body.contains(r#"name="tag""#), "the tag form is hidden");
    // Tagging answers with a message, not a 5xx.
    let token = app.get("/login").await.csrf_token();
    let tagged = app.post_form(&format!("{path}/tags"), &[("csrf_token", &token), ("tag", "x")]).await;
    tagged.assert_status(303);
    app.get(&path).await.assert_status(200).assert_contains("Tagging is unavailable right now");
    // The home page and /me still work.
    app.get("/").await.assert_status(200).assert_contains("Tags are unavailable");
    app.get("/me").await.assert_status(200).assert_contains("Tags are unavailable");
}

#[actix_web::test]
async fn without_posts_a_post_page_is_a_503() {
    let app = spawn_app_with(|s| s.posts_url = vec![dead_url()]).await;
    let page = app.get("/posts/6b06fd377d780e43480f7f92").await;
    page.assert_status(503).assert_contains("The posts service is unavailable right now");
}

/// The `Server-Timing` entries' names, in order.
fn timing_names(value: &str) -> Vec<String> {
    value.split(", ").map(|entry| entry.split(';').next().unwrap_or_default().to_owned()).collect()
}

#[actix_web::test]
async fn every_page_says_where_its_time_went() {
    let app = spawn_app().await;
    app.seed(vec![post("Timed post", 300, 310, 10, 5)]).await;
    app.login("quinn", false).await;
    let home = app.get("/").await;
    home.assert_status(200);
    let value = home.header("server-timing");
    // Three rounds (each round's calls end in any order): the topics from
    // tags and the hidden posts; the recommendations; the counts. Then
    // the render, and the whole request.
    let names = timing_names(value);
    assert_eq!(names.len(), 7, "{value}");
    let sorted = |mut round: Vec<String>| {
        round.sort();
        round
    };
    assert_eq!(sorted(names[0..2].to_vec()), ["hide", "tags"], "{value}");
    assert_eq!(names[2], "recommend", "{value}");
    assert_eq!(sorted(names[3..5].to_vec()), ["likes", "shares"], "{value}");
    assert_eq!(names[5..], ["render", "total"], "{value}");
    assert!(value.split(", ").all(|e| e.contains(";dur=")), "{value}");
    home.assert_contains("5 service calls, slowest: ");

    let search = app.get("/search_results/timed").await;
    let names = timing_names(search.header("server-timing"));
    assert_eq!(names[0..2].iter().collect::<std::collections::BTreeSet<_>>().len(), 2);
    assert!(names[0..2].contains(&"search".to_owned()) && names[0..2].contains(&"hide".to_owned()), "{names:?}");
    assert_eq!(sorted(names[2..4].to_vec()), ["likes", "shares"]);
    search.assert_contains("4 service calls, slowest: ");
    // Error pages too: the post page asks for everything in one round.
    let missing = app.get("/posts/6b06fd377d780e43480f7f92").await;
    missing.assert_status(404);
    let names = timing_names(missing.header("server-timing"));
    assert_eq!(sorted(names[..names.len() - 2].to_vec()), ["hide", "likes", "posts", "shares", "tags"]);
    assert_eq!(names[names.len() - 2..], ["render", "total"]);
    let login = app.get("/login").await;
    assert_eq!(timing_names(login.header("server-timing")), ["render", "total"]);
    login.assert_contains("No service calls");
}

#[actix_web::test]
async fn the_request_id_reaches_the_services_and_comes_back() {
    let app = spawn_app().await;
    let page = app.get_at(&app.address, "/search_results/python", &[("x-request-id", "trace-me-42")]).await;
    page.assert_status(200);
    assert_eq!(page.header("x-request-id"), "trace-me-42");
    assert_eq!(app.searches[0].request_ids(), ["trace-me-42"]);
    // Without one, the web front makes one, sends it and echoes it.
    let page = app.get("/").await;
    let id = page.header("x-request-id").to_owned();
    assert!(!id.is_empty());
    assert_eq!(app.recommend.request_ids(), [id]);
}
