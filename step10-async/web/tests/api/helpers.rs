//! Spawns the web front on a random port with everything it calls: the
//! real posts and tags services (in-process, each on a fresh database) and
//! stand-in servers for search, recommend, likes, shares and hide
//! ([`StandIn`]: small actix apps answering the services' contracts, from
//! the posts' database or from memory, with switches to make them fail or
//! slow), tags reached through a stand-in proxy (so that it can be slowed
//! too). [`TestApp`] talks to the web front like a browser (cookies kept,
//! redirects not followed: tests inspect them).
#![allow(dead_code)]

use std::{
    cell::RefCell,
    collections::{BTreeSet, HashMap},
    sync::{
        atomic::{AtomicU64, AtomicU8, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    middleware::{from_fn, Next},
    web, App, HttpRequest, HttpResponse, HttpServer,
};
use mongodb::{
    bson::{doc, oid::ObjectId, DateTime, Document},
    Client, Database,
};
use serde::Deserialize;
use serde_json::{json, Value};
use step10_web::{settings::Settings, startup::Application};

pub use crate::client::TestApi;

/// The server the tests use: the development database.
pub fn mongodb_uri() -> String {
    std::env::var("MONGODB_URI").unwrap_or_else(|_| "mongodb://127.0.0.1:27017".into())
}

/// The service timeout the tests run the web front with.
pub const TEST_SERVICE_TIMEOUT: Duration = Duration::from_millis(1_000);

/// A running web front, what it calls, and a browser-like client.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// The web front's own database (dropped when the `TestApp` is dropped).
    pub db: Database,
    db_name: String,
    /// The settings it runs with (for a second instance on the same database).
    pub settings: Settings,
    client: awc::Client,
    cookies: RefCell<HashMap<String, String>>,
    /// The posts service (its database holds the posts).
    pub posts: TestApi,
    /// The tags service.
    pub tags: TestApi,
    /// The proxy in front of tags that the web front calls (to slow tags).
    pub tags_proxy: StandIn,
    /// The search stand-ins (one unless asked for more).
    pub searches: Vec<StandIn>,
    /// The recommend stand-in.
    pub recommend: StandIn,
    /// The likes stand-in.
    pub likes: StandIn,
    /// The shares stand-in.
    pub shares: StandIn,
    /// The hide stand-in.
    pub hide: StandIn,
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
        self.header("location")
    }

    /// A header as text (empty when absent).
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }

    /// The CSRF token rendered into the page's forms.
    pub fn csrf_token(&self) -> String {
        let marker = r#"name="csrf_token" value=""#;
        let start = self.body.find(marker).expect("the page has a csrf_token field") + marker.len();
        self.body[start..].split('"').next().unwrap_or_default().to_owned()
    }

    /// The fields of the first form posting to `action`, as a browser
    /// would send them (its hidden inputs), or `None` when the page has no
    /// such form.
    pub fn form(&self, action: &str) -> Option<Vec<(String, String)>> {
        let start = self.body.find(&format!(r#"action="{action}""#))?;
        let form = &self.body[start..];
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

    /// The body with Tera's HTML escapes undone (`&#x2F;` is `/`), as a
    /// browser shows it.
    pub fn text(&self) -> String {
        unescape(&self.body)
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

/// Undoes the escapes Tera's HTML escaping makes.
pub fn unescape(text: &str) -> String {
    text.replace("&#x2F;", "/")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A base URL where nothing listens (a port bound, then released).
pub fn dead_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().expect("an address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// The app with default settings.
pub async fn spawn_app() -> TestApp {
    spawn(1, |_| {}).await
}

/// The app with settings adjusted by `adjust`.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn(1, adjust).await
}

/// Posts, tags, `searches` search stand-ins, a recommend stand-in and the
/// web front, with its settings adjusted by `adjust` (port 0, a fresh
/// database and the services' addresses are set before it runs).
pub async fn spawn(searches: usize, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let _ = env_logger::builder().is_test(true).try_init();
    let posts = spawn_rest(posts::default, "posts").await;
    let tags = spawn_rest(tags::default, "tags").await;
    let mut search_stand_ins = Vec::new();
    for _ in 0..searches {
        search_stand_ins.push(StandIn::start(Kind::Search, posts.db.clone()).await);
    }
    let recommend = StandIn::start(Kind::Recommend, posts.db.clone()).await;
    let likes = StandIn::start(Kind::Likes, posts.db.clone()).await;
    let shares = StandIn::start(Kind::Shares, posts.db.clone()).await;
    let hide = StandIn::start(Kind::Hide, posts.db.clone()).await;
    let tags_proxy = StandIn::start(Kind::Proxy(tags.address.clone()), posts.db.clone()).await;
    let mut settings = Settings::from_lookup(|_| None).expect("default settings");
    settings.port = 0;
    settings.mongodb_uri = mongodb_uri();
    settings.mongodb_db = format!("test_step10_web_{}", uuid::Uuid::new_v4().simple());
    settings.db_timeout = Duration::from_millis(1_500);
    settings.service_timeout = TEST_SERVICE_TIMEOUT;
    settings.posts_url = vec![posts.address.clone()];
    settings.tags_url = vec![tags_proxy.address.clone()];
    settings.likes_url = vec![likes.address.clone()];
    settings.shares_url = vec![shares.address.clone()];
    settings.hide_url = vec![hide.address.clone()];
    settings.search_url = search_stand_ins.iter().map(|s| s.address.clone()).collect();
    settings.recommend_url = vec![recommend.address.clone()];
    adjust(&mut settings);
    let db_name = settings.mongodb_db.clone();
    let address = start_web(settings.clone()).await;
    let client = Client::with_uri_str(mongodb_uri()).await.expect("a MongoDB client");
    TestApp {
        address,
        db: client.database(&db_name),
        db_name,
        settings,
        client: awc::Client::builder().disable_redirects().timeout(Duration::from_secs(30)).finish(),
        cookies: RefCell::new(HashMap::new()),
        posts,
        tags,
        tags_proxy,
        searches: search_stand_ins,
        recommend,
        likes,
        shares,
        hide,
    }
}

/// Starts a web front; its address.
async fn start_web(settings: Settings) -> String {
    let app = Application::build(settings).await.expect("the web front builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    address
}

/// A mongo-rest service of the step (posts, tags) on port 0 and a fresh
/// database, with the service's own defaults otherwise.
async fn spawn_rest(default: fn(&str) -> Option<&'static str>, name: &str) -> TestApi {
    let mut settings = mongo_rest::Settings::from_lookup(|n| default(n).map(Into::into)).expect("default settings");
    settings.port = 0;
    settings.mongodb_uri = mongodb_uri();
    settings.mongodb_db = format!("test_step10_web_{name}_{}", uuid::Uuid::new_v4().simple());
    settings.db_timeout = Duration::from_millis(1_500);
    let db = settings.mongodb_db.clone();
    let app = match name {
        "posts" => posts::build(settings).await,
        _ => tags::build(settings).await,
    }
    .expect("the service builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    TestApi::new(address, &db, true).await
}

/// Which contract a stand-in answers.
#[derive(Clone, PartialEq, Eq)]
pub enum Kind {
    /// `GET /v1/search`.
    Search,
    /// `GET /v2/recommendations`.
    Recommend,
    /// likes' `/v1/likes`, from memory.
    Likes,
    /// shares' `/v1/shares`, from memory.
    Shares,
    /// hide's `/v1/hidden`, from memory.
    Hide,
    /// Forwards every call to the service at this base URL.
    Proxy(String),
}

/// How a stand-in behaves, switchable while it runs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum Mode {
    /// Answers the contract.
    Normal = 0,
    /// Sends the head at once and the body after twice the web's timeout.
    SlowBody = 1,
    /// Answers 503 with Eve's error envelope.
    Unavailable = 2,
}

/// What the in-memory stand-ins hold.
#[derive(Default)]
struct Memory {
    /// likes: post id → the users who like it.
    likes: HashMap<String, BTreeSet<String>>,
    /// shares: (post id, user) → code.
    codes: HashMap<(String, String), String>,
    /// shares: code → (post id, visits).
    links: HashMap<String, (String, i64)>,
    /// hide: user → hidden post ids, in the order hidden.
    hidden: HashMap<String, Vec<String>>,
}

/// What a stand-in shares with its workers.
struct State {
    kind: Kind,
    posts: Database,
    mode: AtomicU8,
    request_ids: Mutex<Vec<String>>,
    /// Every `Idempotency-Key` received, in order.
    idempotency_keys: Mutex<Vec<String>>,
    /// The delay added to every call but `/health/*`, in milliseconds.
    latency_ms: AtomicU64,
    /// The sum of the delays served so far: what calling this stand-in's
    /// calls one after another would have cost.
    waited_ms: AtomicU64,
    memory: Mutex<Memory>,
}

/// A stand-in for a service: answers what the real service would answer
/// (search and recommend from the posts' database, once sync has carried
/// the posts; likes, shares and hide from memory; a proxy forwards), and
/// records the `X-Request-Id` of every call.
pub struct StandIn {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    state: Arc<State>,
    server: actix_web::dev::ServerHandle,
}

impl StandIn {
    /// Starts one on port 0.
    pub async fn start(kind: Kind, posts: Database) -> Self {
        let state = Arc::new(State {
            kind,
            posts,
            mode: AtomicU8::new(0),
            request_ids: Mutex::new(Vec::new()),
            idempotency_keys: Mutex::new(Vec::new()),
            latency_ms: AtomicU64::new(0),
            waited_ms: AtomicU64::new(0),
            memory: Mutex::new(Memory::default()),
        });
        let data = web::Data::from(state.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        let address = format!("http://127.0.0.1:{}", listener.local_addr().expect("an address").port());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::Data::new(awc::Client::builder().disable_redirects().finish()))
                .wrap(from_fn(gate))
                .route("/health/ready", web::get().to(|| async { HttpResponse::Ok().json(json!({"status": "ready"})) }))
                .default_service(web::to(stand_in))
        })
        .workers(1)
        .listen(listener)
        .expect("listens")
        .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Self { address, state, server: handle }
    }

    /// Switches the behaviour.
    pub fn set_mode(&self, mode: Mode) {
        self.state.mode.store(mode as u8, Ordering::SeqCst);
    }

    /// Adds `latency` to every call from now on (`/health/*` excepted).
    pub fn set_latency(&self, latency: Duration) {
        self.state.latency_ms.store(latency.as_millis() as u64, Ordering::SeqCst);
    }

    /// The sum of the delays served so far.
    pub fn waited(&self) -> Duration {
        Duration::from_millis(self.state.waited_ms.load(Ordering::SeqCst))
    }

    /// The `X-Request-Id` of every call so far.
    pub fn request_ids(&self) -> Vec<String> {
        self.state.request_ids.lock().unwrap().clone()
    }

    /// How many calls it got.
    pub fn calls(&self) -> usize {
        self.request_ids().len()
    }

    /// Every `Idempotency-Key` it received.
    pub fn idempotency_keys(&self) -> Vec<String> {
        self.state.idempotency_keys.lock().unwrap().clone()
    }

    /// likes: how many users like the post.
    pub fn like_count(&self, post_id: &str) -> usize {
        self.state.memory.lock().unwrap().likes.get(post_id).map_or(0, BTreeSet::len)
    }

    /// hide: the posts `user` hid.
    pub fn hidden_of(&self, user: &str) -> Vec<String> {
        self.state.memory.lock().unwrap().hidden.get(user).cloned().unwrap_or_default()
    }

    /// shares: the code of `user`'s link to the post, if they shared it.
    pub fn code_of(&self, post_id: &str, user: &str) -> Option<String> {
        self.state.memory.lock().unwrap().codes.get(&(post_id.to_owned(), user.to_owned())).cloned()
    }

    /// shares: the visits of one link.
    pub fn visits_of(&self, code: &str) -> i64 {
        self.state.memory.lock().unwrap().links.get(code).map_or(0, |(_, visits)| *visits)
    }

    /// Stops it: its port refuses connections from now on.
    pub async fn stop(&self) {
        self.server.stop(false).await;
    }
}

/// Middleware of every stand-in: records the call's request id and
/// idempotency key, waits the latency set, and answers 503 when switched
/// off (`/health/*` is exempt from all of it).
async fn gate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::EitherBody<impl MessageBody>>, actix_web::Error> {
    let state = req.app_data::<web::Data<State>>().expect("the state").clone();
    if req.path().starts_with("/health/") {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    state.request_ids.lock().unwrap().push(header("x-request-id").unwrap_or_else(|| "<none>".into()));
    if let Some(key) = header("idempotency-key") {
        state.idempotency_keys.lock().unwrap().push(key);
    }
    let latency = state.latency_ms.load(Ordering::SeqCst);
    if latency > 0 {
        state.waited_ms.fetch_add(latency, Ordering::SeqCst);
        actix_web::rt::time::sleep(Duration::from_millis(latency)).await;
    }
    if state.mode.load(Ordering::SeqCst) == Mode::Unavailable as u8 {
        let off = HttpResponse::ServiceUnavailable()
            .json(json!({"_status": "ERR", "_error": {"code": 503, "message": "stand-in switched off"}}));
        return Ok(req.into_response(off).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// The query of the contracts.
#[derive(Deserialize)]
struct Query {
    q: Option<String>,
    page: Option<u64>,
    max_results: Option<u64>,
    topics: Option<String>,
    post_ids: Option<String>,
    user: Option<String>,
}

/// Eve's error envelope.
fn error(status: u16, message: &str) -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
        .json(json!({"_status": "ERR", "_error": {"code": status, "message": message}}))
}

async fn stand_in(
    state: web::Data<State>,
    req: HttpRequest,
    body: web::Bytes,
    proxy: web::Data<awc::Client>,
) -> HttpResponse {
    let query = web::Query::<Query>::from_query(req.query_string()).map(web::Query::into_inner);
    let Ok(query) = query else {
        return error(400, "bad query");
    };
    let body = match &state.kind {
        Kind::Search if req.path() == "/v1/search" => search(&state.posts, &query).await,
        Kind::Recommend if req.path() == "/v2/recommendations" => recommend(&state.posts, &query).await,
        Kind::Likes | Kind::Shares | Kind::Hide => return from_memory(&state, &req, &query, &body),
        Kind::Proxy(target) => return forward(&proxy, target, &req, body).await,
        _ => return error(404, "no such path"),
    };
    let Ok(body) = body else {
        return error(400, "bad");
    };
    if state.mode.load(Ordering::SeqCst) == Mode::SlowBody as u8 {
        let delay = TEST_SERVICE_TIMEOUT * 2;
        let bytes = web::Bytes::from(body.to_string());
        let late = futures::stream::once(async move {
            actix_web::rt::time::sleep(delay).await;
            Ok::<_, actix_web::Error>(bytes)
        });
        return HttpResponse::Ok().content_type("application/json").streaming(late);
    }
    HttpResponse::Ok().json(body)
}

/// The proxy: the same call to `target`, its answer back.
async fn forward(client: &awc::Client, target: &str, req: &HttpRequest, body: web::Bytes) -> HttpResponse {
    let mut request = client.request(req.method().clone(), format!("{target}{}", req.uri()));
    for name in ["content-type", "if-match", "x-request-id", "accept", "idempotency-key"] {
        if let Some(value) = req.headers().get(name) {
            request = request.insert_header((name, value.clone()));
        }
    }
    let Ok(mut response) = request.send_body(body).await else {
        return error(502, "the proxied service did not answer");
    };
    let Ok(bytes) = response.body().limit(16 << 20).await else {
        return error(502, "the proxied service's body was lost");
    };
    let mut answer = HttpResponse::build(response.status());
    for name in ["content-type", "etag", "location"] {
        if let Some(value) = response.headers().get(name) {
            answer.insert_header((name, value.clone()));
        }
    }
    answer.body(bytes)
}

/// The `post_ids` of a batch call of likes or shares: 1 to 100 ids, or
/// none (the caller's 400).
fn post_ids(query: &Query) -> Option<Vec<&str>> {
    let ids: Vec<&str> = query.post_ids.as_deref().unwrap_or_default().split(',').collect();
    (ids.len() <= 100 && ids.iter().all(|id| !id.is_empty())).then_some(ids)
}

/// likes, shares and hide, as their briefs specify, from memory.
fn from_memory(state: &State, req: &HttpRequest, query: &Query, body: &[u8]) -> HttpResponse {
    let segments: Vec<&str> = req.path().trim_start_matches('/').split('/').collect();
    let method = req.method().as_str();
    let mut memory = state.memory.lock().unwrap();
    match (&state.kind, method, segments.as_slice()) {
        (Kind::Likes, "GET", ["v1", "likes"]) => {
            let Some(ids) = post_ids(query) else {
                return error(400, "1 to 100 post ids");
            };
            let items: Vec<Value> = ids
                .iter()
                .map(|id| {
                    let likers = memory.likes.get(*id);
                    let liked = query.user.as_ref().is_some_and(|u| likers.is_some_and(|l| l.contains(u)));
                    json!({ "post_id": id, "count": likers.map_or(0, BTreeSet::len), "liked": liked })
                })
                .collect();
            HttpResponse::Ok().json(json!({ "_items": items }))
        }
        (Kind::Likes, "PUT", ["v1", "likes", post, user]) => {
            if memory.likes.entry(post.to_string()).or_default().insert(user.to_string()) {
                HttpResponse::Created().json(json!({ "post_id": post, "user": user }))
            } else {
                HttpResponse::Ok().json(json!({ "post_id": post, "user": user }))
            }
        }
        (Kind::Likes, "DELETE", ["v1", "likes", post, user]) => {
            match memory.likes.get_mut(*post).map(|likers| likers.remove(*user)) {
                Some(true) => HttpResponse::NoContent().finish(),
                _ => error(404, "no such like"),
            }
        }
        (Kind::Hide, "GET", ["v1", "hidden", user]) => {
            let ids = memory.hidden.get(*user).cloned().unwrap_or_default();
            HttpResponse::Ok().json(json!({ "user": user, "post_ids": ids }))
        }
        (Kind::Hide, "PUT", ["v1", "hidden", user, post]) => {
            let hidden = memory.hidden.entry(user.to_string()).or_default();
            if hidden.iter().any(|p| p == post) {
                HttpResponse::Ok().json(json!({ "user": user, "post_id": post }))
            } else {
                hidden.push(post.to_string());
                HttpResponse::Created().json(json!({ "user": user, "post_id": post }))
            }
        }
        (Kind::Hide, "DELETE", ["v1", "hidden", user, post]) => {
            let hidden = memory.hidden.entry(user.to_string()).or_default();
            let before = hidden.len();
            hidden.retain(|p| p != post);
            if hidden.len() < before {
                HttpResponse::NoContent().finish()
            } else {
                error(404, "not hidden")
            }
        }
        (Kind::Shares, "POST", ["v1", "shares"]) => {
            let Ok(share) = serde_json::from_slice::<Value>(body) else {
                return error(400, "not JSON");
            };
            let (Some(post), Some(user)) = (share["post_id"].as_str(), share["user"].as_str()) else {
                return error(422, "post_id and user");
            };
            let key = (post.to_owned(), user.to_owned());
            if let Some(code) = memory.codes.get(&key) {
                return HttpResponse::Ok().json(json!({ "code": code, "url": format!("/s/{code}") }));
            }
            let code = format!("c{}", memory.links.len() + 1);
            memory.codes.insert(key, code.clone());
            memory.links.insert(code.clone(), (post.to_owned(), 0));
            HttpResponse::Created().json(json!({ "code": code, "url": format!("/s/{code}") }))
        }
        (Kind::Shares, "POST", ["v1", "shares", "visits", code]) => match memory.links.get_mut(*code) {
            Some((post, visits)) => {
                *visits += 1;
                HttpResponse::Ok().json(json!({ "post_id": post, "visits": visits }))
            }
            None => error(404, "no such code"),
        },
        (Kind::Shares, "GET", ["v1", "shares"]) => {
            // shares' batch call: 1 to 100 ids, one item per id in that order.
            let Some(ids) = post_ids(query) else {
                return error(400, "1 to 100 post ids");
            };
            let items: Vec<Value> = ids
                .iter()
                .map(|id| {
                    let count = memory.codes.keys().filter(|(p, _)| p == id).count();
                    let visits: i64 = memory.links.values().filter(|(p, _)| p == id).map(|(_, v)| v).sum();
                    json!({ "post_id": id, "count": count, "visits": visits })
                })
                .collect();
            HttpResponse::Ok().json(json!({ "_items": items }))
        }
        _ => error(404, "no such path"),
    }
}

/// A post as both contracts list it (Eve JSON: hex id, RFC 1123 date).
fn item(post: &Document) -> serde_json::Map<String, Value> {
    let date = post
        .get_datetime("created_utc")
        .ok()
        .and_then(|d| chrono::DateTime::from_timestamp_millis(d.timestamp_millis()))
        .map(|d| d.format("%a, %d %b %Y %H:%M:%S GMT").to_string());
    let text = |k: &str| post.get_str(k).unwrap_or_default().to_owned();
    let number = |k: &str| post.get_i64(k).or_else(|_| post.get_i32(k).map(i64::from)).unwrap_or_default();
    let value = json!({
        "_id": post.get_object_id("_id").map(|id| id.to_hex()).unwrap_or_default(),
        "title": text("title"), "url": text("url"), "permalink": text("permalink"), "domain": text("domain"),
        "author": text("author"), "thumbnail": text("thumbnail"), "created_utc": date,
        "score": number("score"), "num_comments": number("num_comments"),
        "is_self": post.get_bool("is_self").unwrap_or_default(),
    });
    value.as_object().unwrap().clone()
}

async fn all_posts(posts: &Database, filter: Document) -> Vec<Document> {
    use futures::TryStreamExt;
    let cursor = posts.collection::<Document>("posts").find(filter).await.expect("a cursor");
    cursor.try_collect().await.expect("the posts")
}

/// search's `/v1/search` contract.
async fn search(posts: &Database, query: &Query) -> Result<Value, ()> {
    let q = query.q.clone().ok_or(())?;
    let (page, max) = (query.page.unwrap_or(1), query.max_results.unwrap_or(25));
    if q.chars().count() > 200 || !(1..=500).contains(&page) || !(1..=50).contains(&max) {
        return Err(());
    }
    let keywords = datasets::keywords(&q);
    let mut found = all_posts(posts, doc! { "keywords": { "$all": &keywords } }).await;
    let score = |p: &Document| p.get_i64("score").or_else(|_| p.get_i32("score").map(i64::from)).unwrap_or_default();
    found.sort_by(|a, b| {
        score(b).cmp(&score(a)).then(b.get_object_id("_id").unwrap().cmp(&a.get_object_id("_id").unwrap()))
    });
    let start = ((page - 1) * max) as usize;
    let items: Vec<Value> = found.iter().skip(start).take(max as usize).map(|p| Value::Object(item(p))).collect();
    let mut links = json!({ "self": {"href": "v1/search"}, "parent": {"href": "/"} });
    if found.len() > start + max as usize {
        links["next"] = json!({ "href": format!("v1/search?page={}", page + 1) });
    }
    Ok(json!({ "_items": items, "_meta": { "page": page, "max_results": max }, "_links": links }))
}

/// recommend's `/v2/recommendations` contract (step 08's ranking with the
/// topics first).
async fn recommend(posts: &Database, query: &Query) -> Result<Value, ()> {
    let max = query.max_results.unwrap_or(12);
    if !(1..=50).contains(&max) {
        return Err(());
    }
    let topics: Vec<String> =
        query.topics.as_deref().unwrap_or_default().split(',').filter(|t| !t.is_empty()).map(str::to_owned).collect();
    let number = |p: &Document, k: &str| p.get_i64(k).or_else(|_| p.get_i32(k).map(i64::from)).unwrap_or_default();
    let mut found: Vec<(Document, Vec<String>)> = all_posts(posts, doc! { "score": { "$gt": 50 } })
        .await
        .into_iter()
        .map(|p| {
            let keywords: Vec<String> = p
                .get_array("keywords")
                .map(|k| k.iter().filter_map(|k| k.as_str().map(str::to_owned)).collect())
                .unwrap_or_default();
            let hits = topics.iter().filter(|t| keywords.contains(t)).cloned().collect();
            (p, hits)
        })
        .collect();
    found.sort_by(|(a, ha), (b, hb)| {
        hb.len()
            .cmp(&ha.len())
            .then((number(a, "downs") - number(a, "ups")).cmp(&(number(b, "downs") - number(b, "ups"))))
            .then(number(b, "num_comments").cmp(&number(a, "num_comments")))
            .then(a.get_object_id("_id").unwrap().cmp(&b.get_object_id("_id").unwrap()))
    });
    let items: Vec<Value> = found
        .iter()
        .take(max as usize)
        .map(|(p, hits)| {
            let mut item = item(p);
            item.remove("thumbnail");
            let weight = number(p, "score") as f64 / 10.0;
            item.insert("why".into(), json!({ "topics": hits, "weight": weight, "rank": hits.len() as f64 }));
            Value::Object(item)
        })
        .collect();
    Ok(json!({
        "_items": items, "_meta": { "max_results": max },
        "_links": { "self": {"href": "v2/recommendations"}, "parent": {"href": "/"} },
    }))
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
        self.get_at(&self.address, path, &[]).await
    }

    /// `GET path` on the web front at `address` (another instance), with
    /// this browser's cookies and extra headers.
    pub async fn get_at(&self, address: &str, path: &str, headers: &[(&str, &str)]) -> Page {
        let mut request = self.client.get(format!("{address}{path}")).insert_header(("cookie", self.cookie_header()));
        for (name, value) in headers {
            request = request.insert_header((*name, *value));
        }
        let response = request.send().await.expect("the request is sent");
        self.read(response).await
    }

    /// A second web front on the same settings and database; its address.
    pub async fn another_instance(&self) -> String {
        start_web(self.settings.clone()).await
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

    /// Submits `fields` (from [`Page::form`]) to `path`, with the cookies.
    pub async fn submit(&self, path: &str, fields: &[(String, String)]) -> Page {
        let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        self.post_form(path, &form).await
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

    /// Inserts posts into the posts service's database (as `datasets
    /// import` does), returning their ids.
    pub async fn seed(&self, posts: Vec<Document>) -> Vec<ObjectId> {
        self.posts.seed("posts", posts).await
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

impl TestApp {
    /// `POST path` with a body of the caller's making (a multipart form),
    /// with the cookies.
    pub async fn post_body(&self, path: &str, content_type: &str, body: Vec<u8>) -> Page {
        let response = self
            .client
            .post(format!("{}{path}", self.address))
            .insert_header(("cookie", self.cookie_header()))
            .insert_header(("content-type", content_type))
            .send_body(body)
            .await
            .expect("the request is sent");
        self.read(response).await
    }
}
