//! Counts stay exact when writes race: one like per user however many
//! times it is sent at once, one per user when many users like at once,
//! and unlikes racing down to zero never go below.

use futures::future::join_all;

use crate::helpers::{post, spawn_app};

#[actix_web::test]
async fn fifty_likes_at_once_by_one_user_leave_one() {
    let app = spawn_app().await;
    let p = post(1);
    let answers = join_all((0..50).map(|_| app.like(&p, "alice"))).await;
    let created = answers.iter().filter(|a| a.status == 201).count();
    assert!(
        answers.iter().all(|a| a.status == 201 || a.status == 200),
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    assert_eq!(created, 1);
    assert_eq!(app.count(&p).await, 1);
}

#[actix_web::test]
async fn two_hundred_users_at_once_leave_two_hundred() {
    let app = spawn_app().await;
    let p = post(2);
    let users: Vec<String> = (0..200).map(|n| format!("user{n}")).collect();
    let answers = join_all(users.iter().map(|u| app.like(&p, u))).await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    assert_eq!(app.count(&p).await, 200);
    // And all of them unliking at once (twice each) bring it to exactly 0.
    let answers = join_all(users.iter().chain(users.iter()).map(|u| app.unlike(&p, u))).await;
    let deleted = answers.iter().filter(|a| a.status == 204).count();
    let missing = answers.iter().filter(|a| a.status == 404).count();
    assert_eq!((deleted, missing), (200, 200));
    assert_eq!(app.count(&p).await, 0);
}

#[actix_web::test]
async fn two_instances_liking_at_once_stay_exact() {
    // Two processes on one database do not take turns: their transactions
    // conflict, and the retries must still leave exactly one like each.
    let one = spawn_app().await;
    let db = one.db_name.clone();
    let two = crate::helpers::spawn_app_with(|s| s.common.mongodb_db = db).await;
    let p = post(3);
    let users: Vec<String> = (0..60).map(|n| format!("u{n}")).collect();
    let answers = join_all(users.iter().enumerate().flat_map(|(n, u)| {
        let (first, second) = if n % 2 == 0 { (&one, &two) } else { (&two, &one) };
        [first.like(&p, u), second.like(&p, u)]
    }))
    .await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 60, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 60, "{statuses:?}");
    assert_eq!(one.count(&p).await, 60);
    assert_eq!(two.api.post("/v1/reconcile", &serde_json::json!({})).await.body["fixed"], 0);
}
