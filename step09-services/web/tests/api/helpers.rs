//! Spawns the programs on random ports against a database of their own:
//! [`spawn_api`] the REST API alone, [`spawn_app`] the API and the web front
//! in front of it. [`TestApp`] talks to the web front like a browser
//! (cookies kept, redirects not followed: tests inspect them); [`TestApi`]
//! talks JSON to the API (mongo-rest's test client, shared).

use std::{cell::RefCell, collections::HashMap, sync::Arc, time::Duration};

use mongodb::{
    bson::{doc, oid::ObjectId, DateTime, Document},
    Client, Database,
};
use step08_rest::{settings::Settings, startup::Application};
use tokio::{net::TcpListener, sync::watch};

pub use crate::client::TestApi;

/// The server the tests use: the development database.
pub fn mongodb_uri() -> String {
    std::env::var("MONGODB_URI").unwrap_or_else(|_| "mongodb://127.0.0.1:27017".into())
}

/// A running app, its own database, and a browser-like client.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// The test's own database (dropped when the `TestApp` is dropped).
    pub db: Database,
    db_name: String,
    client: awc::Client,
    cookies: RefCell<HashMap<String, String>>,
    /// The API the web front calls (its database is the same).
    pub api: TestApi,
}

/// A response, read whole.
pub struct Page {
    pub status: u16,
    pub headers: awc::http::header::HeaderMap,
    pub body: String,
}

impl Page {
    /// The `Location` header of a redirect.
    pub fn location(&self) -> &str {
        self.headers.get("location").and_then(|v| v.to_str().ok()).unwrap_or_default()
    }

    /// The CSRF token rendered into the page's forms.
    pub fn csrf_token(&self) -> String {
        let marker = r#"name="csrf_token" value=""#;
        let start = self.body.find(marker).expect("the page has a csrf_token field") + marker.len();
        self.body[start..].split('"').next().unwrap_or_default().to_owned()
    }

    /// Asserts the status, printing the body when it differs.
    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Self {
        assert_eq!(self.status, status, "unexpected status; body:\n{}", self.body);
        self
    }

    /// Asserts the body contains `text`.
    #[track_caller]
    pub fn assert_contains(&self, text: &str) -> &Self {
        assert!(self.body.contains(text), "{text:?} not found in:\n{}", self.body);
        self
    }
}

/// The app with default settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// The app with settings adjusted by `adjust` (port 0, a fresh database and
/// the address of a fresh API on the same database are set before it runs).
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let _ = env_logger::builder().is_test(true).try_init();
    let mut settings = Settings::from_lookup(|_| None).expect("default settings");
    settings.port = 0;
    settings.mongodb_uri = mongodb_uri();
    settings.mongodb_db = format!("test_step08_{}", uuid::Uuid::new_v4().simple());
    settings.db_timeout = Duration::from_millis(1_500);
    settings.api_timeout = Duration::from_secs(10);
    adjust(&mut settings);
    let uri = settings.mongodb_uri.clone();
    let timeout = settings.db_timeout;
    let api = spawn_api_with(|a| {
        a.mongodb_uri = uri;
        a.mongodb_db = settings.mongodb_db.clone();
        a.db_timeout = timeout;
        // The web front's port is random: let the browser tests' pages call
        // the API from wherever they are served.
        a.cors_origins = vec!["*".into()];
    })
    .await;
    if settings.api_url == "http://127.0.0.1:5002" {
        settings.api_url = api.address.clone();
        settings.public_api_url = api.address.clone();
    }
    let db_name = settings.mongodb_db.clone();
    let app = Application::build(settings).await.expect("the app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    let client = Client::with_uri_str(mongodb_uri()).await.expect("a MongoDB client");
    TestApp {
        address,
        db: client.database(&db_name),
        db_name,
        client: awc::Client::builder().disable_redirects().timeout(Duration::from_secs(30)).finish(),
        cookies: RefCell::new(HashMap::new()),
        api,
    }
}

/// The API on the reddit domain (what `step08-api` serves).
pub async fn spawn_api() -> TestApi {
    spawn_api_with(|_| {}).await
}

