//! Bad input, readiness, request ids, the OpenAPI document, the simulated
//! latency, and a database that is down.

use std::time::{Duration, Instant};

use crate::helpers::{post, spawn_app, spawn_app_with};

#[actix_web::test]
async fn bad_users_and_post_ids_get_400_in_the_envelope() {
    let app = spawn_app().await;
    let long = "a".repeat(33);
    for (user, id, text) in [
        ("ann", "123", "post_id"),
        ("ann", "zzzzzzzzzzzzzzzzzzzzzzzz", "post_id"),
        (long.as_str(), &post(1), "user"),
        ("a%20b", &post(1), "user"),
        ("a.b", &post(1), "user"),
    ] {
        app.hide(user, id).await.assert_error(400, text);
        app.unhide(user, id).await.assert_error(400, text);
    }
    app.api.get(&format!("/v1/hidden/{long}")).await.assert_error(400, "user");
    app.api.get("/v1/hidden/a%2Fb").await.assert_error(400, "user");
    // 32 characters, letters of any script, - and _ are fine.
    app.hide(&"a".repeat(32), &post(1)).await.assert_status(201);
    app.hide("Zo%C3%AB_x-1", &post(1)).await.assert_status(201);
    let list = app.api.get("/v1/hidden/Zo%C3%AB_x-1").await;
    list.assert_status(200);
    assert_eq!(list.body["user"], "Zoë_x-1");
    assert_eq!(list.body["post_ids"], serde_json::json!([post(1)]));
}

#[actix_web::test]
async fn unknown_urls_and_wrong_methods_are_json_errors() {
    let app = spawn_app().await;
    app.api.get("/v2/hidden/ann").await.assert_error(404, "not found");
    let wrong = app.api.request("POST", &format!("/v1/hidden/ann/{}", post(1)), &[], None).await;
    assert_eq!(wrong.status, 405);
    assert_eq!(wrong.body["_status"], "ERR");
}

#[actix_web::test]
async fn ready_lists_only_its_own_database() {
    let app = spawn_app().await;
    app.hide("ann", &post(1)).await.assert_status(201);
    let ready = app.api.get("/health/ready").await;
    ready.assert_status(200);
    assert_eq!(ready.body["status"], "ready");
    assert_eq!(ready.body["checks"]["database"]["status"], "up");
    assert_eq!(ready.body["databases"], serde_json::json!([app.db_name]));
    app.api.get("/health/live").await.assert_status(200);
}

#[actix_web::test]
async fn the_request_id_is_echoed() {
    let app = spawn_app().await;
    let response = app.api.request("GET", "/v1/hidden/ann", &[("X-Request-Id", "hide-test-42")], None).await;
    response.assert_status(200);
    assert_eq!(response.header("x-request-id"), Some("hide-test-42"));
    let error = app.api.request("GET", "/v1/hidden/a.b", &[("X-Request-Id", "hide-test-43")], None).await;
    assert_eq!(error.header("x-request-id"), Some("hide-test-43"));
}

#[actix_web::test]
async fn the_openapi_document_covers_every_endpoint() {
    let app = spawn_app().await;
    let doc = app.api.get("/openapi.json").await;
    doc.assert_status(200);
    for (path, method) in [
        ("/v1/hidden/{user}/{post_id}", "put"),
        ("/v1/hidden/{user}/{post_id}", "delete"),
        ("/v1/hidden/{user}", "get"),
        ("/health/live", "get"),
        ("/health/ready", "get"),
    ] {
        assert!(doc.body["paths"][path][method].is_object(), "{method} {path} missing");
    }
    for status in ["200", "201", "400", "422"] {
        assert!(doc.body["paths"]["/v1/hidden/{user}/{post_id}"]["put"]["responses"][status].is_object(), "{status}");
    }
    for schema in ["HiddenList", "HiddenPost", "ErrorBody"] {
        assert!(doc.body["components"]["schemas"][schema].is_object(), "schema {schema} missing");
    }
}

#[actix_web::test]
async fn a_simulated_latency_delays_the_verbs_not_the_probes() {
    let latency = Duration::from_millis(150);
    let app = spawn_app_with(|s| s.common.simulated_latency = latency).await;
    app.api.get("/health/live").await.assert_status(200);
    let start = Instant::now();
    app.api.get("/v1/hidden/ann").await.assert_status(200);
    assert!(start.elapsed() >= latency, "{:?}", start.elapsed());
    let start = Instant::now();
    app.api.get("/health/live").await.assert_status(200);
    assert!(start.elapsed() < Duration::from_millis(100), "{:?}", start.elapsed());
}

#[actix_web::test]
async fn without_its_database_the_service_starts_and_answers_503() {
    let app = spawn_app_with(|s| {
        s.common.mongodb_uri = "mongodb://127.0.0.1:1/?directConnection=true".into();
        s.common.db_timeout = Duration::from_millis(300);
    })
    .await;
    let hide = app.hide("ann", &post(1)).await;
    hide.assert_error(503, "unavailable");
    assert_eq!(hide.header("retry-after"), Some("5"));
    app.api.get("/v1/hidden/ann").await.assert_error(503, "unavailable");
    app.api.get("/health/ready").await.assert_status(503);
    app.api.get("/health/live").await.assert_status(200);
}
