//! Spawns the shares service on a random port against a fresh database,
//! with the real posts service (in-process, its own fresh database).

use std::time::Duration;

use kit::settings::Env;
use mongodb::bson::{doc, oid::ObjectId};
use step10_shares::{settings::Settings, Application};

pub use crate::client::{Json, TestApi};
use crate::{rest, spawn};

/// A running shares service, the posts service it asks, and the names of
/// their databases.
pub struct TestApp {
    /// The shares service's client (it drops the database when dropped).
    pub api: TestApi,
    /// The shares service's database.
    pub db_name: String,
    /// The posts service's client (its database is dropped too).
    pub posts: TestApi,
}

/// The posts service on port 0 and a fresh database.
pub async fn spawn_posts() -> TestApi {
    rest::spawn_rest(posts::default, "shares_posts").await
}

/// The service with default settings, port 0, a fresh database, and the
/// real posts service.
pub async fn spawn_app() -> TestApp {
    let posts = spawn_posts().await;
    let url = posts.address.clone();
    spawn_app_with(posts, |s| s.posts = vec![url]).await
}

/// The service with settings adjusted by `adjust` (port 0 and a fresh
/// database are set before it), beside `posts`.
pub async fn spawn_app_with(posts: TestApi, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = Settings::read(&Env(|_: &str| None)).expect("default settings");
    spawn::prepare(&mut settings.common, "shares");
    settings.posts_timeout = Duration::from_millis(1_500);
    adjust(&mut settings);
    let db_name = settings.common.mongodb_db.clone();
    let app = Application::build(settings).await.expect("the service builds");
    let address = spawn::serve(app.port(), app.run_until_stopped());
    TestApp { api: TestApi::new(address, &db_name, true).await, db_name, posts }
}

/// A port nothing listens on.
pub fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

impl TestApp {
    /// Inserts a post straight into the posts service's database (as
    /// `datasets import` does) and returns its id.
    pub async fn seed_post(&self, title: &str) -> String {
        let id = ObjectId::new();
        // `id` and `name` are unique in the posts service's database.
        let post = doc! {
            "_id": id, "id": id.to_hex(), "name": format!("t3_{}", id.to_hex()), "title": title, "author": "seeder", "url": "", "domain": "", "permalink": "",
            "thumbnail": "", "selftext": "", "is_self": true, "subreddit": "Python", "score": 1_i64,
            "num_comments": 0_i64, "keywords": ["seeded"],
        };
        self.posts.seed("posts", vec![post]).await;
        id.to_hex()
    }

    /// `POST /v1/shares`.
    pub async fn share(&self, post: &str, user: &str) -> Json {
        self.api.post("/v1/shares", &serde_json::json!({ "post_id": post, "user": user })).await
    }

    /// `POST /v1/shares/visits/{code}`.
    pub async fn visit(&self, code: &str) -> Json {
        self.api.request("POST", &format!("/v1/shares/visits/{code}"), &[], None).await
    }

    /// `GET /v1/shares/{post}`'s `(count, visits)` (asserting a 200).
    pub async fn counts(&self, post: &str) -> (i64, i64) {
        let answer = self.api.get(&format!("/v1/shares/{post}")).await;
        answer.assert_status(200);
        (answer.body["count"].as_i64().unwrap(), answer.body["visits"].as_i64().unwrap())
    }
}
