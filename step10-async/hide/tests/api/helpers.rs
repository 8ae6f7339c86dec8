//! Spawns the hide service on a random port against a fresh database.

use kit::settings::Env;
use step10_hide::{settings::Settings, Application};

pub use crate::client::{Json, TestApi};
use crate::spawn;

/// A running hide service and the name of its own database.
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
    spawn::prepare(&mut settings.common, "hide");
    adjust(&mut settings);
    let db_name = settings.common.mongodb_db.clone();
    let app = Application::build(settings).await.expect("the service builds");
    let address = spawn::serve(app.port(), app.run_until_stopped());
    TestApp { api: TestApi::new(address, &db_name, true).await, db_name }
}

/// The `n`-th test post id: ids sort as their numbers do.
pub fn post(n: u32) -> String {
    format!("{n:024x}")
}

impl TestApp {
    /// `PUT /v1/hidden/{user}/{post}`.
    pub async fn hide(&self, user: &str, post: &str) -> Json {
        self.api.request("PUT", &format!("/v1/hidden/{user}/{post}"), &[], None).await
    }

    /// `DELETE /v1/hidden/{user}/{post}`.
    pub async fn unhide(&self, user: &str, post: &str) -> Json {
        self.api.request("DELETE", &format!("/v1/hidden/{user}/{post}"), &[], None).await
    }

    /// The post ids `GET /v1/hidden/{user}` lists (asserting a 200).
    pub async fn hidden(&self, user: &str) -> Vec<String> {
        let list = self.api.get(&format!("/v1/hidden/{user}")).await;
        list.assert_status(200);
        assert_eq!(list.body["user"], user);
        list.body["post_ids"].as_array().expect("post_ids").iter().map(|p| p.as_str().unwrap().to_owned()).collect()
    }
}
