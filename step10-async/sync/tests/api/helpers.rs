//! What the sync tests run against, all in-process but the sync binary
//! when a test kills it: the real posts service on a database of its own
//! ([`spawn_posts`]), and small **test targets** built from the kit alone
//! ([`spawn_target`]: the kit's server, `sync::Target` keeping title, score
//! and keywords, its `/sync/*` routes, and `GET /docs` listing what it
//! holds), so that sync is tested without the search and recommend crates.
//! A [`CountingProxy`] in front of a service records what sync asked it.
//! Every database is named by a UUID and dropped when its owner is.

use std::{
    collections::BTreeMap,
    future::Future,
    sync::{Arc, Mutex},
    time::Duration,
};

use actix_web::{http::header, web, HttpRequest, HttpResponse};
use kit::{
    mongo::Mongo,
    sync::{self, Checkpoint, Field, Kind, Target},
};
use mongodb::{
    bson::{doc, oid::ObjectId, DateTime, Document},
    Client, Database,
};
use serde_json::{json, Value};

/// What the test targets keep of each post.
pub const FIELDS: &[Field] = &[
    Field { name: "title", kind: Kind::Text },
    Field { name: "score", kind: Kind::Integer },
    Field { name: "keywords", kind: Kind::TextList },
];

/// A post's kept fields, as compared between master and target.
pub type Kept = (String, i64, Vec<String>);

/// The server the tests use: the development database.
pub fn mongodb_uri() -> String {
    std::env::var("MONGODB_URI").unwrap_or_else(|_| "mongodb://127.0.0.1:27017".into())
}

fn fresh_db(prefix: &str) -> String {
    format!("test_sync_{prefix}_{}", uuid::Uuid::new_v4().simple())
}

/// Drops its database when dropped (even when the test failed).
pub struct DropDb(pub String);

