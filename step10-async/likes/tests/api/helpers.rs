//! Spawns the likes service on a random port against a fresh database.

use kit::settings::Env;
use step10_likes::{settings::Settings, Application};

pub use crate::client::{Json, TestApi};
use crate::spawn;

/// A running likes service and the name of its own database.
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
    let mut settings = Settings::read(&Env(|_: &str| None)).expect("default settings");
    spawn::prepare(&mut settings.common, "likes");
    adjust(&mut settings);
    let db_name = settings.common.mongodb_db.clone();
    let app = Application::build(settings).await.expect("the service builds");
    let address = spawn::serve(app.port(), app.run_until_stopped());
    TestApp { api: TestApi::new(address, &db_name, true).await, db_name }
}

/// The `n`-th test post id.
pub fn post(n: u32) -> String {
    format!("{n:024x}")
}

impl TestApp {
    /// `PUT /v1/likes/{post}/{user}`.
    pub async fn like(&self, post: &str, user: &str) -> Json {
        self.api.request("PUT", &format!("/v1/likes/{post}/{user}"), &[], None).await
    }

    /// `DELETE /v1/likes/{post}/{user}`.
    pub async fn unlike(&self, post: &str, user: &str) -> Json {
        self.api.request("DELETE", &format!("/v1/likes/{post}/{user}"), &[], None).await
    }

    /// `GET /v1/likes/{post}`'s count (asserting a 200).
    pub async fn count(&self, post: &str) -> i64 {
        let answer = self.api.get(&format!("/v1/likes/{post}")).await;
        answer.assert_status(200);
        assert_eq!(answer.body["post_id"], post);
        answer.body["count"].as_i64().expect("a count")
    }
}
