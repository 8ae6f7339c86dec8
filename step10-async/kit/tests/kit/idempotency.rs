//! `Idempotency-Key` against a real server on port 0 and a database of its
//! own: a replay is the first answer again (a 201 included) and the handler
//! runs once, a different request with the key is a 422, a key still
//! pending is a 409, a 5xx frees the key, bad keys are 400s.

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, SystemTime},
};

use actix_web::{middleware::from_fn, web, HttpResponse};
use mongodb::{
    bson::{doc, DateTime, Document},
    Client, Database,
};
use serde_json::{json, Value};
use step10_kit::idempotency::{self, Store};

/// How many times each handler ran.
#[derive(Default)]
struct Runs {
    create: AtomicUsize,
    slow: AtomicUsize,
    flaky: AtomicUsize,
    busy: AtomicUsize,
}

/// `POST /things`: 201 with a `Location` and a body naming the run.
async fn create(runs: web::Data<Runs>, body: web::Bytes) -> HttpResponse {
    let n = runs.create.fetch_add(1, Ordering::SeqCst) + 1;
    HttpResponse::Created()
        .insert_header(("Location", format!("/things/{n}")))
        .insert_header(("X-Not-Kept", "1"))
        .json(json!({ "run": n, "got": String::from_utf8_lossy(&body) }))
}

/// `POST /slow`: the same after 700 ms.
async fn slow(runs: web::Data<Runs>) -> HttpResponse {
    actix_web::rt::time::sleep(Duration::from_millis(700)).await;
    let n = runs.slow.fetch_add(1, Ordering::SeqCst) + 1;
    HttpResponse::Created().json(json!({ "run": n }))
}

/// `POST /flaky`: 503 the first time, 201 afterwards.
async fn flaky(runs: web::Data<Runs>) -> HttpResponse {
    let n = runs.flaky.fetch_add(1, Ordering::SeqCst) + 1;
    if n == 1 {
        HttpResponse::ServiceUnavailable().json(json!({ "run": n }))
    } else {
        HttpResponse::Created().json(json!({ "run": n }))
    }
}

/// `POST /busy`: 429 (too many requests) the first time, 201 afterwards.
async fn busy(runs: web::Data<Runs>) -> HttpResponse {
    let n = runs.busy.fetch_add(1, Ordering::SeqCst) + 1;
    if n == 1 {
        HttpResponse::TooManyRequests().insert_header(("retry-after", "1")).json(json!({ "run": n }))
    } else {
        HttpResponse::Created().json(json!({ "run": n }))
    }
}

