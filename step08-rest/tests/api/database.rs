//! MongoDB going away and coming back.

use std::time::{Duration, Instant};

use crate::helpers::{post, spawn_app_with, DbProxy};

#[actix_web::test]
async fn a_stopped_database_gives_503_pages_and_the_app_recovers() {
    let proxy = DbProxy::start().await;
    let uri = proxy.uri.clone();
    let app = spawn_app_with(|s| {
        s.mongodb_uri = uri;
        s.db_timeout = Duration::from_millis(500);
    })
    .await;
    let ids = app.seed(vec![post("Still here after the outage", 100, 110, 10, 3)]).await;
    app.get("/").await.assert_status(200).assert_contains("Still here after the outage");
    app.login("ivan", false).await.assert_status(303);

    proxy.down();
    for path in
        ["/", "/recommended/", "/search_results/outage", &format!("/posts/{}", ids[0].to_hex()), "/me", "/login"]
    {
        let page = app.get(path).await;
        page.assert_status(503).assert_contains("The database is unavailable right now");
        assert_eq!(page.headers.get("retry-after").unwrap(), "5");
    }
    let token = "any";
    app.post_form("/login", &[("csrf_token", token), ("username", "ivan")]).await.assert_status(503);
    let health: serde_json::Value = serde_json::from_str(&app.get("/health").await.body).unwrap();
    assert_eq!(health["database"], "down");

    proxy.up();
    let started = Instant::now();
    loop {
        let page = app.get("/").await;
        if page.status == 200 {
            page.assert_contains("Still here after the outage");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "no recovery: {}", page.status);
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
    // The session survived the outage.
    app.get("/me").await.assert_status(200).assert_contains("ivan");
}

#[actix_web::test]
async fn the_app_starts_while_the_database_is_down() {
    let proxy = DbProxy::start().await;
    proxy.down();
    let uri = proxy.uri.clone();
    let app = spawn_app_with(|s| {
        s.mongodb_uri = uri;
        s.db_timeout = Duration::from_millis(300);
    })
    .await;
    app.get("/").await.assert_status(503);
    proxy.up();
    let started = Instant::now();
    while app.get("/").await.status != 200 {
        assert!(started.elapsed() < Duration::from_secs(15), "no recovery");
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
}

#[actix_web::test]
async fn pages_say_so_when_the_api_is_down_and_sessions_still_work() {
    // A port that nothing listens on: the API is down.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let app = spawn_app_with(|s| {
        s.api_url = format!("http://127.0.0.1:{port}");
        s.api_timeout = Duration::from_millis(500);
    })
    .await;
    for path in
        ["/", "/recommended/", "/search_results/outage", &format!("/posts/{}", mongodb::bson::oid::ObjectId::new())]
    {
        let page = app.get(path).await;
        page.assert_status(503).assert_contains("The posts service (the REST API) is unavailable right now");
        assert_eq!(page.headers.get("retry-after").unwrap(), "5");
    }
    // Logging in needs only the web front's own database.
    app.login("ivan", false).await.assert_status(303);
    app.get("/me").await.assert_status(503);
    let health: serde_json::Value = serde_json::from_str(&app.get("/health").await.assert_status(200).body).unwrap();
    assert_eq!(health, serde_json::json!({ "status": "ok", "database": "up", "api": "down" }));
}

#[actix_web::test]
async fn a_slow_api_times_out_with_a_504_page() {
    // An API that accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    actix_web::rt::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let app = spawn_app_with(|s| {
        s.api_url = format!("http://127.0.0.1:{port}");
        s.api_timeout = Duration::from_millis(300);
    })
    .await;
    let started = Instant::now();
    app.get("/").await.assert_status(504).assert_contains("unavailable right now");
    assert!(started.elapsed() < Duration::from_secs(5), "the timeout was not applied");
}