/// The API with settings adjusted by `adjust` (port 0 and a fresh database
/// are set before it runs).
pub async fn spawn_api_with(adjust: impl FnOnce(&mut mongo_rest::Settings)) -> TestApi {
    let _ = env_logger::builder().is_test(true).try_init();
    let mut settings = mongo_rest::Settings::from_lookup(|_| None).expect("default settings");
    settings.port = 0;
    settings.domain = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("domains/reddit.toml");
    settings.mongodb_uri = mongodb_uri();
    let own_db = format!("test_step08_api_{}", uuid::Uuid::new_v4().simple());
    settings.mongodb_db = own_db.clone();
    settings.db_timeout = Duration::from_millis(1_500);
    adjust(&mut settings);
    // Only a database this function named is dropped by the `TestApi`.
    let (name, owned) = (settings.mongodb_db.clone(), settings.mongodb_db == own_db);
    let app = mongo_rest::Application::build(settings).await.expect("the API builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    TestApi::new(address, &name, owned).await
}

impl TestApp {
    fn cookie_header(&self) -> String {
        self.cookies.borrow().iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn read(
        &self,
        mut response: awc::ClientResponse<
            impl futures::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>> + Unpin,
        >,
    ) -> Page {
        for value in response.headers().get_all("set-cookie") {
            let raw = value.to_str().expect("ascii cookie");
            let pair = raw.split(';').next().unwrap_or_default();
            let (name, value) = pair.split_once('=').expect("name=value");
            let expired = raw.to_ascii_lowercase().contains("max-age=0");
            if expired || value.is_empty() {
                self.cookies.borrow_mut().remove(name);
            } else {
                self.cookies.borrow_mut().insert(name.to_owned(), value.to_owned());
            }
        }
        let body = response.body().limit(8 * 1024 * 1024).await.expect("a body");
        Page {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    /// `GET path`, with the cookies.
    pub async fn get(&self, path: &str) -> Page {
        let response = self
            .client
            .get(format!("{}{path}", self.address))
            .insert_header(("cookie", self.cookie_header()))
            .send()
            .await
            .expect("the request is sent");
        self.read(response).await
    }

    /// `POST path` with a urlencoded form, with the cookies.
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let response = self
            .client
            .post(format!("{}{path}", self.address))
            .insert_header(("cookie", self.cookie_header()))
            .send_form(&form)
            .await
            .expect("the request is sent");
        self.read(response).await
    }

    /// Logs in through the form, as a browser would.
    pub async fn login(&self, username: &str, remember: bool) -> Page {
        let token = self.get("/login").await.csrf_token();
        let mut form = vec![("csrf_token", token.as_str()), ("username", username)];
        if remember {
            form.push(("remember", "1"));
        }
        self.post_form("/login", &form).await
    }

    /// The current CSRF token, read from the login page.
    pub async fn csrf_token(&self) -> String {
        self.get("/login").await.csrf_token()
    }

    /// Forgets every cookie (a new browser).
    pub fn clear_cookies(&self) {
        self.cookies.borrow_mut().clear();
    }

    /// The session cookie's value, if any.
    pub fn session_cookie(&self) -> Option<String> {
        self.cookies.borrow().get("reddit_session").cloned()
    }

    /// Inserts posts, returning their ids.
    pub async fn seed(&self, posts: Vec<Document>) -> Vec<ObjectId> {
        let result = self.db.collection::<Document>("posts").insert_many(posts).await.expect("posts inserted");
        let mut ids: Vec<(usize, ObjectId)> =
            result.inserted_ids.into_iter().map(|(i, id)| (i, id.as_object_id().expect("an ObjectId"))).collect();
        ids.sort_by_key(|(i, _)| *i);
        ids.into_iter().map(|(_, id)| id).collect()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Drop the test's database even when the test failed. The client of
        // the test's runtime cannot be used from here: use a fresh one.
        let name = self.db_name.clone();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
            runtime.block_on(async {
                if let Ok(client) = Client::with_uri_str(mongodb_uri()).await {
                    let _ = client.database(&name).drop().await;
                }
            });
        })
        .join();
    }
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

/// A TCP proxy in front of the development database that the test can take
/// down and bring back, to play "MongoDB stopped" without stopping it.
pub struct DbProxy {
    /// A URI that goes through the proxy.
    pub uri: String,
    up: Arc<watch::Sender<bool>>,
}

impl DbProxy {
    /// Starts the proxy, up.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let port = listener.local_addr().expect("an address").port();
        let uri = mongodb_uri();
        let target = uri.trim_start_matches("mongodb://").split(['/', '?', ',']).next().unwrap_or_default().to_owned();
        let target = target.rsplit('@').next().unwrap_or_default().to_owned();
        let (up, _) = watch::channel(true);
        let up = Arc::new(up);
        let state = up.clone();
        actix_web::rt::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let mut down = state.subscribe();
                if !*down.borrow() {
                    continue; // dropped: the connection is refused
                }
                let target = target.clone();
                actix_web::rt::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await else { return };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = down.wait_for(|up| !*up) => {}
                    }
                });
            }
        });
        // Direct connection: the server advertises its own address, which
        // would otherwise lead the driver around the proxy.
        Self { uri: format!("mongodb://127.0.0.1:{port}/?directConnection=true"), up }
    }

    /// Cuts every connection and refuses new ones.
    pub fn down(&self) {
        self.up.send_replace(false);
    }

    /// Accepts connections again.
    pub fn up(&self) {
        self.up.send_replace(true);
    }
}
