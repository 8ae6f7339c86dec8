//! Bad query strings, readiness, request ids and the OpenAPI document.

use std::time::Duration;

use mongodb::bson::Document;

use crate::helpers::{post, spawn_app, spawn_app_with};

#[actix_web::test]
async fn bad_query_strings_get_400_in_the_envelope() {
    let app = spawn_app().await;
    let long = "a".repeat(201);
    for (path, text) in [
        ("/v1/search".to_owned(), "q"),
        ("/v1/search?q=".to_owned(), "q"),
        (format!("/v1/search?q={long}"), "at most 200"),
        ("/v1/search?q=rust&page=0".to_owned(), "page"),
        ("/v1/search?q=rust&page=501".to_owned(), "page"),
        ("/v1/search?q=rust&page=x".to_owned(), "page"),
        ("/v1/search?q=rust&max_results=0".to_owned(), "max_results"),
        ("/v1/search?q=rust&max_results=51".to_owned(), "max_results"),
    ] {
        let response = app.api.get(&path).await;
        assert_eq!(response.status, 400, "{path}: {:#}", response.body);
        response.assert_error(400, text);
    }
    // 200 characters is still fine.
    app.api.get(&format!("/v1/search?q={}", "a".repeat(200))).await.assert_status(200);
}

#[actix_web::test]
async fn ready_lists_only_its_own_database_and_the_checkpoint() {
    let app = spawn_app().await;
    let before = app.api.get("/health/ready").await;
    before.assert_status(200);
    assert_eq!(before.body["checkpoint"], serde_json::Value::Null);
    app.snapshot(4, vec![post(1, "Scala implicits", 1)]).await;
    app.search("scala", "").await.assert_status(200);
    let ready = app.api.get("/health/ready").await;
    ready.assert_status(200);
    assert_eq!(ready.body["status"], "ready");
    assert_eq!(ready.body["checks"]["database"]["status"], "up");
    assert_eq!(ready.body["databases"], serde_json::json!([app.db_name]));
    assert_eq!(ready.body["checkpoint"], 4);
    app.api.get("/health/live").await.assert_status(200);
}

#[actix_web::test]
async fn the_request_id_is_echoed() {
    let app = spawn_app().await;
    let response = app.api.request("GET", "/v1/search?q=rust", &[("X-Request-Id", "search-test-42")], None).await;
    response.assert_status(200);
    assert_eq!(response.header("x-request-id"), Some("search-test-42"));
    // An error answer carries it too.
    let error = app.api.request("GET", "/v1/search", &[("X-Request-Id", "search-test-43")], None).await;
    assert_eq!(error.header("x-request-id"), Some("search-test-43"));
    // Without one, one is made.
    assert!(app.api.get("/v1/search?q=rust").await.header("x-request-id").is_some_and(|id| !id.is_empty()));
}

#[actix_web::test]
async fn the_openapi_document_covers_every_endpoint() {
    let app = spawn_app().await;
    let doc = app.api.get("/openapi.json").await;
    doc.assert_status(200);
    assert!(doc.body["openapi"].as_str().is_some_and(|v| v.starts_with("3.")), "{}", doc.body["openapi"]);
    for (path, method) in [
        ("/v1/search", "get"),
        ("/sync/checkpoint", "get"),
        ("/sync/apply", "post"),
        ("/health/live", "get"),
        ("/health/ready", "get"),
    ] {
        assert!(doc.body["paths"][path][method].is_object(), "{method} {path} missing");
    }
    for schema in ["SearchPage", "SearchItem", "Apply", "Applied", "Checkpoint", "ErrorBody"] {
        assert!(doc.body["components"]["schemas"][schema].is_object(), "schema {schema} missing");
    }
}

#[actix_web::test]
async fn unknown_urls_and_bad_sync_bodies_are_json_errors() {
    let app = spawn_app().await;
    app.api.get("/v2/search?q=x").await.assert_error(404, "not found");
    let bad = app.api.raw("POST", "/sync/apply", "application/json", b"{not json".to_vec()).await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body["_status"], "ERR");
}

#[actix_web::test]
async fn the_search_index_is_created_at_startup() {
    let app = spawn_app().await;
    let names = app.api.db.collection::<Document>("posts").list_index_names().await.expect("the indexes");
    assert!(names.iter().any(|n| n == "keywords_1_score_-1__id_-1"), "{names:?}");
}

#[actix_web::test]
async fn without_its_database_the_service_starts_and_answers_503() {
    // Nothing listens on port 1: the service must start anyway (the index
    // is retried in the background) and say 503, never 500.
    let app = spawn_app_with(|s| {
        s.common.mongodb_uri = "mongodb://127.0.0.1:1/?directConnection=true".into();
        s.common.db_timeout = Duration::from_millis(300);
    })
    .await;
    let search = app.api.get("/v1/search?q=rust").await;
    search.assert_error(503, "unavailable");
    assert_eq!(search.header("retry-after"), Some("5"));
    let ready = app.api.get("/health/ready").await;
    ready.assert_status(503);
    assert_eq!(ready.body["checks"]["database"]["status"], "down");
    app.api.get("/health/live").await.assert_status(200);
    assert_eq!(app.api.get("/sync/checkpoint").await.status, 503);
}
