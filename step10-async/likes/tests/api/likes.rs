//! Like, unlike, counts, "liked", reconcile and Idempotency-Key.

use mongodb::bson::{doc, Document};
use serde_json::json;

use crate::helpers::{post, spawn_app};

#[actix_web::test]
async fn like_unlike_count_and_liked() {
    let app = spawn_app().await;
    let (p, q) = (post(1), post(2));
    assert_eq!(app.count(&p).await, 0);
    let first = app.like(&p, "alice").await;
    first.assert_status(201);
    assert_eq!(first.body, json!({ "post_id": p, "user": "alice", "liked": true, "count": 1 }));
    let again = app.like(&p, "alice").await;
    again.assert_status(200);
    assert_eq!(again.body["count"], 1);
    app.like(&p, "bob").await.assert_status(201);
    app.like(&q, "bob").await.assert_status(201);
    assert_eq!(app.count(&p).await, 2);

    let many = app.api.get(&format!("/v1/likes?post_ids={p},{q},{}&user=alice", post(3))).await;
    many.assert_status(200);
    assert_eq!(
        many.body,
        json!({ "_items": [
            { "post_id": p, "count": 2, "liked": true },
            { "post_id": q, "count": 1, "liked": false },
            { "post_id": post(3), "count": 0, "liked": false },
        ] })
    );
    // Without a user, no `liked`.
    let anonymous = app.api.get(&format!("/v1/likes?post_ids={q}")).await;
    assert_eq!(anonymous.body, json!({ "_items": [{ "post_id": q, "count": 1 }] }));

    let liked = app.api.get("/v1/liked/bob").await;
    assert_eq!(liked.body, json!({ "user": "bob", "post_ids": [q, p] }));

    let gone = app.unlike(&p, "alice").await;
    gone.assert_status(204);
    assert_eq!(app.count(&p).await, 1);
    app.unlike(&p, "alice").await.assert_error(404, "does not like");
    let after = app.api.get(&format!("/v1/likes?post_ids={p}&user=alice")).await;
    assert_eq!(after.body["_items"][0], json!({ "post_id": p, "count": 1, "liked": false }));
}

#[actix_web::test]
async fn unlike_goes_down_to_zero_and_never_below() {
    let app = spawn_app().await;
    let p = post(7);
    for user in ["a", "b", "c"] {
        app.like(&p, user).await.assert_status(201);
    }
    for (user, left) in [("a", 2), ("b", 1), ("c", 0)] {
        app.unlike(&p, user).await.assert_status(204);
        assert_eq!(app.count(&p).await, left);
    }
    for user in ["a", "b", "c", "d"] {
        app.unlike(&p, user).await.assert_status(404);
    }
    assert_eq!(app.count(&p).await, 0);
    // A counter that drifted to 0 with a like still there is not taken below 0.
    app.like(&p, "a").await;
    app.api
        .db
        .collection::<Document>("counters")
        .update_one(doc! { "_id": &p }, doc! { "$set": { "count": 0_i64 } })
        .await
        .unwrap();
    app.unlike(&p, "a").await.assert_status(204);
    assert_eq!(app.count(&p).await, 0);
}

#[actix_web::test]
async fn reconcile_fixes_corrupted_counters() {
    let app = spawn_app().await;
    let (p, q, r) = (post(1), post(2), post(3));
    for user in ["a", "b", "c"] {
        app.like(&p, user).await;
    }
    app.like(&q, "a").await;
    let clean = app.api.post("/v1/reconcile", &json!({})).await;
    clean.assert_status(200);
    assert_eq!(clean.body, json!({ "checked": 2, "fixed": 0 }));

    let counters = app.api.db.collection::<Document>("counters");
    counters.update_one(doc! { "_id": &p }, doc! { "$set": { "count": 42_i64 } }).await.unwrap();
    counters.delete_one(doc! { "_id": &q }).await.unwrap();
    counters.insert_one(doc! { "_id": &r, "count": 5_i32 }).await.unwrap();
    assert_eq!(app.count(&p).await, 42);
    let fixed = app.api.post("/v1/reconcile", &json!({})).await;
    fixed.assert_status(200);
    assert_eq!(fixed.body, json!({ "checked": 3, "fixed": 3 }));
    assert_eq!((app.count(&p).await, app.count(&q).await, app.count(&r).await), (3, 1, 0));
    assert_eq!(app.api.post("/v1/reconcile", &json!({})).await.body, json!({ "checked": 3, "fixed": 0 }));
}

#[actix_web::test]
async fn an_idempotency_key_replays_the_first_answer() {
    let app = spawn_app().await;
    let p = post(9);
    let path = format!("/v1/likes/{p}/alice");
    let key = [("Idempotency-Key", "like-9-alice")];
    let first = app.api.request("PUT", &path, &key, None).await;
    first.assert_status(201);
    // Someone else likes it meanwhile: the replay is still the first answer.
    app.like(&p, "bob").await.assert_status(201);
    let replay = app.api.request("PUT", &path, &key, None).await;
    replay.assert_status(201);
    assert_eq!(replay.body, first.body);
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    // Without the key, the same like is a 200 now.
    app.like(&p, "alice").await.assert_status(200);
    // The same key with another body, or on another like, is a 422.
    let other_body = app.api.request("PUT", &path, &key, Some(&json!({ "x": 1 }))).await;
    other_body.assert_error(422, "different request");
    app.api.request("PUT", &format!("/v1/likes/{p}/carol"), &key, None).await.assert_error(422, "different request");
    // DELETE takes keys too.
    let unlike_key = [("Idempotency-Key", "unlike-9-alice")];
    app.api.request("DELETE", &path, &unlike_key, None).await.assert_status(204);
    let replayed = app.api.request("DELETE", &path, &unlike_key, None).await;
    replayed.assert_status(204);
    assert_eq!(replayed.header("idempotent-replayed"), Some("true"));
    assert_eq!(app.count(&p).await, 1);
    // The records are in the service's own database.
    let records = app.api.db.collection::<Document>("idempotency").count_documents(doc! {}).await.unwrap();
    assert_eq!(records, 2);
}