impl Drop for DropDb {
    fn drop(&mut self) {
        let name = std::mem::take(&mut self.0);
        // A fresh runtime: the test's own cannot be used from `Drop`.
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

/// A JSON answer.
pub struct Answer {
    /// The status.
    pub status: u16,
    /// The body (`null` when it is not JSON).
    pub body: Value,
}

/// A JSON call (no redirects followed, 10 s timeout).
pub async fn call(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&Value>) -> Answer {
    let client = awc::Client::builder().timeout(Duration::from_secs(10)).disable_redirects().finish();
    let mut request = client.request(method.parse().expect("a method"), url);
    for header in headers {
        request = request.insert_header(*header);
    }
    let mut response = match body {
        Some(body) => request.send_json(body).await,
        None => request.send().await,
    }
    .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let bytes = response.body().limit(64 << 20).await.expect("a body");
    Answer { status: response.status().as_u16(), body: serde_json::from_slice(&bytes).unwrap_or(Value::Null) }
}

/// `GET url` as JSON.
pub async fn get(url: &str) -> Answer {
    call("GET", url, &[], None).await
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

/// The posts service, in-process, on a database of its own.
pub struct TestPosts {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// Its database.
    pub db: Database,
    _drop: DropDb,
}

/// Starts the posts service (its domain, port 0, a fresh database).
pub async fn spawn_posts() -> TestPosts {
    let _ = env_logger::builder().is_test(true).try_init();
    let name = fresh_db("posts");
    let mut settings = mongo_rest::Settings::from_lookup(|n| posts::default(n).map(Into::into)).expect("settings");
    settings.port = 0;
    settings.mongodb_uri = mongodb_uri();
    settings.mongodb_db = name.clone();
    let app = posts::build(settings).await.expect("posts builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    let client = Client::with_uri_str(mongodb_uri()).await.expect("a client");
    TestPosts { address, db: client.database(&name), _drop: DropDb(name) }
}

/// A post document as `datasets import` writes it (no oplog entry).
pub fn seed_post(n: usize) -> Document {
    let id = ObjectId::new();
    let title = format!("Seeded post number {n} about rust");
    doc! {
        "_id": id, "id": format!("s{n}"), "name": format!("t3_s{n}"), "title": &title, "author": "seeder",
        "url": "", "domain": "", "permalink": "", "thumbnail": "", "selftext": "", "is_self": true,
        "over_18": false, "subreddit": "Python", "subreddit_id": "", "created_utc": DateTime::from_millis(1_370_746_482_000),
        "score": n as i64, "ups": 0, "downs": 0, "num_comments": 0, "source": "generated",
        "keywords": ["seeded", "rust", format!("n{n}")],
    }
}

impl TestPosts {
    /// Inserts `n` posts straight into the database.
    pub async fn seed(&self, n: usize) {
        let docs: Vec<Document> = (0..n).map(seed_post).collect();
        self.db.collection::<Document>("posts").insert_many(docs).await.expect("seeded");
    }

    /// Creates a post through the API: its id and ETag.
    pub async fn create(&self, title: &str, score: i64) -> (String, String) {
        let name = format!("t3_{}", uuid::Uuid::new_v4().simple().to_string()[..12].to_owned());
        let body = json!({ "name": name, "author": "tester", "title": title, "score": score,
                           "created_utc": "Sun, 09 Jun 2013 02:54:42 GMT" });
        let answer = call("POST", &format!("{}/posts", self.address), &[], Some(&body)).await;
        assert_eq!(answer.status, 201, "{}", answer.body);
        (answer.body["_id"].as_str().expect("an id").into(), answer.body["_etag"].as_str().expect("an etag").into())
    }

    /// PATCHes a post: its new ETag.
    pub async fn patch(&self, id: &str, etag: &str, changes: &Value) -> String {
        let url = format!("{}/posts/{id}", self.address);
        let answer = call("PATCH", &url, &[("If-Match", etag)], Some(changes)).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        answer.body["_etag"].as_str().expect("an etag").into()
    }

    /// DELETEs a post.
    pub async fn delete(&self, id: &str, etag: &str) {
        let answer = call("DELETE", &format!("{}/posts/{id}", self.address), &[("If-Match", etag)], None).await;
        assert_eq!(answer.status, 204, "{}", answer.body);
    }

    /// The last oplog `seq` (0 when empty), read from the database.
    pub async fn head(&self) -> i64 {
        let last =
            self.db.collection::<Document>("oplog").find_one(doc! {}).sort(doc! { "seq": -1 }).await.expect("read");
        last.and_then(|d| d.get_i64("seq").ok().or_else(|| d.get_i32("seq").ok().map(i64::from))).unwrap_or(0)
    }

    /// Every post's kept fields, read from the database.
    pub async fn state(&self) -> BTreeMap<String, Kept> {
        let mut out = BTreeMap::new();
        let mut cursor = self.db.collection::<Document>("posts").find(doc! {}).await.expect("read");
        while cursor.advance().await.expect("read") {
            let d = cursor.deserialize_current().expect("a document");
            out.insert(d.get_object_id("_id").expect("an id").to_hex(), kept(&d));
        }
        out
    }

    /// The number of posts, counted by the database.
    pub async fn count(&self) -> u64 {
        self.db.collection::<Document>("posts").count_documents(doc! {}).await.expect("count")
    }
}

fn kept(d: &Document) -> Kept {
    let score = d.get_i64("score").ok().or_else(|| d.get_i32("score").ok().map(i64::from)).unwrap_or_default();
    let keywords = d
        .get_array("keywords")
        .map(|a| a.iter().filter_map(|k| k.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    (d.get_str("title").unwrap_or_default().to_owned(), score, keywords)
}

/// A test target on the kit alone.
pub struct TestTarget {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// Its port.
    pub port: u16,
    server: actix_web::rt::task::JoinHandle<std::io::Result<()>>,
    _drop: DropDb,
}

async fn docs(target: web::Data<Target>) -> HttpResponse {
    let mut out = serde_json::Map::new();
    match target.collection().find(doc! { "_deleted": { "$ne": true } }).await {
        Ok(mut cursor) => {
            while let Ok(true) = cursor.advance().await {
                if let Ok(d) = cursor.deserialize_current() {
                    let (title, score, keywords) = kept(&d);
                    let id = d.get_object_id("_id").map(|i| i.to_hex()).unwrap_or_default();
                    out.insert(id, json!([title, score, keywords]));
                }
            }
            HttpResponse::Ok().json(out)
        }
        Err(e) => HttpResponse::ServiceUnavailable().json(json!({ "error": e.to_string() })),
    }
}

/// Starts a test target on `port` (0: any) whose database is at `uri`
/// (a fresh one), retrying the bind for a while (a stopped target's port).
pub async fn spawn_target(uri: &str, port: u16) -> TestTarget {
    let name = fresh_db("target");
    let mongo = Mongo::connect(uri, &name, "sync-test-target", Duration::from_millis(500)).await.expect("a client");
    let target = web::Data::new(Target::new(&mongo, "posts", FIELDS));
    let mut attempts = 0;
    let app = loop {
        let target = target.clone();
        match kit::server::Application::bind("127.0.0.1", port, 16 << 20, move |cfg| {
            cfg.app_data(target.clone()).configure(sync::configure).route("/docs", web::get().to(docs));
        }) {
            Ok(app) => break app,
            Err(e) if attempts < 50 => {
                attempts += 1;
                log::info!("test target: bind {port}: {e}; again");
                actix_web::rt::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("test target: bind {port}: {e}"),
        }
    };
    let port = app.port();
    let server = actix_web::rt::spawn(app.run_until_stopped());
    TestTarget { address: format!("http://127.0.0.1:{port}"), port, server, _drop: DropDb(name) }
}

impl TestTarget {
    /// The name of its database.
    pub fn db_name(&self) -> &str {
        &self._drop.0
    }

    /// The documents it holds (tombstones left out), by id.
    pub async fn docs(&self) -> BTreeMap<String, Kept> {
        let answer = get(&format!("{}/docs", self.address)).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        serde_json::from_value::<BTreeMap<String, Kept>>(answer.body).expect("docs")
    }

    /// Its checkpoint, if it answers.
    pub async fn checkpoint(&self) -> Option<Checkpoint> {
        let answer = get(&format!("{}/sync/checkpoint", self.address)).await;
        (answer.status == 200).then(|| serde_json::from_value(answer.body).ok()).flatten()
    }

    /// Stops its server (the port is free once this returns).
    pub async fn stop(self) {
        self.server.abort();
        let _ = self.server.await;
    }

    /// Waits until its checkpoint is the oplog head, then checks that it
    /// holds exactly the master's posts (ids and kept fields): its checkpoint.
    pub async fn assert_holds_master(&self, posts: &TestPosts) -> Checkpoint {
        let head = posts.head().await;
        let checkpoint = wait_for(Duration::from_secs(20), &format!("{} at seq {head}", self.address), || async {
            self.checkpoint().await.filter(|c| c.position.seq == Some(head) && c.position.snapshot.is_none())
        })
        .await;
        let (master, held) = (posts.state().await, self.docs().await);
        let missing: Vec<&String> = master.keys().filter(|k| !held.contains_key(*k)).collect();
        let extra: Vec<&String> = held.keys().filter(|k| !master.contains_key(*k)).collect();
        assert!(missing.is_empty() && extra.is_empty(), "missing {missing:?}, extra {extra:?}");
        assert_eq!(held, master, "a kept field differs");
        assert_eq!(held.len() as u64, posts.count().await);
        checkpoint
    }

    /// [`Self::assert_holds_master`], and nothing was applied twice:
    /// `applied` = `snapshot` documents + the entries after `snapshot_seq`.
    pub async fn assert_in_sync(&self, posts: &TestPosts, snapshot: i64, snapshot_seq: i64) {
        let checkpoint = self.assert_holds_master(posts).await;
        let head = checkpoint.position.seq.unwrap_or_default();
        assert_eq!(checkpoint.applied, snapshot + (head - snapshot_seq), "an entry applied twice or not at all");
    }
}

/// Sync's settings for the tests: port 0, quick polls and back-offs.
pub fn sync_settings(posts: &TestPosts, search: &str, recommend: &str) -> step10_sync::Settings {
    sync_settings_with(&posts.address, search, recommend, &[])
}

/// [`sync_settings`] with posts at `posts` and `extra` variables set.
pub fn sync_settings_with(
    posts: &str,
    search: &str,
    recommend: &str,
    extra: &[(&'static str, &str)],
) -> step10_sync::Settings {
    let mut vars: BTreeMap<&str, String> = BTreeMap::from([
        ("PORT", "0".to_string()),
        ("POSTS_URL", posts.to_string()),
        ("SEARCH_URL", search.to_string()),
        ("RECOMMEND_URL", recommend.to_string()),
        ("POLL_MS", "50".to_string()),
        ("REVALIDATE_MS", "1000".to_string()),
        ("BACKOFF_MAX_MS", "400".to_string()),
        ("TIMEOUT_MS", "2000".to_string()),
    ]);
    vars.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    step10_sync::Settings::read(&kit::settings::Env(move |n: &str| vars.get(n).cloned())).expect("settings")
}

/// An HTTP proxy in front of one service that records every request it
/// forwards, so that a test can count what sync asked.
pub struct CountingProxy {
    /// `http://127.0.0.1:<port>`: give this to sync instead of the service.
    pub address: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl CountingProxy {
    /// Forgets the requests seen so far.
    pub fn reset(&self) {
        self.seen.lock().expect("the log").clear();
    }

    /// The requests seen since the last reset, as `METHOD path?query` (the
    /// query decoded).
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().expect("the log").clone()
    }

    /// How many of them start with `prefix` (`GET /oplog`, `GET /sync/checkpoint`).
    pub fn count(&self, prefix: &str) -> usize {
        self.seen().iter().filter(|r| r.starts_with(prefix)).count()
    }
}

async fn forward(
    request: HttpRequest,
    body: web::Bytes,
    upstream: web::Data<String>,
    seen: web::Data<Arc<Mutex<Vec<String>>>>,
) -> HttpResponse {
    let path = request.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
    let decoded = urlencoding::decode(&path).map(|p| p.into_owned()).unwrap_or_else(|_| path.clone());
    seen.lock().expect("the log").push(format!("{} {decoded}", request.method()));
    let client = awc::Client::builder().timeout(Duration::from_secs(10)).disable_redirects().finish();
    let mut out = client.request(request.method().clone(), format!("{}{path}", upstream.get_ref()));
    for (name, value) in request.headers() {
        if name != header::HOST && name != header::CONTENT_LENGTH {
            out = out.insert_header((name.clone(), value.clone()));
        }
    }
    let mut reply = match out.send_body(body).await {
        Ok(reply) => reply,
        Err(e) => return HttpResponse::BadGateway().json(json!({ "error": e.to_string() })),
    };
    let bytes = match reply.body().limit(64 << 20).await {
        Ok(bytes) => bytes,
        Err(e) => return HttpResponse::BadGateway().json(json!({ "error": e.to_string() })),
    };
    let mut answer = HttpResponse::build(reply.status());
    for (name, value) in reply.headers() {
        if ![header::CONTENT_LENGTH, header::TRANSFER_ENCODING, header::CONNECTION].contains(name) {
            answer.insert_header((name.clone(), value.clone()));
        }
    }
    answer.body(bytes)
}

/// Starts a [`CountingProxy`] in front of `upstream` (one worker, port 0).
pub fn spawn_counting_proxy(upstream: &str) -> CountingProxy {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (for_server, upstream) = (seen.clone(), upstream.to_owned());
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new()
            .app_data(web::Data::new(upstream.clone()))
            .app_data(web::Data::new(for_server.clone()))
            .default_service(web::to(forward))
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .expect("the proxy binds");
    let port = server.addrs()[0].port();
    actix_web::rt::spawn(server.run());
    CountingProxy { address: format!("http://127.0.0.1:{port}"), seen }
}

/// Starts sync in-process: its address.
pub async fn spawn_sync(settings: step10_sync::Settings) -> String {
    let app = step10_sync::Application::build(settings).await.expect("sync builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    address
}

/// The sync binary running as a child process; killed when dropped (a
/// failed test leaves no process behind).
pub struct SyncChild(std::process::Child);

impl SyncChild {
    /// SIGKILL (`Child::kill` sends it), and reaps it.
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for SyncChild {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Sync as a child process (the real binary) between `posts` and the two targets.
pub fn spawn_sync_binary(posts: &str, search: &str, recommend: &str) -> SyncChild {
    SyncChild(
        std::process::Command::new(env!("CARGO_BIN_EXE_step10-sync"))
            .env("PORT", "0")
            .env("POSTS_URL", posts)
            .env("SEARCH_URL", search)
            .env("RECOMMEND_URL", recommend)
            .env("POLL_MS", "50")
            .env("BACKOFF_MAX_MS", "400")
            .env("RUST_LOG", std::env::var("SYNC_LOG").unwrap_or_else(|_| "warn".into()))
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("the sync binary starts"),
    )
}
