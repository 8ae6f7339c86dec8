//! The store follows the oplog through `POST /sync/apply`: a PATCH changes
//! a result, a DELETE removes it for good (a replayed POST does not bring
//! it back), a stale `expect` gets 409 with the checkpoint, a gap gets 422
//! and changes nothing.

use serde_json::json;

use crate::helpers::{entry, id, post, spawn_app};

#[actix_web::test]
async fn oplog_entries_create_and_change_results() {
    let app = spawn_app().await;
    app.snapshot(10, vec![post(1, "Rust ownership explained", 10)]).await;
    let new = post(2, "Rust lifetimes explained", 5);
    app.entries(10, vec![entry(11, "POST", &id(2), new)]).await.assert_status(200);
    assert_eq!(app.found("rust explained", "").await, [id(1), id(2)]);

    // PATCH of title (with the recomputed keywords, as the posts oplog
    // records them) and score.
    let changes = json!({ "title": "Go generics explained", "keywords": datasets::keywords("Go generics explained"), "score": 99 });
    let applied = app.entries(11, vec![entry(12, "PATCH", &id(2), changes)]).await;
    applied.assert_status(200);
    assert_eq!(applied.body["position"]["seq"], 12);
    assert_eq!(app.found("rust", "").await, [id(1)], "the old keywords no longer match");
    let page = app.search("generics", "").await;
    assert_eq!(page.body["_items"][0]["title"], "Go generics explained");
    assert_eq!(page.body["_items"][0]["score"], 99);
    // Score alone reorders the results.
    app.entries(
        12,
        vec![entry(13, "PATCH", &id(2), json!({ "score": 1 })), entry(14, "PATCH", &id(1), json!({ "score": 0 }))],
    )
    .await
    .assert_status(200);
    assert_eq!(app.found("explained", "").await, [id(2), id(1)]);
}

#[actix_web::test]
async fn a_delete_removes_a_result_and_a_replayed_post_does_not_bring_it_back() {
    let app = spawn_app().await;
    app.snapshot(10, vec![post(1, "Haskell monads", 10), post(2, "Haskell functors", 20)]).await;
    let created = post(3, "Haskell lenses", 30);
    app.entries(10, vec![entry(11, "POST", &id(3), created.clone())]).await.assert_status(200);
    assert_eq!(app.found("haskell", "").await, [id(3), id(2), id(1)]);

    app.entries(11, vec![entry(12, "DELETE", &id(3), json!({}))]).await.assert_status(200);
    assert_eq!(app.found("haskell", "").await, [id(2), id(1)]);

    // A relay that re-sends the old POST (seq 11, at or below the
    // checkpoint) with the next entry: the replay is skipped.
    let replay = app
        .entries(12, vec![entry(11, "POST", &id(3), created), entry(13, "PATCH", &id(1), json!({ "score": 40 }))])
        .await;
    replay.assert_status(200);
    assert_eq!((replay.body["applied"].as_u64(), replay.body["skipped"].as_u64()), (Some(1), Some(1)));
    assert_eq!(app.found("haskell", "").await, [id(1), id(2)], "post 3 stays deleted; post 1 was patched");
}

#[actix_web::test]
async fn a_stale_expect_gets_409_with_the_checkpoint() {
    let app = spawn_app().await;
    app.snapshot(10, vec![post(1, "Elixir processes", 10)]).await;
    let stale = app.entries(7, vec![entry(8, "PATCH", &id(1), json!({ "score": 1 }))]).await;
    stale.assert_error(409, "checkpoint");
    assert_eq!(stale.body["checkpoint"]["seq"], 10, "{:#}", stale.body);
    // A second snapshot from scratch is refused the same way.
    let again = app
        .apply(json!({ "expect": { "seq": null, "snapshot": null }, "snapshot": { "seq": 20, "posts": [], "done": true } }))
        .await;
    again.assert_status(409);
    assert_eq!(app.api.get("/sync/checkpoint").await.body["seq"], 10);
    assert_eq!(app.search("elixir", "").await.body["_items"][0]["score"], 10);
}

#[actix_web::test]
async fn a_batch_with_a_gap_gets_422_and_changes_nothing() {
    let app = spawn_app().await;
    app.snapshot(10, vec![post(1, "Erlang supervisors", 10)]).await;
    let gap = app
        .entries(
            10,
            vec![
                entry(11, "POST", &id(2), post(2, "Erlang ports", 50)),
                entry(13, "PATCH", &id(1), json!({ "score": 90 })),
            ],
        )
        .await;
    gap.assert_error(422, "gap");
    assert_eq!(app.found("erlang", "").await, [id(1)], "entry 11 was not applied either");
    assert_eq!(app.search("erlang", "").await.body["_items"][0]["score"], 10);
    let checkpoint = app.api.get("/sync/checkpoint").await;
    checkpoint.assert_status(200);
    assert_eq!(checkpoint.body["seq"], 10);
    assert_eq!(checkpoint.body["applied"], 1);
}
