//! Spawns recommend (and, for the contract, mongo-rest) on port 0, each
//! test on a database of its own named by a UUID, dropped afterwards.

use std::{path::Path, time::Duration};

use kit::settings::Env;
use mongodb::bson::oid::ObjectId;
use serde_json::{json, Value};

pub use crate::client::TestApi;

/// The server the tests use.
pub fn mongodb_uri() -> String {
    std::env::var("MONGODB_URI").unwrap_or_else(|_| "mongodb://127.0.0.1:27017".into())
}

/// A fresh database name.
pub fn fresh_db(prefix: &str) -> String {
    format!("test_{prefix}_{}", uuid::Uuid::new_v4().simple())
}

/// Recommend on database `db` (dropped with the result if `owned`),
/// polling its checkpoint every `refresh_ms`.
pub async fn spawn_recommend_on(db: &str, owned: bool, refresh_ms: u64) -> TestApi {
    let _ = env_logger::builder().is_test(true).try_init();
    let (uri, db_name, refresh) = (mongodb_uri(), db.to_owned(), refresh_ms.to_string());
    let settings = step09_recommend::Settings::read(&Env(move |name: &str| match name {
        "PORT" => Some("0".to_owned()),
        "MONGODB_URI" => Some(uri.clone()),
        "MONGODB_DB" => Some(db_name.clone()),
        "REFRESH_MS" => Some(refresh.clone()),
        _ => None,
    }))
    .expect("settings");
    let app = step09_recommend::Application::build(settings).await.expect("recommend builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    TestApi::new(address, db, owned).await
}

/// Recommend on a fresh database.
pub async fn spawn_recommend() -> TestApi {
    spawn_recommend_on(&fresh_db("recommend"), true, 100).await
}

/// mongo-rest serving `tests/step08-recommendations.toml` on a fresh database.
pub async fn spawn_step08() -> TestApi {
    let mut settings = mongo_rest::Settings::from_lookup(|_| None).expect("default settings");
    settings.port = 0;
    settings.mongodb_uri = mongodb_uri();
    settings.mongodb_db = fresh_db("step08_contract");
    settings.domain = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/step08-recommendations.toml");
    settings.db_timeout = Duration::from_millis(1_500);
    let app = mongo_rest::Application::builder(settings.clone()).build().await.expect("mongo-rest builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    TestApi::new(address, &settings.mongodb_db, true).await
}

/// A post as the posts API renders it (hex `_id`, RFC 1123 date).
pub fn post(id: ObjectId, title: &str, score: i64, num_comments: i64, keywords: &[&str]) -> Value {
    json!({
        "_id": id.to_hex(), "title": title, "author": "tester", "url": format!("https://example.com/{id}"),
        "domain": "example.com", "permalink": format!("/r/Python/comments/{id}/"), "is_self": false,
        "created_utc": "Tue, 02 Apr 2013 10:29:13 GMT", "score": score, "ups": score, "downs": 0,
        "num_comments": num_comments, "keywords": keywords,
    })
}

/// Fills a fresh recommend with `posts` (a snapshot at seq 0), in `_id` order.
pub async fn snapshot(api: &TestApi, mut posts: Vec<Value>) {
    posts.sort_by(|a, b| a["_id"].as_str().cmp(&b["_id"].as_str()));
    let body =
        json!({ "expect": { "seq": null, "snapshot": null }, "snapshot": { "seq": 0, "posts": posts, "done": true } });
    api.post("/sync/apply", &body).await.assert_status(200);
}

/// Applies oplog entries continuing `from`.
pub async fn entries(api: &TestApi, from: i64, entries: Value) {
    let body = json!({ "expect": { "seq": from, "snapshot": null }, "entries": entries });
    api.post("/sync/apply", &body).await.assert_status(200);
}

/// The ids of a page's items.
pub fn ids(body: &Value) -> Vec<String> {
    body["_items"]
        .as_array()
        .expect("_items")
        .iter()
        .map(|i| i["_id"].as_str().unwrap_or_default().to_owned())
        .collect()
}
