//! Hide, un-hide, list; the limit; concurrency.

use futures::future::join_all;
use mongodb::bson::{doc, Document};

use crate::helpers::{post, spawn_app, spawn_app_with};

#[actix_web::test]
async fn a_hidden_post_is_listed_until_unhidden() {
    let app = spawn_app().await;
    assert!(app.hidden("ann").await.is_empty(), "a user who hides nothing has an empty list");
    let first = app.hide("ann", &post(1)).await;
    first.assert_status(201);
    assert_eq!(first.body["post_id"], post(1));
    assert_eq!(first.body["hidden"], true);
    app.hide("ann", &post(1)).await.assert_status(200);
    app.hide("ann", &post(2)).await.assert_status(201);
    // Newest first; another user's list is theirs only.
    assert_eq!(app.hidden("ann").await, [post(2), post(1)]);
    app.hide("bob", &post(3)).await.assert_status(201);
    assert_eq!(app.hidden("bob").await, [post(3)]);

    let gone = app.unhide("ann", &post(1)).await;
    gone.assert_status(204);
    assert_eq!(gone.body, serde_json::Value::Null);
    app.unhide("ann", &post(1)).await.assert_error(404, "does not hide");
    app.unhide("bob", &post(2)).await.assert_error(404, "does not hide");
    assert_eq!(app.hidden("ann").await, [post(2)]);
    assert_eq!(app.hidden("bob").await, [post(3)]);
}

#[actix_web::test]
async fn upper_case_ids_are_the_same_post() {
    let app = spawn_app().await;
    let id = "5f0c9e1b2a3d4c5b6a7f8e9d";
    app.hide("ann", &id.to_uppercase()).await.assert_status(201);
    app.hide("ann", id).await.assert_status(200);
    assert_eq!(app.hidden("ann").await, [id]);
}

#[actix_web::test]
async fn past_the_limit_a_hide_is_a_422_until_one_is_unhidden() {
    let app = spawn_app_with(|s| s.max_hidden = 3).await;
    for n in 1..=3 {
        app.hide("ann", &post(n)).await.assert_status(201);
    }
    app.hide("ann", &post(4)).await.assert_error(422, "3 posts");
    // Hiding one already hidden is still fine, and other users have their own limit.
    app.hide("ann", &post(2)).await.assert_status(200);
    app.hide("bob", &post(4)).await.assert_status(201);
    assert_eq!(app.hidden("ann").await.len(), 3);
    app.unhide("ann", &post(1)).await.assert_status(204);
    app.hide("ann", &post(4)).await.assert_status(201);
    assert_eq!(app.hidden("ann").await, [post(4), post(3), post(2)]);
}

#[actix_web::test]
async fn fifty_concurrent_hides_of_one_pair_make_one_document_and_one_201() {
    let app = spawn_app().await;
    let id = post(7);
    let statuses: Vec<u16> = join_all((0..50).map(|_| app.hide("ann", &id))).await.iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 49, "{statuses:?}");
    let hidden = app.api.db.collection::<Document>("hidden");
    assert_eq!(hidden.count_documents(doc! {}).await.unwrap(), 1);
    let count = app.api.db.collection::<Document>("users").find_one(doc! { "_id": "ann" }).await.unwrap().unwrap();
    assert_eq!(count.get_i64("count").unwrap(), 1);
    // And 50 concurrent un-hides: one 204, the rest 404.
    let statuses: Vec<u16> = join_all((0..50).map(|_| app.unhide("ann", &id))).await.iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 204).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 404).count(), 49, "{statuses:?}");
    assert!(app.hidden("ann").await.is_empty());
}

#[actix_web::test]
async fn concurrent_hides_of_different_posts_never_pass_the_limit() {
    let app = spawn_app_with(|s| s.max_hidden = 5).await;
    let ids: Vec<String> = (1..=20).map(post).collect();
    let statuses: Vec<u16> =
        join_all(ids.iter().map(|id| app.hide("ann", id))).await.iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 5, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 422).count(), 15, "{statuses:?}");
    assert_eq!(app.hidden("ann").await.len(), 5);
}
