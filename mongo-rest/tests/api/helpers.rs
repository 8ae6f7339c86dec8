//! Spawns the API on a random port against a database of its own, and
//! talks JSON to it: [`spawn_api`] serves the test domain
//! (`tests/domain.toml`), [`spawn_api_with`] adjusts the settings first,
//! [`spawn`] takes a builder (to add routes). The [`TestApi`] client
//! (`client.rs`) drops the database when it is dropped.

use std::{path::Path, time::Duration};

use mongo_rest::{Application, Builder, Settings};
use mongodb::bson::{doc, oid::ObjectId, DateTime, Document};

pub use crate::client::{Json, TestApi};

/// The server the tests use: the development database.
pub fn mongodb_uri() -> String {
    std::env::var("MONGODB_URI").unwrap_or_else(|_| "mongodb://127.0.0.1:27017".into())
}

/// The test settings: port 0, the test domain, a fresh database.
pub fn test_settings() -> Settings {
    let mut settings = Settings::from_lookup(|_| None).expect("default settings");
    settings.port = 0;
    settings.mongodb_uri = mongodb_uri();
    settings.mongodb_db = format!("test_mongo_rest_{}", uuid::Uuid::new_v4().simple());
    settings.domain = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/domain.toml");
    settings.db_timeout = Duration::from_millis(1_500);
    settings
}

/// The API on the test domain.
pub async fn spawn_api() -> TestApi {
    spawn_api_with(|_| {}).await
}

/// The API with settings adjusted by `adjust` (port 0, the test domain and
/// a fresh database are set before it runs).
pub async fn spawn_api_with(adjust: impl FnOnce(&mut Settings)) -> TestApi {
    let mut settings = test_settings();
    adjust(&mut settings);
    spawn(Application::builder(settings.clone()), &settings.mongodb_db).await
}

/// Builds and runs `builder`, whose settings name the database `db_name`
/// (dropped with the [`TestApi`]).
pub async fn spawn(builder: Builder, db_name: &str) -> TestApi {
    let _ = env_logger::builder().is_test(true).try_init();
    let app = builder.build().await.expect("the API builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    TestApi::new(address, db_name, true).await
}

/// A post document as `datasets import` writes it.
pub fn post(title: &str, score: i64, ups: i64, downs: i64, num_comments: i64) -> Document {
    let id = ObjectId::new();
    doc! {
        "_id": id,
        "id": id.to_hex(),
        "name": format!("t3_{}", id.to_hex()),
        "title": title,
        "author": "tester",
        "url": format!("https://example.com/{}", id.to_hex()),
        "domain": "example.com",
        "permalink": format!("https://www.reddit.com/r/Python/comments/{}/", id.to_hex()),
        "thumbnail": "",
        "selftext": "",
        "is_self": false,
        "over_18": false,
        "subreddit": "Python",
        "subreddit_id": "t5_2qh0y",
        "created_utc": DateTime::from_millis(1_370_746_482_000),
        "score": score,
        "ups": ups,
        "downs": downs,
        "num_comments": num_comments,
        "keywords": datasets::keywords(title),
        "source": "reddit",
    }
}
