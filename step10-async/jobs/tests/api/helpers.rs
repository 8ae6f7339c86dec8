//! What the jobs tests run against: the real posts and tags services
//! in-process (each on port 0 with a database of its own), and the jobs
//! service pointed at them, with settings a test may adjust.

use std::{future::Future, time::Duration};

use kit::settings::Env;
use serde_json::{json, Value};
use step10_jobs::{settings::Settings, Application, Workers};

pub use crate::client::{Json, TestApi};

pub use crate::spawn::mongodb_uri;
use crate::{rest::spawn_rest, spawn};

/// The posts service.
pub async fn spawn_posts() -> TestApi {
    spawn_rest(posts::default, "jobs_posts").await
}

/// The tags service.
pub async fn spawn_tags() -> TestApi {
    spawn_rest(tags::default, "jobs_tags").await
}

/// A running jobs service.
pub struct TestJobs {
    /// The JSON client (it drops the database when it owns it).
    pub api: TestApi,
    /// The service's database.
    pub db_name: String,
    /// Its workers, to stop them.
    pub workers: Option<Workers>,
}

/// Settings for a test: port 0, a fresh database, `posts` as POSTS_URL,
/// a short poll, then `adjust`.
pub fn settings(posts: &str, adjust: impl FnOnce(&mut Settings)) -> Settings {
    let mut settings = Settings::read(&Env(|_: &str| None)).expect("default settings");
    spawn::prepare(&mut settings.common, "jobs");
    settings.posts_urls = vec![posts.to_owned()];
    settings.poll = Duration::from_millis(50);
    settings.retry_delay = Duration::from_millis(50);
    adjust(&mut settings);
    settings
}

/// The jobs service with `settings`; `owned`: its database is dropped with
/// it (a second instance on the same database passes `false`).
pub async fn spawn_jobs(settings: Settings, owned: bool) -> TestJobs {
    let db_name = settings.common.mongodb_db.clone();
    let mut app = Application::build(settings).await.expect("the service builds");
    let workers = Some(app.detach_workers());
    let address = spawn::serve(app.port(), app.run_until_stopped());
    TestJobs { api: TestApi::new(address, &db_name, owned).await, db_name, workers }
}

/// Polls `check` every 50 ms until it gives `Some`, or panics with `what`
/// after `limit`.
pub async fn wait_for<T, F: Future<Output = Option<T>>>(limit: Duration, what: &str, check: impl Fn() -> F) -> T {
    let started = std::time::Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(started.elapsed() < limit, "not within {limit:?}: {what}");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

impl TestJobs {
    /// Submits a job of `kind` with a JSON body; asserts the 202.
    pub async fn submit(&self, kind: &str, body: &Value) -> Json {
        let answer = self.api.post(&format!("/v1/jobs/{kind}"), body).await;
        answer.assert_status(202);
        answer
    }

    /// The job at `location` once it has finished (a 303 or a finished
    /// status), within `limit`.
    pub async fn finished(&self, location: &str, limit: Duration) -> Json {
        wait_for(limit, &format!("{location} finishes"), || async {
            let answer = self.api.get(location).await;
            let status = answer.body["status"].as_str().unwrap_or_default().to_owned();
            (answer.status == 303 || ["failed", "canceled"].contains(&status.as_str())).then_some(answer)
        })
        .await
    }

    /// Submits `{"generate": n, "seed": seed}`, waits for the 303, and
    /// returns the result (read through the redirect's `Location`).
    pub async fn import_generated(&self, n: u64, seed: u64) -> Value {
        let submitted = self.submit("import", &json!({ "generate": n, "seed": seed })).await;
        let location = submitted.header("location").expect("a Location").to_owned();
        let done = self.finished(&location, Duration::from_secs(60)).await;
        done.assert_status(303);
        let result = self.api.get(done.header("location").expect("a Location")).await;
        result.assert_status(200);
        result.body
    }
}

/// How many posts the posts service holds, asked through its API.
pub async fn posts_total(posts: &TestApi) -> u64 {
    let page = posts.get("/posts?max_results=1").await;
    page.assert_status(200);
    page.body["_meta"]["total"].as_u64().expect("a total")
}

/// A GET answered as text: status, content type, body.
pub async fn get_text(url: &str) -> (u16, String, String) {
    let client = awc::Client::builder().disable_redirects().timeout(Duration::from_secs(30)).finish();
    let mut response = client.get(url).send().await.expect("sent");
    let body = response.body().limit(64 << 20).await.expect("a body");
    let content_type =
        response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (response.status().as_u16(), content_type, String::from_utf8_lossy(&body).into_owned())
}
