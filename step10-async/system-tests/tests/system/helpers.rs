//! Starts step 10 in the test process: posts, tags, search, recommend,
//! sync, likes, shares, hide, jobs and web, each on port 0 with a fresh
//! database of its own (dropped when the [`System`] is), wired to each
//! other by their `*_URL` settings; [`Browser`], a client of the web
//! front that keeps its cookies and submits its forms; and [`AccessLog`],
//! which keeps the access-log lines (actix's `Logger`) that carry a given
//! request id, from every service of the process.

use std::{
    cell::RefCell,
    collections::HashMap,
    sync::{Mutex, Once},
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
    /// The likes service.
    pub likes: TestApi,
    /// The shares service.
    pub shares: TestApi,
    /// The hide service.
    pub hide: TestApi,
    /// The jobs service (its workers poll every 50 ms).
    pub jobs: TestApi,
    /// The web front, wired to every service above.
    pub web: TestApi,
    /// The settings the web front was started with (its `*_URL`s), for
    /// [`System::another_web`].
    web_settings: Vec<(&'static str, String)>,
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
    /// Starts the ten services, the targets before sync and web.
    pub async fn start() -> Self {
        install_logger();
        let run = uuid::Uuid::new_v4().simple().to_string();
        let db = |service: &str| format!("test_s10_{run}_{service}");
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

        let settings = likes::settings::Settings::read(&Env(lookup(base("likes"), no_defaults))).unwrap();
        let likes = likes::Application::build(settings).await.expect("likes builds");
        let likes_url = local(likes.port());
        actix_web::rt::spawn(likes.run_until_stopped());

        let mut pairs = base("shares");
        pairs.push(("POSTS_URL", posts_url.clone()));
        let settings = shares::settings::Settings::read(&Env(lookup(pairs, no_defaults))).unwrap();
        let shares = shares::Application::build(settings).await.expect("shares builds");
        let shares_url = local(shares.port());
        actix_web::rt::spawn(shares.run_until_stopped());

        let settings = hide::settings::Settings::read(&Env(lookup(base("hide"), no_defaults))).unwrap();
        let hide = hide::Application::build(settings).await.expect("hide builds");
        let hide_url = local(hide.port());
        actix_web::rt::spawn(hide.run_until_stopped());

        let mut pairs = base("jobs");
        pairs.extend([
            ("POSTS_URL", posts_url.clone()),
            ("TAGS_URL", tags_url.clone()),
            ("JOBS_POLL_MS", "50".into()),
            ("JOBS_RETRY_DELAY_MS", "100".into()),
        ]);
        let settings = jobs::settings::Settings::read(&Env(lookup(pairs, no_defaults))).unwrap();
        let jobs = jobs::Application::build(settings).await.expect("jobs builds");
        let jobs_url = local(jobs.port());
        actix_web::rt::spawn(jobs.run_until_stopped());

        let mut web_settings = base("web");
        web_settings.extend([
            ("POSTS_URL", posts_url.clone()),
            ("SEARCH_URL", search_url.clone()),
            ("RECOMMEND_URL", recommend_url.clone()),
            ("TAGS_URL", tags_url.clone()),
            ("LIKES_URL", likes_url.clone()),
            ("SHARES_URL", shares_url.clone()),
            ("HIDE_URL", hide_url.clone()),
            // Read once the web front has a job page (an unknown name is
            // ignored until then).
            ("JOBS_URL", jobs_url.clone()),
        ]);
        let web_url = start_web(web_settings.clone()).await;

        Self {
            posts: TestApi::new(posts_url, &db("posts"), true).await,
            tags: TestApi::new(tags_url, &db("tags"), true).await,
            search: TestApi::new(search_url, &db("search"), true).await,
            recommend: TestApi::new(recommend_url, &db("recommend"), true).await,
            sync: TestApi::new(sync_url, &db("sync"), false).await,
            likes: TestApi::new(likes_url, &db("likes"), true).await,
            shares: TestApi::new(shares_url, &db("shares"), true).await,
            hide: TestApi::new(hide_url, &db("hide"), true).await,
            jobs: TestApi::new(jobs_url, &db("jobs"), true).await,
            web: TestApi::new(web_url, &db("web"), true).await,
            web_settings,
        }
    }

    /// A second web front on the same database (its users and sessions)
    /// and services, but with the settings in `changed` (say, `LIKES_URL`
    /// at [`dead_url`]); its address.
    pub async fn another_web(&self, changed: &[(&'static str, String)]) -> String {
        let mut settings = self.web_settings.clone();
        settings.retain(|(name, _)| changed.iter().all(|(other, _)| other != name));
        settings.extend(changed.iter().cloned());
        start_web(settings).await
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

/// Starts a web front with `settings` (nothing else read); its address.
async fn start_web(settings: Vec<(&'static str, String)>) -> String {
    let settings = web::settings::Settings::from_lookup(lookup(settings, no_defaults)).unwrap();
    let web = web::startup::Application::build(settings).await.expect("web builds");
    let web_url = local(web.port());
    actix_web::rt::spawn(web.run_until_stopped());
    web_url
}

/// A base URL where nothing listens (a port bound, then released).
pub fn dead_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().expect("an address").port();
    drop(listener);
    local(port)
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

impl Html {
    /// The `Location` header of a redirect.
    pub fn location(&self) -> &str {
        self.header("location")
    }

    /// The fields of the first form posting to `action`, as a browser
    /// would send them (its inputs with a value), or `None` when the page
    /// has no such form.
    pub fn form(&self, action: &str) -> Option<Vec<(String, String)>> {
        let start = self.text.find(&format!(r#"action="{action}""#))?;
        let form = &self.text[start..];
        let form = &form[..form.find("</form>").unwrap_or(form.len())];
        let mut fields = Vec::new();
        for input in form.split("<input").skip(1) {
            let attr = |name: &str| {
                let marker = format!(r#"{name}=""#);
                input.find(&marker).map(|i| unescape(input[i + marker.len()..].split('"').next().unwrap_or_default()))
            };
            if let (Some(name), Some(value)) = (attr("name"), attr("value")) {
                fields.push((name, value));
            }
        }
        Some(fields)
    }

    /// The CSRF token rendered into the page's forms.
    pub fn csrf_token(&self) -> String {
        let marker = r#"name="csrf_token" value=""#;
        let start = self.text.find(marker).expect("the page has a csrf_token field") + marker.len();
        self.text[start..].split('"').next().unwrap_or_default().to_owned()
    }

    /// The body with Tera's HTML escapes undone, as a browser shows it.
    pub fn shown(&self) -> String {
        unescape(&self.text)
    }
}

/// Undoes the escapes Tera's HTML escaping makes (`&#x2F;` is `/`).
pub fn unescape(text: &str) -> String {
    text.replace("&#x2F;", "/")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A browser of one web front: its cookies kept (the session), redirects
/// not followed (the tests look at them).
pub struct Browser {
    /// The web front's `http://127.0.0.1:<port>`.
    pub address: String,
    client: awc::Client,
    cookies: RefCell<HashMap<String, String>>,
}

impl Browser {
    /// A browser without cookies, of the web front at `address`.
    pub fn new(address: &str) -> Self {
        Self {
            address: address.to_owned(),
            client: awc::Client::builder().disable_redirects().timeout(Duration::from_secs(30)).finish(),
            cookies: RefCell::default(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies.borrow().iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn read(
        &self,
        mut response: awc::ClientResponse<
            impl futures::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>> + Unpin,
        >,
    ) -> Html {
        for value in response.headers().get_all("set-cookie") {
            let raw = value.to_str().expect("an ASCII cookie");
            let pair = raw.split(';').next().unwrap_or_default();
            let (name, value) = pair.split_once('=').expect("name=value");
            if raw.to_ascii_lowercase().contains("max-age=0") || value.is_empty() {
                self.cookies.borrow_mut().remove(name);
            } else {
                self.cookies.borrow_mut().insert(name.to_owned(), value.to_owned());
            }
        }
        let bytes = response.body().limit(4 << 20).await.expect("a body");
        Html {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            text: String::from_utf8_lossy(&bytes).into(),
        }
    }

    /// `GET path`, with the cookies.
    pub async fn get(&self, path: &str) -> Html {
        self.get_with(path, &[]).await
    }

    /// `GET path`, with the cookies and these headers.
    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Html {
        let mut request =
            self.client.get(format!("{}{path}", self.address)).insert_header(("cookie", self.cookie_header()));
        for (name, value) in headers {
            request = request.insert_header((*name, *value));
        }
        let response = request.send().await.expect("the page request is sent");
        self.read(response).await
    }

    /// `POST path` with a urlencoded form, with the cookies.
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Html {
        let request =
            self.client.post(format!("{}{path}", self.address)).insert_header(("cookie", self.cookie_header()));
        let response = request.send_form(&form).await.expect("the form is sent");
        self.read(response).await
    }

    /// Submits `fields` (from [`Html::form`]) to `path`.
    pub async fn submit(&self, path: &str, fields: &[(String, String)]) -> Html {
        let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        self.post_form(path, &form).await
    }

    /// Logs in as `username` through the login form; asserts the 303.
    pub async fn login(&self, username: &str) {
        let token = self.get("/login").await.csrf_token();
        let answer = self.post_form("/login", &[("csrf_token", &token), ("username", username)]).await;
        assert_eq!(answer.status, 303, "the login is refused:\n{}", answer.text);
    }

    /// Fetches `page`, then submits its form posting to `action` as it is
    /// (a fresh form key each time); the answer.
    pub async fn submit_form_on(&self, page: &str, action: &str) -> Html {
        let shown = self.get(page).await;
        let fields = shown.form(action).unwrap_or_else(|| panic!("no form to {action} on {page}:\n{}", shown.text));
        self.submit(action, &fields).await
    }
}

/// The target of actix's access log (its `Logger` middleware, which every
/// service wraps with `mongo_rest::request_id::LOG_FORMAT`).
pub const ACCESS_LOG_TARGET: &str = "actix_web::middleware::logger";

/// The request ids being watched, each with the access-log lines that
/// carry it so far. Only watched ids are kept, so a long test binary (the
/// fuzz test sends thousands of requests) does not pile its logs up.
static WATCHED: Mutex<Vec<(String, Vec<String>)>> = Mutex::new(Vec::new());

/// The test binary's logger: keeps the access-log lines of watched
/// request ids ([`AccessLog`]), and hands every record to env_logger,
/// whose own filter (`RUST_LOG`, nothing by default) decides what is
/// printed.
struct Recorder {
    env: env_logger::Logger,
}

impl log::Log for Recorder {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        is_access_log(metadata) || log::Log::enabled(&self.env, metadata)
    }

    fn log(&self, record: &log::Record<'_>) {
        if is_access_log(record.metadata()) {
            let line = record.args().to_string();
            // LOG_FORMAT starts with the request's `X-Request-Id`.
            let id = line.split(' ').next().unwrap_or_default();
            let mut watched = WATCHED.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((_, lines)) = watched.iter_mut().find(|(watched, _)| watched == id) {
                lines.push(line.clone());
            }
        }
        log::Log::log(&self.env, record);
    }

    fn flush(&self) {
        log::Log::flush(&self.env);
    }
}

/// Whether a record is one of actix's access-log lines (info, the level
/// `Logger` uses by default).
fn is_access_log(metadata: &log::Metadata<'_>) -> bool {
    metadata.target() == ACCESS_LOG_TARGET && metadata.level() <= log::Level::Info
}

/// Installs [`Recorder`] once for the test binary (`System::start` calls
/// it). The global maximum level lets info records through even when
/// `RUST_LOG` asks for less (the access log must reach the recorder);
/// env_logger still filters what it prints by its own setting.
fn install_logger() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let env = env_logger::Builder::from_default_env().is_test(true).build();
        let max = env.filter().max(log::LevelFilter::Info);
        if log::set_boxed_logger(Box::new(Recorder { env })).is_ok() {
            log::set_max_level(max);
        }
    });
}

/// The access-log lines of one request id, from every service in the
/// process, kept from [`AccessLog::watch`] until it is dropped.
pub struct AccessLog {
    id: String,
}

impl AccessLog {
    /// Starts keeping the lines whose `X-Request-Id` is `id`.
    pub fn watch(id: &str) -> Self {
        install_logger();
        let mut watched = WATCHED.lock().unwrap_or_else(|e| e.into_inner());
        watched.push((id.to_owned(), Vec::new()));
        Self { id: id.to_owned() }
    }

    /// The lines kept so far, in the order they were logged.
    pub fn lines(&self) -> Vec<String> {
        let watched = WATCHED.lock().unwrap_or_else(|e| e.into_inner());
        watched.iter().find(|(id, _)| *id == self.id).map(|(_, lines)| lines.clone()).unwrap_or_default()
    }
}

impl Drop for AccessLog {
    fn drop(&mut self) {
        let mut watched = WATCHED.lock().unwrap_or_else(|e| e.into_inner());
        watched.retain(|(id, _)| *id != self.id);
    }
}