/// A server whose four resources take keys, and its database.
struct TestApp {
    base: String,
    runs: Arc<Runs>,
    store: Store,
    db: Database,
    client: awc::Client,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let name = self.db.name().to_owned();
        // The test's runtime cannot be used from `Drop` (and the test's
        // client lives on it): a thread with a runtime and a client of its
        // own drops the database, even when the test failed.
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

fn mongodb_uri() -> String {
    std::env::var("MONGODB_URI").unwrap_or_else(|_| "mongodb://127.0.0.1:27017".into())
}

async fn spawn_app(store_configured: bool) -> TestApp {
    let client = Client::with_uri_str(mongodb_uri()).await.expect("a MongoDB client");
    let db = client.database(&format!("test_kit_idem_{}", uuid::Uuid::new_v4().simple()));
    let store = Store::new(&db);
    store.ensure_indexes().await.expect("the test server should be running (make db)");
    let runs = Arc::new(Runs::default());
    let (data, store_data) = (web::Data::from(runs.clone()), web::Data::new(store.clone()));
    let app = step10_kit::server::Application::bind("127.0.0.1", 0, 1024, move |cfg| {
        cfg.app_data(data.clone());
        if store_configured {
            cfg.app_data(store_data.clone());
        }
        for (path, handler) in [("/things", 0), ("/slow", 1), ("/flaky", 2), ("/busy", 3)] {
            let route = match handler {
                0 => web::post().to(create),
                1 => web::post().to(slow),
                2 => web::post().to(flaky),
                _ => web::post().to(busy),
            };
            let read = web::get().to(|runs: web::Data<Runs>| async move {
                HttpResponse::Ok().json(json!({ "created": runs.create.load(Ordering::SeqCst) }))
            });
            // On the write's route, as the services mount it: a method not
            // routed is the router's 405, never the middleware's business.
            cfg.service(web::resource(path).route(route.wrap(from_fn(idempotency::middleware))).route(read));
        }
    })
    .expect("bound");
    let base = format!("http://{}", app.address());
    actix_web::rt::spawn(app.run_until_stopped());
    let client = awc::Client::builder().timeout(Duration::from_secs(10)).finish();
    TestApp { base, runs, store, db, client }
}

/// An answer, read whole.
struct Answer {
    status: u16,
    headers: awc::http::header::HeaderMap,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl TestApp {
    async fn post(&self, path: &str, key: Option<&str>, body: &str) -> Answer {
        let mut request = self.client.post(format!("{}{path}", self.base)).content_type("text/plain");
        if let Some(key) = key {
            request = request.insert_header(("Idempotency-Key", key));
        }
        let mut response = request.send_body(body.to_owned()).await.expect("sent");
        let bytes = response.body().await.expect("a body");
        Answer {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }
}

#[actix_web::test]
async fn without_a_key_every_request_runs() {
    let app = spawn_app(true).await;
    for run in 1..=2 {
        let answer = app.post("/things", None, "a").await;
        assert_eq!((answer.status, answer.body["run"].as_u64()), (201, Some(run)));
        assert_eq!(answer.header("idempotent-replayed"), None);
    }
    assert_eq!(app.store.collection().count_documents(doc! {}).await.unwrap(), 0);
}

#[actix_web::test]
async fn a_replay_is_the_first_answer_and_the_handler_runs_once() {
    let app = spawn_app(true).await;
    let first = app.post("/things", Some("key-1"), "hello").await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.body, json!({ "run": 1, "got": "hello" }));
    assert_eq!(first.header("idempotent-replayed"), None);
    for _ in 0..3 {
        let again = app.post("/things", Some("key-1"), "hello").await;
        assert_eq!(again.status, 201);
        assert_eq!(again.body, first.body);
        assert_eq!(again.header("location"), Some("/things/1"));
        assert_eq!(again.header("content-type"), Some("application/json"));
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
        // Only status, Content-Type, Location and the body are kept.
        assert_eq!(again.header("x-not-kept"), None);
    }
    assert_eq!(app.runs.create.load(Ordering::SeqCst), 1);
    // Another key is another request; the draft's quoted form is the same key.
    assert_eq!(app.post("/things", Some("key-2"), "hello").await.body["run"], 2);
    assert_eq!(app.post("/things", Some("\"key-2\""), "hello").await.header("idempotent-replayed"), Some("true"));
    let record = app.store.collection().find_one(doc! { "_id": "key-1" }).await.unwrap().unwrap();
    assert_eq!(record.get_str("state").unwrap(), "done");
    let expires = record.get_datetime("expires_at").unwrap().to_system_time();
    let left = expires.duration_since(SystemTime::now()).unwrap();
    assert!(left > idempotency::RETENTION - Duration::from_secs(60) && left <= idempotency::RETENTION, "{left:?}");
}

#[actix_web::test]
async fn the_same_key_for_another_request_is_a_422() {
    let app = spawn_app(true).await;
    app.post("/things", Some("k"), "one body").await;
    let other_body = app.post("/things", Some("k"), "another body").await;
    assert_eq!(other_body.status, 422);
    assert_eq!(other_body.body["_error"]["code"], 422);
    assert!(other_body.body["_error"]["message"].as_str().unwrap().contains("different request"));
    // Another path is another request too.
    assert_eq!(app.post("/flaky", Some("k"), "one body").await.status, 422);
    assert_eq!(app.runs.create.load(Ordering::SeqCst), 1);
    assert_eq!(app.runs.flaky.load(Ordering::SeqCst), 0);
}

#[actix_web::test]
async fn a_key_still_pending_is_a_409_with_retry_after() {
    let app = spawn_app(true).await;
    let first = app.post("/slow", Some("busy"), "");
    let second = async {
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
        app.post("/slow", Some("busy"), "").await
    };
    let (first, second) = futures::join!(first, second);
    assert_eq!(first.status, 201);
    assert_eq!(second.status, 409, "{}", second.body);
    assert_eq!(second.header("retry-after"), Some("1"));
    assert_eq!(second.body["_error"]["code"], 409);
    // Once it is done, the retry gets its answer.
    let third = app.post("/slow", Some("busy"), "").await;
    assert_eq!((third.status, &third.body), (201, &first.body));
    assert_eq!(app.runs.slow.load(Ordering::SeqCst), 1);
}

#[actix_web::test]
async fn many_requests_at_once_with_one_key_run_the_handler_once() {
    let app = spawn_app(true).await;
    let answers = futures::future::join_all((0..20).map(|_| app.post("/things", Some("race"), "x"))).await;
    assert_eq!(app.runs.create.load(Ordering::SeqCst), 1);
    for answer in &answers {
        match answer.status {
            201 => assert_eq!(answer.body["run"], 1),
            409 => assert_eq!(answer.header("retry-after"), Some("1")),
            other => panic!("unexpected {other}: {}", answer.body),
        }
    }
}

#[actix_web::test]
async fn a_5xx_frees_the_key_for_the_retry() {
    let app = spawn_app(true).await;
    assert_eq!(app.post("/flaky", Some("f"), "").await.status, 503);
    assert_eq!(app.store.collection().count_documents(doc! {}).await.unwrap(), 0);
    let retry = app.post("/flaky", Some("f"), "").await;
    assert_eq!((retry.status, retry.header("idempotent-replayed")), (201, None));
    let replay = app.post("/flaky", Some("f"), "").await;
    assert_eq!((replay.status, replay.header("idempotent-replayed")), (201, Some("true")));
    assert_eq!(replay.body["run"], 2);
    assert_eq!(app.runs.flaky.load(Ordering::SeqCst), 2);
}

/// A 429 says "not now", not "done": keeping it would answer every retry
/// with the same key "too many requests" for 24 hours (Stripe keeps no
/// result for a request that did not start executing).
#[actix_web::test]
async fn a_429_frees_the_key_for_the_retry() {
    let app = spawn_app(true).await;
    assert_eq!(app.post("/busy", Some("b"), "").await.status, 429);
    assert_eq!(app.store.collection().count_documents(doc! {}).await.unwrap(), 0);
    let retry = app.post("/busy", Some("b"), "").await;
    assert_eq!((retry.status, retry.header("idempotent-replayed")), (201, None));
    assert_eq!(app.post("/busy", Some("b"), "").await.header("idempotent-replayed"), Some("true"));
    assert_eq!(app.runs.busy.load(Ordering::SeqCst), 2);
}

#[actix_web::test]
async fn a_pending_record_whose_holder_died_is_taken_over() {
    let app = spawn_app(true).await;
    let print = idempotency::fingerprint("POST", "/things", "", b"z");
    let past = DateTime::from_system_time(SystemTime::now() - Duration::from_secs(1));
    let dead: Document = doc! {
        "_id": "dead", "fingerprint": &print, "state": "pending", "owner": 7_i64,
        "locked_until": past, "created_at": past, "expires_at": DateTime::now(),
    };
    app.store.collection().insert_one(dead).await.unwrap();
    let answer = app.post("/things", Some("dead"), "z").await;
    assert_eq!((answer.status, answer.header("idempotent-replayed")), (201, None));
    assert_eq!(app.post("/things", Some("dead"), "z").await.header("idempotent-replayed"), Some("true"));
    assert_eq!(app.runs.create.load(Ordering::SeqCst), 1);
}

#[actix_web::test]
async fn bad_keys_are_400s_and_the_handler_does_not_run() {
    let app = spawn_app(true).await;
    let long = "k".repeat(idempotency::MAX_KEY_CHARS + 1);
    for key in ["", "\"\"", "a b", "tab\there", long.as_str(), "é"] {
        let mut request = app.client.post(format!("{}/things", app.base));
        request = request
            .insert_header(("Idempotency-Key", awc::http::header::HeaderValue::from_bytes(key.as_bytes()).unwrap()));
        let mut response = request.send_body("x").await.unwrap();
        assert_eq!(response.status(), 400, "{key:?}");
        let body: Value = serde_json::from_slice(&response.body().await.unwrap()).unwrap();
        assert!(body["_error"]["message"].as_str().unwrap().contains("Idempotency-Key"), "{body}");
    }
    // The header twice is ambiguous.
    let twice = app
        .client
        .post(format!("{}/things", app.base))
        .append_header(("Idempotency-Key", "a"))
        .append_header(("Idempotency-Key", "b"))
        .send_body("x")
        .await
        .unwrap();
    assert_eq!(twice.status(), 400);
    // 255 visible characters are fine.
    let longest = "k".repeat(idempotency::MAX_KEY_CHARS);
    assert_eq!(app.post("/things", Some(&longest), "x").await.status, 201);
    assert_eq!(app.runs.create.load(Ordering::SeqCst), 1);
}

#[actix_web::test]
async fn a_method_not_routed_is_a_405_whatever_its_key() {
    let app = spawn_app(true).await;
    for key in ["fresh", "a b"] {
        let response = app
            .client
            .request(awc::http::Method::PATCH, format!("{}/things", app.base))
            .insert_header(("Idempotency-Key", key))
            .send_body("x")
            .await
            .unwrap();
        assert_eq!(response.status(), 405, "{key:?}");
        let allow = response.headers().get("allow").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        assert!(allow.contains("POST") && allow.contains("GET"), "{allow}");
    }
    // Nothing was kept for the refused request: the key is still free.
    assert_eq!(app.post("/things", Some("fresh"), "x").await.status, 201);
    assert_eq!(app.runs.create.load(Ordering::SeqCst), 1);
}

#[actix_web::test]
async fn a_body_over_the_limit_is_a_413_and_nothing_is_kept() {
    let app = spawn_app(true).await;
    let answer = app.post("/things", Some("big"), &"x".repeat(2048)).await;
    assert_eq!(answer.status, 413, "{}", answer.body);
    assert_eq!(answer.body["_error"]["code"], 413);
    assert_eq!(app.store.collection().count_documents(doc! {}).await.unwrap(), 0);
}

#[actix_web::test]
async fn the_records_expire_by_a_ttl_index() {
    let app = spawn_app(true).await;
    let indexes = app.store.collection().list_indexes().await.unwrap();
    use futures::TryStreamExt;
    let indexes: Vec<_> = indexes.try_collect().await.unwrap();
    let ttl = indexes.iter().find(|i| i.keys == doc! { "expires_at": 1 }).expect("a TTL index on expires_at");
    let after = ttl.options.as_ref().and_then(|o| o.expire_after);
    assert_eq!(after, Some(Duration::ZERO));
}

#[actix_web::test]
async fn without_a_store_a_keyed_request_is_a_500_and_one_without_passes() {
    let app = spawn_app(false).await;
    assert_eq!(app.post("/things", None, "x").await.status, 201);
    let keyed = app.post("/things", Some("k"), "x").await;
    assert_eq!(keyed.status, 500);
    assert!(keyed.body["_error"]["message"].as_str().unwrap().contains("not configured"));
    assert_eq!(app.runs.create.load(Ordering::SeqCst), 1);
}

#[actix_web::test]
async fn reads_pass_through_with_any_key() {
    let app = spawn_app(true).await;
    for key in ["k", "a b"] {
        let response =
            app.client.get(format!("{}/things", app.base)).insert_header(("Idempotency-Key", key)).send().await;
        assert_eq!(response.unwrap().status(), 200, "{key:?}");
    }
    assert_eq!(app.store.collection().count_documents(doc! {}).await.unwrap(), 0);
}
