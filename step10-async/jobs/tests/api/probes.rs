//! Bad requests refused at once with the right status in Eve's envelope,
//! the readiness probe, request ids, and the OpenAPI document.

use mongodb::bson::{doc, Document};
use serde_json::json;

use crate::helpers::*;

#[actix_web::test]
async fn bad_requests_are_refused_at_once_and_store_nothing() {
    let posts = spawn_posts().await;
    let jobs = spawn_jobs(settings(&posts.address, |s| s.workers = 0), true).await;
    jobs.api.post("/v1/jobs/reindex", &json!({})).await.assert_error(404, "no job kind");
    for (body, text) in [
        (json!({ "generate": 0 }), "from 1 to 100000"),
        (json!({ "generate": 100_001 }), "from 1 to 100000"),
        (json!({ "generate": "many" }), "whole numbers"),
        (json!({ "generate": 3, "sede": 1 }), "unknown field"),
        (json!([]), "no post"),
        (json!([{ "title": "no id" }]), "malformed"),
    ] {
        jobs.api.post("/v1/jobs/import", &body).await.assert_error(422, text);
    }
    jobs.api
        .raw("POST", "/v1/jobs/import", "application/json", b"{oops".to_vec())
        .await
        .assert_error(400, "not valid JSON");
    jobs.api.raw("POST", "/v1/jobs/import", "text/csv", b"a,b".to_vec()).await.assert_error(415, "content type");
    let bad_line = b"{\"name\": \"t3_a\", \"title\": \"t\", \"created_utc\": 1}\nnot json\n".to_vec();
    jobs.api
        .raw("POST", "/v1/jobs/import", "application/x-ndjson", bad_line)
        .await
        .assert_error(422, "2: invalid JSON");
    jobs.api.raw("POST", "/v1/jobs/import", "application/xml", b"<posts><row".to_vec()).await.assert_status(422);
    jobs.api.post("/v1/jobs/export", &json!({})).await.assert_error(422, "user");
    jobs.api.post("/v1/jobs/export", &json!({ "user": "" })).await.assert_error(422, "1 to 64");
    jobs.api.get("/v1/jobs/0123456789abcdef0123456789abcdef").await.assert_error(404, "no job");
    jobs.api.get("/v1/jobs/0123456789abcdef0123456789abcdef/result").await.assert_error(404, "no job");
    jobs.api.get(&format!("/v1/jobs/{}/result", "x".repeat(500))).await.assert_error(404, "no job");
    // A segment that is not a job id is a kind's URL: only POST goes there,
    // and a job's URL takes no POST (each 405 says what its URL allows).
    let not_an_id = jobs.api.get(&format!("/v1/jobs/{}", "x".repeat(500))).await;
    assert_eq!((not_an_id.status, not_an_id.header("allow")), (405, Some("POST")));
    let post_to_a_job = jobs.api.post("/v1/jobs/0123456789abcdef0123456789abcdef", &json!({})).await;
    assert_eq!(post_to_a_job.status, 405);
    let allow = post_to_a_job.header("allow").unwrap_or_default().to_owned();
    assert!(allow.contains("GET") && allow.contains("DELETE") && !allow.contains("POST"), "{allow}");
    let stored = jobs.api.db.collection::<Document>("jobs").count_documents(doc! {}).await.unwrap();
    assert_eq!(stored, 0, "nothing refused was stored");
}

#[actix_web::test]
async fn a_body_larger_than_the_limit_is_a_413() {
    let posts = spawn_posts().await;
    let jobs = spawn_jobs(
        settings(&posts.address, |s| {
            s.workers = 0;
            s.max_body_bytes = 64 * 1024;
        }),
        true,
    )
    .await;
    let big = vec![b' '; 70 * 1024];
    jobs.api.raw("POST", "/v1/jobs/import", "application/x-ndjson", big).await.assert_status(413);
}

#[actix_web::test]
async fn ready_reports_the_database_posts_and_the_queue() {
    let posts = spawn_posts().await;
    let jobs = spawn_jobs(settings(&posts.address, |s| s.workers = 0), true).await;
    jobs.submit("import", &json!({ "generate": 2 })).await;
    let ready = jobs.api.get("/health/ready").await;
    ready.assert_status(200);
    assert_eq!(ready.body["checks"]["database"]["status"], "up");
    assert_eq!(ready.body["posts"]["status"], "up");
    assert_eq!(ready.body["queued"], 1);
    assert_eq!(ready.body["databases"], json!([jobs.db_name]), "only its own database");

    // Posts down: still ready (jobs wait and retry), and it says so.
    let alone = spawn_jobs(settings("http://127.0.0.1:1", |s| s.workers = 0), true).await;
    let ready = alone.api.get("/health/ready").await;
    ready.assert_status(200);
    assert_eq!(ready.body["posts"]["status"], "down");
    jobs.api.get("/health/live").await.assert_status(200);
}

#[actix_web::test]
async fn request_ids_are_echoed_and_the_document_is_served() {
    let posts = spawn_posts().await;
    let jobs = spawn_jobs(settings(&posts.address, |s| s.workers = 0), true).await;
    let answer = jobs.api.request("GET", "/health/live", &[("X-Request-Id", "jobs-test-1")], None).await;
    assert_eq!(answer.header("x-request-id"), Some("jobs-test-1"));
    let document = jobs.api.get("/openapi.json").await;
    document.assert_status(200);
    for kind in ["import", "export"] {
        assert!(document.body["paths"][format!("/v1/jobs/{kind}")]["post"].is_object(), "{kind}");
    }
    assert!(
        document.body["paths"].get("/v1/jobs/{kind}").is_none(),
        "one path per kind, none that overlaps /v1/jobs/{{id}}"
    );
    assert_eq!(document.body["paths"]["/v1/jobs/{id}"]["get"]["parameters"][0]["schema"]["pattern"], "^[0-9a-f]{32}$");
    assert!(document.body["paths"]["/v1/jobs/{id}/result"]["get"].is_object());
}
