//! Bad input, the posts service down, the probes, the databases touched,
//! and the OpenAPI document.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{closed_port, spawn_app, spawn_app_with, spawn_posts};

#[actix_web::test]
async fn bad_bodies_and_ids_are_4xx() {
    let app = spawn_app().await;
    let post = app.seed_post("Fine").await;
    for (body, text) in [
        (json!({ "post_id": "123", "user": "alice" }), "24 hex digits"),
        (json!({ "post_id": post, "user": "a b" }), "invalid user"),
        (json!({ "post_id": post, "user": "a".repeat(33) }), "invalid user"),
        (json!({ "post_id": post }), "user"),
        (json!({ "post_id": post, "user": "alice", "extra": 1 }), "extra"),
        (json!([1, 2]), ""),
    ] {
        app.api.post("/v1/shares", &body).await.assert_error(400, text);
    }
    let not_json = app.api.raw("POST", "/v1/shares", "application/json", b"{nope".to_vec()).await;
    assert_eq!(not_json.status, 400);
    let text = app.api.raw("POST", "/v1/shares", "text/plain", b"x".to_vec()).await;
    assert_eq!(text.status, 415);
    let big = app.api.raw("POST", "/v1/shares", "application/json", vec![b' '; 20 * 1024]).await;
    assert_eq!(big.status, 413);
    app.api.get("/v1/shares/xyz").await.assert_error(400, "24 hex digits");
    app.api.get("/v1/shares").await.assert_error(400, "post_ids");
    let many: Vec<String> = (0..101).map(|n| format!("{n:024x}")).collect();
    app.api.get(&format!("/v1/shares?post_ids={}", many.join(","))).await.assert_error(400, "at most 100");
    app.api.request("DELETE", "/v1/shares", &[], None).await.assert_status(405);
    let bad_key = [("Idempotency-Key", "a b")];
    let body = json!({ "post_id": post, "user": "alice" });
    app.api.request("POST", "/v1/shares", &bad_key, Some(&body)).await.assert_error(400, "Idempotency-Key");
    assert_eq!(app.counts(&post).await, (0, 0));
}

#[actix_web::test]
async fn posts_down_is_a_503() {
    let posts = spawn_posts().await;
    let app = spawn_app_with(posts, |s| s.posts = vec![closed_port()]).await;
    let post = "5160a0b1e0d1e01c3f000001";
    let down = app.share(post, "alice").await;
    down.assert_error(503, "posts service is unavailable");
    assert!(down.header("retry-after").is_some());
    assert_eq!(app.counts(post).await, (0, 0));
}

#[actix_web::test]
async fn only_its_own_database_is_touched() {
    let app = spawn_app().await;
    let post = app.seed_post("Mine").await;
    let code = app.share(&post, "alice").await.body["code"].as_str().unwrap().to_owned();
    app.visit(&code).await.assert_status(200);
    let body = json!({ "post_id": post, "user": "bob" });
    app.api.request("POST", "/v1/shares", &[("Idempotency-Key", "k")], Some(&body)).await.assert_status(201);
    app.api.get(&format!("/v1/shares?post_ids={post}")).await.assert_status(200);
    app.api.post("/v1/reconcile", &json!({})).await.assert_status(200);
    let ready = app.api.get("/health/ready").await;
    ready.assert_status(200);
    assert_eq!(ready.body["databases"], json!([app.db_name]));
    app.api.get("/health/live").await.assert_status(200);
}

#[actix_web::test]
async fn the_openapi_document_covers_every_endpoint() {
    let app = spawn_app().await;
    let doc = app.api.get("/openapi.json").await;
    doc.assert_status(200);
    for (path, method) in [
        ("/v1/shares", "post"),
        ("/v1/shares", "get"),
        ("/v1/shares/visits/{code}", "post"),
        ("/v1/shares/{post_id}", "get"),
        ("/v1/reconcile", "post"),
        ("/health/live", "get"),
        ("/health/ready", "get"),
    ] {
        assert!(doc.body["paths"][path][method].is_object(), "{method} {path} missing");
    }
}

#[actix_web::test]
async fn without_its_database_the_service_starts_and_answers_503() {
    let posts = spawn_posts().await;
    let app = spawn_app_with(posts, |s| {
        s.common.mongodb_uri = "mongodb://127.0.0.1:1/?directConnection=true".into();
        s.common.db_timeout = Duration::from_millis(300);
    })
    .await;
    app.share("5160a0b1e0d1e01c3f000001", "alice").await.assert_error(503, "unavailable");
    app.visit("abcdefgh").await.assert_error(503, "unavailable");
    app.api.get("/health/ready").await.assert_status(503);
    app.api.get("/health/live").await.assert_status(200);
}
