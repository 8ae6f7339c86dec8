//! Bad ids, the probes, the databases touched, and the OpenAPI document.

use std::time::Duration;

use crate::helpers::{post, spawn_app, spawn_app_with};

#[actix_web::test]
async fn bad_ids_and_names_are_400s() {
    let app = spawn_app().await;
    let p = post(1);
    let long = "a".repeat(33);
    for path in [
        "/v1/likes/123/alice".to_owned(),
        format!("/v1/likes/{}g/alice", &p[..23]),
        format!("/v1/likes/{p}/a%20b"),
        format!("/v1/likes/{p}/{long}"),
        format!("/v1/likes/{p}/%3Cb%3E"),
    ] {
        app.api.request("PUT", &path, &[], None).await.assert_error(400, "invalid");
        app.api.request("DELETE", &path, &[], None).await.assert_error(400, "invalid");
    }
    app.api.get("/v1/likes/xyz").await.assert_error(400, "24 hex digits");
    app.api.get("/v1/likes").await.assert_error(400, "post_ids");
    app.api.get("/v1/likes?post_ids=").await.assert_error(400, "post_ids");
    app.api.get(&format!("/v1/likes?post_ids={p},nope")).await.assert_error(400, "24 hex digits");
    app.api.get(&format!("/v1/likes?post_ids={p}&user=a%20b")).await.assert_error(400, "invalid user");
    let many: Vec<String> = (0..101).map(post).collect();
    app.api.get(&format!("/v1/likes?post_ids={}", many.join(","))).await.assert_error(400, "at most 100");
    app.api.get(&format!("/v1/likes?post_ids={}", many[..100].join(","))).await.assert_status(200);
    app.api.get("/v1/liked/a%20b").await.assert_error(400, "invalid user");
    // Unknown paths and wrong methods are JSON errors too.
    app.api.get("/v1/likes/a/b/c").await.assert_error(404, "not found");
    app.api.request("POST", &format!("/v1/likes/{p}/alice"), &[], None).await.assert_status(405);
    // A bad Idempotency-Key is a 400 and nothing is liked.
    app.api
        .request("PUT", &format!("/v1/likes/{p}/alice"), &[("Idempotency-Key", "a b")], None)
        .await
        .assert_error(400, "Idempotency-Key");
    assert_eq!(app.count(&p).await, 0);
    // Upper-case hex is the same post.
    let hex = post(0xabcdef);
    app.like(&hex.to_uppercase(), "alice").await.assert_status(201);
    assert_eq!(app.count(&hex).await, 1);
}

#[actix_web::test]
async fn only_its_own_database_is_touched() {
    let app = spawn_app().await;
    let p = post(1);
    app.like(&p, "alice").await;
    app.api.get(&format!("/v1/likes?post_ids={p}&user=alice")).await.assert_status(200);
    app.api.request("PUT", &format!("/v1/likes/{p}/bob"), &[("Idempotency-Key", "k")], None).await.assert_status(201);
    app.api.post("/v1/reconcile", &serde_json::json!({})).await.assert_status(200);
    app.unlike(&p, "alice").await;
    let ready = app.api.get("/health/ready").await;
    ready.assert_status(200);
    assert_eq!(ready.body["checks"]["database"]["status"], "up");
    assert_eq!(ready.body["databases"], serde_json::json!([app.db_name]));
    app.api.get("/health/live").await.assert_status(200);
}

#[actix_web::test]
async fn the_openapi_document_covers_every_endpoint() {
    let app = spawn_app().await;
    let doc = app.api.get("/openapi.json").await;
    doc.assert_status(200);
    for (path, method) in [
        ("/v1/likes/{post_id}/{user}", "put"),
        ("/v1/likes/{post_id}/{user}", "delete"),
        ("/v1/likes/{post_id}", "get"),
        ("/v1/likes", "get"),
        ("/v1/liked/{user}", "get"),
        ("/v1/reconcile", "post"),
        ("/health/live", "get"),
        ("/health/ready", "get"),
    ] {
        assert!(doc.body["paths"][path][method].is_object(), "{method} {path} missing");
    }
}

#[actix_web::test]
async fn without_its_database_the_service_starts_and_answers_503() {
    let app = spawn_app_with(|s| {
        s.common.mongodb_uri = "mongodb://127.0.0.1:1/?directConnection=true".into();
        s.common.db_timeout = Duration::from_millis(300);
    })
    .await;
    let p = post(1);
    app.like(&p, "alice").await.assert_error(503, "unavailable");
    app.api.get(&format!("/v1/likes/{p}")).await.assert_error(503, "unavailable");
    app.api.request("PUT", &format!("/v1/likes/{p}/alice"), &[("Idempotency-Key", "k")], None).await.assert_status(503);
    app.api.get("/health/ready").await.assert_status(503);
    app.api.get("/health/live").await.assert_status(200);
}
