//! Share, the same link again, visits, counts, reconcile, Idempotency-Key,
//! and counts that stay exact under concurrency.

use futures::future::join_all;
use mongodb::bson::{doc, Document};
use serde_json::json;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn a_share_gives_a_link_and_the_same_one_again() {
    let app = spawn_app().await;
    let post = app.seed_post("Shared post").await;
    assert_eq!(app.counts(&post).await, (0, 0));
    let first = app.share(&post, "alice").await;
    first.assert_status(201);
    let code = first.body["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 8);
    assert!(code.bytes().all(|b| b.is_ascii_alphanumeric()), "{code}");
    assert_eq!(first.body["url"], format!("/s/{code}"));
    assert_eq!(first.body["post_id"], post);
    let again = app.share(&post, "alice").await;
    again.assert_status(200);
    assert_eq!(again.body, first.body);
    let bob = app.share(&post, "bob").await;
    bob.assert_status(201);
    assert_ne!(bob.body["code"], first.body["code"]);
    assert_eq!(app.counts(&post).await, (2, 0));
    let answer = app.api.get(&format!("/v1/shares/{post}")).await;
    assert_eq!(answer.body, json!({ "post_id": post, "count": 2, "visits": 0 }));
}

#[actix_web::test]
async fn an_unknown_post_is_a_422() {
    let app = spawn_app().await;
    let unknown = "5160a0b1e0d1e01c3f000001";
    app.share(unknown, "alice").await.assert_error(422, "does not know the post");
    assert_eq!(app.counts(unknown).await, (0, 0));
}

#[actix_web::test]
async fn a_visit_counts_once_and_an_unknown_code_is_a_404() {
    let app = spawn_app().await;
    let post = app.seed_post("Visited post").await;
    let code = app.share(&post, "alice").await.body["code"].as_str().unwrap().to_owned();
    let other = app.share(&post, "bob").await.body["code"].as_str().unwrap().to_owned();
    for n in 1..=3 {
        let visit = app.visit(&code).await;
        visit.assert_status(200);
        assert_eq!(visit.body, json!({ "post_id": post, "visits": n }));
    }
    app.visit(&other).await.assert_status(200);
    assert_eq!(app.counts(&post).await, (2, 4));
    app.visit("Zz000000").await.assert_error(404, "no share link");
    app.visit("bad!code").await.assert_error(404, "no share link");
    app.visit(&"a".repeat(9)).await.assert_error(404, "no share link");
    assert_eq!(app.counts(&post).await, (2, 4));
}

#[actix_web::test]
async fn thirty_visits_at_once_add_thirty() {
    let app = spawn_app().await;
    let post = app.seed_post("Popular post").await;
    let code = app.share(&post, "alice").await.body["code"].as_str().unwrap().to_owned();
    let visits = join_all((0..30).map(|_| app.visit(&code))).await;
    let statuses: Vec<u16> = visits.iter().map(|v| v.status).collect();
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let mut seen: Vec<i64> = visits.iter().map(|v| v.body["visits"].as_i64().unwrap()).collect();
    seen.sort_unstable();
    assert_eq!(seen, (1..=30).collect::<Vec<i64>>());
    assert_eq!(app.counts(&post).await, (1, 30));
}

#[actix_web::test]
async fn many_shares_at_once_stay_exact() {
    let app = spawn_app().await;
    let post = app.seed_post("Everyone shares it").await;
    // 20 users at once, and alice 10 times at once.
    let users: Vec<String> = (0..20).map(|n| format!("user{n}")).chain((0..10).map(|_| "alice".to_owned())).collect();
    let answers = join_all(users.iter().map(|u| app.share(&post, u))).await;
    let created = answers.iter().filter(|a| a.status == 201).count();
    assert!(answers.iter().all(|a| a.status == 201 || a.status == 200));
    assert_eq!(created, 21);
    let alice: Vec<&serde_json::Value> = answers[20..].iter().map(|a| &a.body["code"]).collect();
    assert!(alice.iter().all(|c| *c == alice[0]), "{alice:?}");
    assert_eq!(app.counts(&post).await, (21, 0));
}

#[actix_web::test]
async fn reconcile_fixes_corrupted_counters() {
    let app = spawn_app().await;
    let (p, q) = (app.seed_post("One").await, app.seed_post("Two").await);
    let code = app.share(&p, "a").await.body["code"].as_str().unwrap().to_owned();
    app.share(&p, "b").await;
    app.share(&q, "a").await;
    app.visit(&code).await;
    app.visit(&code).await;
    let clean = app.api.post("/v1/reconcile", &json!({})).await;
    clean.assert_status(200);
    assert_eq!(clean.body, json!({ "checked": 2, "fixed": 0 }));
    let counters = app.api.db.collection::<Document>("counters");
    counters.update_one(doc! { "_id": &p }, doc! { "$set": { "count": 9_i64, "visits": 100_i64 } }).await.unwrap();
    counters.delete_one(doc! { "_id": &q }).await.unwrap();
    counters.insert_one(doc! { "_id": "5160a0b1e0d1e01c3f000001", "count": 3_i32, "visits": 1_i32 }).await.unwrap();
    let fixed = app.api.post("/v1/reconcile", &json!({})).await;
    assert_eq!(fixed.body, json!({ "checked": 3, "fixed": 3 }));
    assert_eq!(app.counts(&p).await, (2, 2));
    assert_eq!(app.counts(&q).await, (1, 0));
    assert_eq!(app.counts("5160a0b1e0d1e01c3f000001").await, (0, 0));
    assert_eq!(app.api.post("/v1/reconcile", &json!({})).await.body, json!({ "checked": 3, "fixed": 0 }));
}

#[actix_web::test]
async fn an_idempotency_key_replays_the_first_answer() {
    let app = spawn_app().await;
    let post = app.seed_post("Retried").await;
    let body = json!({ "post_id": post, "user": "alice" });
    let key = [("Idempotency-Key", "share-alice-1")];
    let first = app.api.request("POST", "/v1/shares", &key, Some(&body)).await;
    first.assert_status(201);
    let replay = app.api.request("POST", "/v1/shares", &key, Some(&body)).await;
    replay.assert_status(201);
    assert_eq!(replay.body, first.body);
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    // Without the key, the same share is a 200 with the same code.
    let plain = app.share(&post, "alice").await;
    plain.assert_status(200);
    assert_eq!(plain.body["code"], first.body["code"]);
    let other = json!({ "post_id": post, "user": "bob" });
    app.api.request("POST", "/v1/shares", &key, Some(&other)).await.assert_error(422, "different request");
    assert_eq!(app.counts(&post).await, (1, 0));
}

#[actix_web::test]
async fn counts_for_many_posts_in_one_call() {
    let app = spawn_app().await;
    let (p, q) = (app.seed_post("One").await, app.seed_post("Two").await);
    let code = app.share(&p, "a").await.body["code"].as_str().unwrap().to_owned();
    app.visit(&code).await;
    let never = "5160a0b1e0d1e01c3f000001";
    let many = app.api.get(&format!("/v1/shares?post_ids={q},{p},{never},{p}")).await;
    many.assert_status(200);
    assert_eq!(
        many.body,
        json!({ "_items": [
            { "post_id": q, "count": 0, "visits": 0 },
            { "post_id": p, "count": 1, "visits": 1 },
            { "post_id": never, "count": 0, "visits": 0 },
        ] })
    );
}

#[actix_web::test]
async fn visits_through_two_instances_at_once_stay_exact() {
    // Two processes on one database do not take turns: their transactions
    // conflict, and the retries must still count every visit once.
    let one = spawn_app().await;
    let db = one.db_name.clone();
    let posts = crate::helpers::spawn_posts().await;
    let url = one.posts.address.clone();
    let two = crate::helpers::spawn_app_with(posts, |s| {
        s.common.mongodb_db = db;
        s.posts = vec![url];
    })
    .await;
    let post = one.seed_post("Seen from two instances").await;
    let code = one.share(&post, "alice").await.body["code"].as_str().unwrap().to_owned();
    let visits = join_all((0..30).map(|n| if n % 2 == 0 { one.visit(&code) } else { two.visit(&code) })).await;
    assert!(visits.iter().all(|v| v.status == 200), "{:?}", visits.iter().map(|v| v.status).collect::<Vec<_>>());
    assert_eq!(one.counts(&post).await, (1, 30));
    assert_eq!(two.api.post("/v1/reconcile", &json!({})).await.body["fixed"], 0);
}
