//! Starts step 9 in the test process: posts, tags, search, recommend,
//! sync and web, each on port 0 with a fresh database of its own (dropped
//! when the [`System`] is), wired to each other by their `*_URL` settings.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use kit::settings::Env;
use serde_json::{json, Value};

pub use crate::client::TestApi;

/// The server the tests use: the development database.
pub fn mongodb_uri() -> String {
    std::env::var("MONGODB_URI").unwrap_or_else(|_| "mongodb://127.0.0.1:27017".into())
}

/// Every service of the step, running.
pub struct System {
    /// The posts service (its database holds the posts and the oplog).
    pub posts: TestApi,
    /// The tags service.
    pub tags: TestApi,
    /// The search service.
    pub search: TestApi,
    /// The recommend service.
    pub recommend: TestApi,
    /// The sync service (no database: its `db` is unused).
    pub sync: TestApi,
    /// The web front.
    pub web: TestApi,
}

/// A lookup over `pairs`, falling back to `fallback` (a service's defaults).
fn lookup(
    pairs: Vec<(&'static str, String)>,
    fallback: fn(&str) -> Option<&'static str>,
) -> impl Fn(&str) -> Option<String> + Clone {
    let map: HashMap<&'static str, String> = pairs.into_iter().collect();
    move |name: &str| map.get(name).cloned().or_else(|| fallback(name).map(Into::into))
}

fn no_defaults(_: &str) -> Option<&'static str> {
    None
}

/// `http://127.0.0.1:<port>`.
fn local(port: u16) -> String {
    format!("http://127.0.0.1:{port}")
}

impl System {
    /// Starts the six services, the targets before sync and web.
    pub async fn start() -> Self {
        let _ = env_logger::builder().is_test(true).try_init();
        let run = uuid::Uuid::new_v4().simple().to_string();
        let db = |service: &str| format!("test_s9_{run}_{service}");
        let uri = mongodb_uri();
        let base =
            |service: &str| vec![("PORT", "0".to_string()), ("MONGODB_URI", uri.clone()), ("MONGODB_DB", db(service))];

        let settings = mongo_rest::Settings::from_lookup(lookup(base("posts"), posts::default)).unwrap();
        let posts = posts::build(settings).await.expect("posts builds");
        let posts_url = local(posts.port());
        actix_web::rt::spawn(posts.run_until_stopped());

        let settings = mongo_rest::Settings::from_lookup(lookup(base("tags"), tags::default)).unwrap();
        let tags = tags::build(settings).await.expect("tags builds");
        let tags_url = local(tags.port());
        actix_web::rt::spawn(tags.run_until_stopped());

        let settings = search::settings::Settings::read(&Env(lookup(base("search"), no_defaults))).unwrap();
        let search = search::Application::build(settings).await.expect("search builds");
        let search_url = local(search.port());
        actix_web::rt::spawn(search.run_until_stopped());

        let mut pairs = base("recommend");
        pairs.push(("REFRESH_MS", "100".into()));
        let settings = recommend::Settings::read(&Env(lookup(pairs, no_defaults))).unwrap();
        let recommend = recommend::Application::build(settings).await.expect("recommend builds");
        let recommend_url = local(recommend.port());
        actix_web::rt::spawn(recommend.run_until_stopped());

        let pairs = vec![
            ("PORT", "0".to_string()),
            ("POSTS_URL", posts_url.clone()),
            ("SEARCH_URL", search_url.clone()),
            ("RECOMMEND_URL", recommend_url.clone()),
            ("POLL_MS", "100".into()),
        ];
        let settings = sync::Settings::read(&Env(lookup(pairs, no_defaults))).unwrap();
        let sync = sync::Application::build(settings).await.expect("sync builds");
        let sync_url = local(sync.port());
        actix_web::rt::spawn(sync.run_until_stopped());

        let mut pairs = base("web");
        pairs.extend([
            ("POSTS_URL", posts_url.clone()),
            ("SEARCH_URL", search_url.clone()),
            ("RECOMMEND_URL", recommend_url.clone()),
            ("TAGS_URL", tags_url.clone()),
        ]);
        let settings = web::settings::Settings::from_lookup(lookup(pairs, no_defaults)).unwrap();
        let web = web::startup::Application::build(settings).await.expect("web builds");
        let web_url = local(web.port());
        actix_web::rt::spawn(web.run_until_stopped());

        Self {
            posts: TestApi::new(posts_url, &db("posts"), true).await,
            tags: TestApi::new(tags_url, &db("tags"), true).await,
            search: TestApi::new(search_url, &db("search"), true).await,
            recommend: TestApi::new(recommend_url, &db("recommend"), true).await,
            sync: TestApi::new(sync_url, &db("sync"), false).await,
            web: TestApi::new(web_url, &db("web"), true).await,
        }
    }

    /// Waits until both targets have applied the posts' whole oplog: each
    /// target's own checkpoint at least the oplog's head as posts says it
    /// now (sync's `lag` is relative to the head it last read, which can be
    /// older than a write the test just made), at most `within`.
    pub async fn wait_synced(&self, within: Duration) {
        let head = self.posts.get("/oplog?sort=-seq&max_results=1&count=none").await;
        head.assert_status(200);
        let head = head.body["_items"][0]["seq"].as_i64().unwrap_or(0);
        let started = Instant::now();
        loop {
            let mut caught_up = true;
            for target in [&self.search, &self.recommend] {
                let checkpoint = target.get("/sync/checkpoint").await;
                caught_up &= checkpoint.status == 200
                    && checkpoint.body["snapshot"].is_null()
                    && checkpoint.body["seq"].as_i64().is_some_and(|seq| seq >= head);
            }
            if caught_up {
                return;
            }
            let ready = self.sync.get("/health/ready").await;
            assert!(
                started.elapsed() < within,
                "the targets did not reach seq {head} within {within:?}: {:#}",
                ready.body
            );
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Creates a post through the posts API; returns it as the API answers.
    pub async fn create_post(&self, title: &str, score: i64) -> Value {
        let body = json!({
            "name": format!("t3_{}", &uuid::Uuid::new_v4().simple().to_string()[..12]),
            "author": "system-test",
            "title": title,
            "created_utc": "Tue, 02 Apr 2013 10:29:13 GMT",
            "score": score,
            "ups": score + 10,
            "downs": 10,
            "num_comments": 3,
        });
        let created = self.posts.post("/posts", &body).await;
        created.assert_status(201);
        created.body
    }
}

/// Polls `probe` every 50 ms until it returns true, at most `within`;
/// returns how long it took.
pub async fn eventually<F, Fut>(within: Duration, what: &str, mut probe: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !probe().await {
        assert!(started.elapsed() < within, "not within {within:?}: {what}");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    started.elapsed()
}

/// An HTML page, read whole.
pub struct Html {
    /// The status.
    pub status: u16,
    /// The headers.
    pub headers: awc::http::header::HeaderMap,
    /// The body.
    pub text: String,
}

impl Html {
    /// A header's value, or "".
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }
}

/// `GET url` as a browser would (redirects not followed).
pub async fn page(url: &str) -> Html {
    let client = awc::Client::builder().disable_redirects().timeout(Duration::from_secs(30)).finish();
    let mut response = client.get(url).send().await.expect("the page request is sent");
    let bytes = response.body().limit(4 << 20).await.expect("a body");
    Html {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        text: String::from_utf8_lossy(&bytes).into(),
    }
}
