//! The service's behaviour: candidates follow the batches (on the instance
//! that applied them at once, on another instance within the refresh
//! interval), v1's headers, v2's shape and ranking, bad parameters, the
//! probes and the OpenAPI document.

use std::time::{Duration, Instant};

use mongodb::bson::oid::ObjectId;
use serde_json::json;

use crate::helpers::{entries, fresh_db, ids, post, snapshot, spawn_recommend, spawn_recommend_on};

#[actix_web::test]
async fn a_batch_that_lifts_a_post_over_50_makes_it_a_candidate_at_once() {
    let api = spawn_recommend().await;
    let (low, high) = (ObjectId::new(), ObjectId::new());
    snapshot(&api, vec![post(low, "low", 40, 1, &["rust"]), post(high, "high", 70, 1, &[])]).await;
    assert_eq!(ids(&api.get("/v1/recommendations").await.body), [high.to_hex()]);
    entries(&api, 0, json!([{ "seq": 1, "op": "PATCH", "id": low.to_hex(), "changes": { "score": 80 } }])).await;
    let body = api.get("/v1/recommendations?topics=rust").await.body;
    assert_eq!(ids(&body), [low.to_hex(), high.to_hex()]);
    assert_eq!(body["_items"][0]["weight"], json!(8.0));
    assert_eq!(body["_items"][0]["title"], "low");
}

#[actix_web::test]
async fn a_delete_removes_a_candidate() {
    let api = spawn_recommend().await;
    let (a, b) = (ObjectId::new(), ObjectId::new());
    snapshot(&api, vec![post(a, "a", 60, 1, &[]), post(b, "b", 60, 2, &[])]).await;
    assert_eq!(ids(&api.get("/v1/recommendations").await.body).len(), 2);
    entries(&api, 0, json!([{ "seq": 1, "op": "DELETE", "id": a.to_hex(), "changes": {} }])).await;
    assert_eq!(ids(&api.get("/v1/recommendations").await.body), [b.to_hex()]);
    assert_eq!(ids(&api.get("/v2/recommendations").await.body), [b.to_hex()]);
}

#[actix_web::test]
async fn a_second_instance_on_the_same_database_picks_changes_up() {
    let db = fresh_db("recommend_two");
    let one = spawn_recommend_on(&db, true, 100).await;
    let two = spawn_recommend_on(&db, false, 100).await;
    let id = ObjectId::new();
    snapshot(&one, vec![post(id, "p", 60, 1, &[])]).await;
    let started = Instant::now();
    loop {
        let seen = ids(&two.get("/v1/recommendations").await.body);
        if seen == [id.to_hex()] {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(2), "the second instance did not reload: {seen:?}");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

#[actix_web::test]
async fn v1_is_deprecated_with_a_link_to_v2() {
    let api = spawn_recommend().await;
    snapshot(&api, vec![]).await;
    let v1 = api.get("/v1/recommendations").await;
    v1.assert_status(200);
    assert_eq!(v1.header("deprecation"), Some("@1796083200"));
    assert_eq!(v1.header("link"), Some("</v2/recommendations>; rel=\"successor-version\""));
    let v2 = api.get("/v2/recommendations").await;
    v2.assert_status(200);
    assert_eq!((v2.header("deprecation"), v2.header("link")), (None, None));
}

#[actix_web::test]
async fn v2_ranks_by_topics_and_says_why() {
    let api = spawn_recommend().await;
    let (best, matched, plain) = (ObjectId::new(), ObjectId::new(), ObjectId::new());
    snapshot(
        &api,
        vec![
            post(best, "b", 100, 1, &[]),
            post(matched, "m", 60, 1, &["rust", "async"]),
            post(plain, "p", 55, 9, &["web"]),
        ],
    )
    .await;
    let body = api.get("/v2/recommendations?topics=async,rust&max_results=2").await.body;
    assert_eq!(ids(&body), [matched.to_hex(), best.to_hex()]);
    let first = &body["_items"][0];
    assert_eq!(first["why"], json!({ "topics": ["async", "rust"], "weight": 6.0, "rank": 18.0 }));
    for field in ["title", "author", "url", "domain", "permalink", "is_self", "created_utc", "score", "num_comments"] {
        assert!(first.get(field).is_some(), "{field} in {first:#}");
    }
    assert!(first.get("topic_hits").is_none() && first.get("weight").is_none());
    assert_eq!(body["_meta"], json!({ "page": 1, "max_results": 2 }));
    assert!(body["_links"]["next"].is_object());
    let without = api.get("/v2/recommendations").await.body;
    assert_eq!(ids(&without), [best.to_hex(), matched.to_hex(), plain.to_hex()]);
}

#[actix_web::test]
async fn bad_parameters_are_400_with_json() {
    let api = spawn_recommend().await;
    snapshot(&api, vec![]).await;
    let many = vec!["t"; 21].join(",");
    for (path, named) in [
        ("/v1/recommendations?topics=a,,b", "topics"),
        (&*format!("/v2/recommendations?topics={many}"), "topics"),
        ("/v2/recommendations?max_results=51", "max_results"),
        ("/v2/recommendations?max_results=x", "max_results"),
        ("/v1/recommendations?page=0", "page"),
        ("/v2/recommendations?min_score=60", "min_score"),
        ("/v1/recommendations?min_score=10", "min_score"),
    ] {
        api.get(path).await.assert_error(400, named);
    }
}

#[actix_web::test]
async fn ready_reports_its_own_database_only_and_the_candidates() {
    let api = spawn_recommend().await;
    snapshot(&api, vec![post(ObjectId::new(), "p", 60, 1, &[])]).await;
    let _ = api.get("/v1/recommendations").await;
    let ready = api.get("/health/ready").await;
    ready.assert_status(200);
    assert_eq!(ready.body["databases"], json!([api.db.name()]));
    assert_eq!(ready.body["candidates"], 1);
    assert_eq!(ready.body["checkpoint"], 0);
    assert_eq!(ready.body["checks"]["database"]["status"], "up");
    api.get("/health/live").await.assert_status(200);
}

#[actix_web::test]
async fn the_openapi_document_lists_every_path() {
    let api = spawn_recommend().await;
    let doc = api.get("/openapi.json").await;
    doc.assert_status(200);
    assert!(doc.body["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/v1/recommendations",
        "/v2/recommendations",
        "/sync/checkpoint",
        "/sync/apply",
        "/health/ready",
        "/health/live",
    ] {
        assert!(doc.body["paths"][path].is_object(), "{path} missing");
    }
}
