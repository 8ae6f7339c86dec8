//! Spawns the search service on a random port against a fresh database,
//! and builds what sync would send it: posts as the posts API serves them,
//! snapshot pages and oplog batches.

use std::time::Duration;

use kit::settings::Env;
use serde_json::{json, Value};
use step09_search::{settings::Settings, Application};

pub use crate::client::{Json, TestApi};

/// The date every test post is created at.
pub const CREATED: &str = "Tue, 02 Apr 2013 10:29:13 GMT";

/// The server the tests use: the development database.
pub fn mongodb_uri() -> String {
    std::env::var("MONGODB_URI").unwrap_or_else(|_| "mongodb://127.0.0.1:27017".into())
}

/// A running search service and the name of its own database.
pub struct TestApp {
    /// The JSON client (it drops the database when dropped).
    pub api: TestApi,
    /// The service's database.
    pub db_name: String,
}

/// The service with default settings, port 0 and a fresh database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// The service with settings adjusted by `adjust` (port 0 and a fresh
/// database are set before it).
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let _ = env_logger::builder().is_test(true).try_init();
    let mut settings = Settings::read(&Env(|_: &str| None)).expect("default settings");
    settings.common.port = 0;
    settings.common.mongodb_uri = mongodb_uri();
    settings.common.mongodb_db = format!("test_step09_search_{}", uuid::Uuid::new_v4().simple());
    settings.common.db_timeout = Duration::from_millis(1_500);
    adjust(&mut settings);
    let db_name = settings.common.mongodb_db.clone();
    let app = Application::build(settings).await.expect("the service builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp { api: TestApi::new(address, &db_name, true).await, db_name }
}

/// The `n`-th test id: ids sort as their numbers do.
pub fn id(n: u32) -> String {
    format!("{n:024x}")
}

/// A post as the posts API serves it (with fields search does not keep).
pub fn post(n: u32, title: &str, score: i64) -> Value {
    json!({
        "_id": id(n),
        "title": title,
        "url": format!("https://example.com/{n}"),
        "permalink": format!("/r/test/comments/{n}/"),
        "domain": "example.com",
        "author": "alice",
        "thumbnail": "default",
        "created_utc": CREATED,
        "score": score,
        "num_comments": 3,
        "is_self": false,
        "keywords": datasets::keywords(title),
        "selftext": "not kept by search",
        "subreddit": "test",
        "_created": CREATED,
        "_etag": "abc",
    })
}

/// An oplog entry.
pub fn entry(seq: i64, op: &str, id: &str, changes: Value) -> Value {
    json!({ "seq": seq, "op": op, "id": id, "changes": changes })
}

impl TestApp {
    /// `POST /sync/apply`.
    pub async fn apply(&self, body: Value) -> Json {
        self.api.post("/sync/apply", &body).await
    }

    /// A whole snapshot in one page at `seq`, onto an empty store.
    pub async fn snapshot(&self, seq: i64, mut posts: Vec<Value>) {
        posts.sort_by(|a, b| a["_id"].as_str().cmp(&b["_id"].as_str()));
        let body = json!({
            "expect": { "seq": null, "snapshot": null },
            "snapshot": { "seq": seq, "posts": posts, "done": true },
        });
        self.apply(body).await.assert_status(200);
    }

    /// Oplog entries continuing the checkpoint `expect`.
    pub async fn entries(&self, expect: i64, entries: Vec<Value>) -> Json {
        self.apply(json!({ "expect": { "seq": expect, "snapshot": null }, "entries": entries })).await
    }

    /// `GET /v1/search?q=…` plus `extra` (`&page=2`).
    pub async fn search(&self, q: &str, extra: &str) -> Json {
        self.api.get(&format!("/v1/search?q={}{extra}", urlencoding::encode(q))).await
    }

    /// The ids a search finds, in order (asserting a 200).
    pub async fn found(&self, q: &str, extra: &str) -> Vec<String> {
        let page = self.search(q, extra).await;
        page.assert_status(200);
        page.body["_items"].as_array().expect("_items").iter().map(|i| i["_id"].as_str().unwrap().to_owned()).collect()
    }
}
