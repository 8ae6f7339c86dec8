//! The import page and the job page against the real jobs service
//! (in-process on port 0, a database of its own) writing to the real posts
//! service the web front reads: a form submitted, 303 to `/jobs/{id}`, a
//! page that refreshes at jobs' `Retry-After` until it shows the result.
//!
//! The jobs service the web front calls runs without workers (`JOBS_WORKERS`
//! 0: it only accepts and answers), so a test sees the queued job's page
//! for sure; a second jobs instance on the same database, with workers, is
//! started when the test wants the job to run (jobs' instances share only
//! the database).

use std::time::{Duration, Instant};

use jobs::{settings::Settings as JobsSettings, Application as Jobs, Workers};
use kit::settings::Env;
use mongodb::bson::doc;

use crate::helpers::{dead_url, mongodb_uri, spawn_app_with, Page, TestApp};

/// The multipart boundary of the test's forms.
const BOUNDARY: &str = "step10-import-test-boundary";
/// The test's own posts file: three posts (`name` t3_webimp1 to 3).
const FIXTURE: &[u8] = include_bytes!("fixtures/import.ndjson");

/// A jobs instance; the one that owns the database drops it.
struct JobsInstance {
    address: String,
    db_name: String,
    owned: bool,
    workers: Option<Workers>,
}

impl JobsInstance {
    /// A jobs instance writing to `posts`, on `db` (a fresh one when
    /// `None`), with `workers` workers.
    async fn start(posts: &str, db: Option<&str>, workers: u32, adjust: impl FnOnce(&mut JobsSettings)) -> Self {
        let mut settings = JobsSettings::read(&Env(|_: &str| None)).expect("default settings");
        settings.common.port = 0;
        settings.common.mongodb_uri = mongodb_uri();
        let owned = db.is_none();
        settings.common.mongodb_db =
            db.map_or_else(|| format!("test_step10_web_jobs_{}", uuid::Uuid::new_v4().simple()), str::to_owned);
        settings.common.db_timeout = Duration::from_millis(1_500);
        settings.posts_urls = vec![posts.to_owned()];
        settings.workers = workers;
        settings.poll = Duration::from_millis(50);
        settings.retry_delay = Duration::from_millis(50);
        adjust(&mut settings);
        let db_name = settings.common.mongodb_db.clone();
        let mut app = Jobs::build(settings).await.expect("jobs builds");
        let workers = Some(app.detach_workers());
        let address = format!("http://127.0.0.1:{}", app.port());
        actix_web::rt::spawn(app.run_until_stopped());
        Self { address, db_name, owned, workers }
    }

    /// How many jobs its database holds.
    async fn jobs_stored(&self) -> u64 {
        let client = mongodb::Client::with_uri_str(mongodb_uri()).await.expect("a client");
        client
            .database(&self.db_name)
            .collection::<mongodb::bson::Document>("jobs")
            .count_documents(doc! {})
            .await
            .unwrap()
    }
}

impl Drop for JobsInstance {
    fn drop(&mut self) {
        if let Some(workers) = self.workers.take() {
            workers.stop();
        }
        if !self.owned {
            return;
        }
        let name = self.db_name.clone();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
            runtime.block_on(async {
                if let Ok(client) = mongodb::Client::with_uri_str(mongodb_uri()).await {
                    let _ = client.database(&name).drop().await;
                }
            });
        })
        .join();
    }
}

/// The web front (logged in as `ann`) in front of a jobs service without
/// workers, writing to the web front's own posts service.
async fn spawn_with_jobs(adjust: impl FnOnce(&mut JobsSettings)) -> (TestApp, JobsInstance) {
    // The first web front only gives us the posts service; the one the
    // test talks to is a second instance on the same settings, pointed at
    // jobs (which needs posts' address first).
    let mut app = spawn_app_with(|s| s.jobs_url = vec![dead_url()]).await;
    let jobs = JobsInstance::start(&app.posts.address, None, 0, adjust).await;
    app.settings.jobs_url = vec![jobs.address.clone()];
    app.address = app.another_instance().await;
    app.login("ann", false).await.assert_status(303);
    (app, jobs)
}

/// A multipart body with text `fields` and an optional file
/// `(field name, file name, part content type, bytes)`.
fn multipart(fields: &[(&str, &str)], file: Option<(&str, &str, &str, &[u8])>) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    if let Some((name, file_name, content_type, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\n\
                 Content-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// The value of the hidden field `name` in a page's first form.
fn hidden(page: &Page, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let start = page.body.find(&marker).unwrap_or_else(|| panic!("no {name} field in:\n{}", page.body)) + marker.len();
    page.body[start..].split('"').next().unwrap_or_default().to_owned()
}

/// The import page's token and key.
async fn import_form(app: &TestApp) -> (String, String) {
    let page = app.get("/import").await;
    page.assert_status(200);
    (hidden(&page, "csrf_token"), hidden(&page, "idempotency_key"))
}

/// Posts the generate form.
async fn submit_generate(app: &TestApp, token: &str, key: &str, count: &str, seed: &str) -> Page {
    let fields =
        [("csrf_token", token), ("idempotency_key", key), ("source", "generate"), ("generate", count), ("seed", seed)];
    app.post_body("/import", &format!("multipart/form-data; boundary={BOUNDARY}"), multipart(&fields, None)).await
}

/// Posts the file form with `file_name`, `content_type` and `bytes`.
async fn submit_file(app: &TestApp, file_name: &str, content_type: &str, bytes: &[u8]) -> Page {
    let (token, key) = import_form(app).await;
    let fields = [("csrf_token", token.as_str()), ("idempotency_key", key.as_str()), ("source", "file")];
    let body = multipart(&fields, Some(("file", file_name, content_type, bytes)));
    app.post_body("/import", &format!("multipart/form-data; boundary={BOUNDARY}"), body).await
}

/// The job page at `location` once it shows a result, within 60 s.
async fn finished_page(app: &TestApp, location: &str) -> Page {
    let started = Instant::now();
    loop {
        let page = app.get(location).await;
        page.assert_status(200);
        if page.body.contains(r#"class="written""#) {
            return page;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "no result within 60 s:\n{}", page.body);
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

/// How many posts the posts service holds.
async fn posts_total(app: &TestApp) -> u64 {
    let page = app.posts.get("/posts?max_results=1").await;
    page.body["_meta"]["total"].as_u64().expect("a total")
}

#[actix_web::test]
async fn anonymous_visitors_are_sent_to_the_login_page() {
    let (app, jobs) = spawn_with_jobs(|_| {}).await;
    app.clear_cookies();
    let page = app.get("/import").await;
    page.assert_status(303);
    assert_eq!(page.location(), "/login?next=%2Fimport");
    let page = app.get("/jobs/0123456789abcdef0123456789abcdef").await;
    page.assert_status(303);
    assert!(page.location().starts_with("/login?next="), "{}", page.location());
    let body = multipart(&[("source", "generate"), ("generate", "5")], None);
    let page = app.post_body("/import", &format!("multipart/form-data; boundary={BOUNDARY}"), body).await;
    page.assert_status(303);
    assert_eq!(jobs.jobs_stored().await, 0);
}

#[actix_web::test]
async fn a_generate_form_becomes_a_job_page_that_refreshes_until_it_shows_the_counts() {
    let (app, jobs) = spawn_with_jobs(|_| {}).await;
    // The navigation links the page for a logged-in user.
    app.get("/").await.assert_status(200).assert_contains(r#"<a href="/import">Import</a>"#);
    let (token, key) = import_form(&app).await;
    let submitted = submit_generate(&app, &token, &key, "30", "7").await;
    submitted.assert_status(303);
    let location = submitted.location().to_owned();
    let id = location.strip_prefix("/jobs/").expect("the job page").to_owned();
    assert_eq!(id.len(), 32, "{location}");

    // Queued (no worker yet): the page refreshes at jobs' Retry-After (1 s).
    let page = app.get(&location).await;
    page.assert_status(200)
        .assert_contains(r#"<meta http-equiv="refresh" content="1">"#)
        .assert_contains(r#"<progress value="0" max="30">"#)
        .assert_contains("queued")
        .assert_contains(&format!(r#"action="/jobs/{id}/cancel""#));
    assert_eq!(page.header("cache-control"), "no-store");

    // A worker (another jobs instance on the same database) runs it; jobs
    // then answers 303 and the page follows it to the counts.
    let _worker = JobsInstance::start(&app.posts.address, Some(&jobs.db_name), 2, |_| {}).await;
    let page = finished_page(&app, &location).await;
    page.assert_contains("succeeded")
        .assert_contains(r#"<td class="read">30</td>"#)
        .assert_contains(r#"<td class="written">30</td>"#)
        .assert_contains(r#"<td class="skipped">0</td>"#)
        .assert_contains(r#"<td class="errors">0</td>"#)
        .assert_contains(r#"<progress value="30" max="30">"#);
    assert!(!page.body.contains("http-equiv=\"refresh\""), "a finished job does not refresh:\n{}", page.body);
    assert!(!page.body.contains("/cancel"), "nor can it be canceled");
    assert_eq!(posts_total(&app).await, 30);
}

#[actix_web::test]
async fn a_double_submit_is_one_job_and_the_job_can_be_canceled() {
    let (app, jobs) = spawn_with_jobs(|_| {}).await;
    let (token, key) = import_form(&app).await;
    let first = submit_generate(&app, &token, &key, "10", "").await;
    first.assert_status(303);
    let again = submit_generate(&app, &token, &key, "10", "").await;
    again.assert_status(303);
    assert_eq!(first.location(), again.location(), "the same key and form: the same job");
    assert_eq!(jobs.jobs_stored().await, 1);

    let location = first.location().to_owned();
    let page = app.get(&location).await;
    let token = page.csrf_token();
    // Without the token: refused, still queued.
    app.post_form(&format!("{location}/cancel"), &[("csrf_token", "forged")]).await.assert_status(403);
    app.get(&location).await.assert_contains("queued");
    let canceled = app.post_form(&format!("{location}/cancel"), &[("csrf_token", &token)]).await;
    canceled.assert_status(303);
    assert_eq!(canceled.location(), location);
    let page = app.get(&location).await;
    page.assert_status(200).assert_contains("canceled").assert_contains("The job is canceled");
    assert!(!page.body.contains("http-equiv=\"refresh\""), "{}", page.body);
}

#[actix_web::test]
async fn an_uploaded_file_imports_its_posts() {
    let (app, jobs) = spawn_with_jobs(|_| {}).await;
    let _worker = JobsInstance::start(&app.posts.address, Some(&jobs.db_name), 2, |_| {}).await;
    // The type comes from the name: browsers often send octet-stream.
    let submitted = submit_file(&app, "import.ndjson", "application/octet-stream", FIXTURE).await;
    submitted.assert_status(303);
    let page = finished_page(&app, submitted.location()).await;
    page.assert_contains(r#"<td class="read">3</td>"#).assert_contains(r#"<td class="written">3</td>"#);
    assert_eq!(posts_total(&app).await, 3);
    // The post is the web front's to show now (posts gave it its id).
    let found = app.posts.get("/posts?where=%7B%22name%22%3A%22t3_webimp1%22%7D").await;
    let id = found.body["_items"][0]["_id"].as_str().expect("the imported post").to_owned();
    app.get(&format!("/posts/{id}")).await.assert_status(200).assert_contains("Uploading posts from the browser");
    // Uploaded again: a new job whose posts are all skipped, not doubled.
    let again = submit_file(&app, "import.ndjson", "application/x-ndjson", FIXTURE).await;
    again.assert_status(303);
    let page = finished_page(&app, again.location()).await;
    page.assert_contains(r#"<td class="written">0</td>"#).assert_contains(r#"<td class="skipped">3</td>"#);
    assert_eq!(posts_total(&app).await, 3);
}

#[actix_web::test]
async fn a_bad_file_shows_the_jobs_message_on_the_import_page() {
    let (app, jobs) = spawn_with_jobs(|_| {}).await;
    // A malformed record: jobs refuses the file at once, with its reason.
    let page = submit_file(&app, "broken.jsonl", "application/octet-stream", b"{\"title\": \"half a post\"\n").await;
    assert!([400, 422].contains(&page.status), "{}: {}", page.status, page.body);
    page.assert_contains(r#"class="flash error""#).assert_contains(r#"enctype="multipart/form-data""#);
    let message = page.body.split(r#"role="alert">"#).nth(1).and_then(|m| m.split('<').next()).unwrap_or_default();
    assert!(message.contains("line 1") || message.to_lowercase().contains("json"), "jobs' message: {message:?}");
    // A file type the import does not read: refused here, named.
    let page = submit_file(&app, "notes.txt", "text/plain", b"hello").await;
    page.assert_status(415).assert_contains("Choose a .jsonl, .ndjson, .json or .xml file");
    // No file chosen.
    let page = submit_file(&app, "", "application/octet-stream", b"").await;
    page.assert_status(400).assert_contains("Choose a file to import");
    // A number out of jobs' range: jobs' own message.
    let (token, key) = import_form(&app).await;
    let page = submit_generate(&app, &token, &key, "100001", "").await;
    page.assert_status(422).assert_contains("from 1 to 100000");
    // Not a number at all.
    let (token, key) = import_form(&app).await;
    submit_generate(&app, &token, &key, "many", "").await.assert_status(400).assert_contains("whole number");
    assert_eq!(jobs.jobs_stored().await, 0);
}

#[actix_web::test]
async fn the_import_form_needs_its_csrf_token_and_key() {
    let (app, jobs) = spawn_with_jobs(|_| {}).await;
    let (token, key) = import_form(&app).await;
    submit_generate(&app, "forged", &key, "5", "").await.assert_status(403);
    submit_generate(&app, &token, "not-a-key", "5", "").await.assert_status(400).assert_contains("expired");
    // Not a multipart form at all: a 400 page, not a 500.
    let page = app.post_form("/import", &[("csrf_token", &token), ("source", "generate"), ("generate", "5")]).await;
    page.assert_status(400);
    assert_eq!(jobs.jobs_stored().await, 0);
}

#[actix_web::test]
async fn a_full_queue_says_when_to_try_again() {
    let (app, _jobs) = spawn_with_jobs(|s| s.queue_max = 1).await;
    let (token, key) = import_form(&app).await;
    submit_generate(&app, &token, &key, "5", "").await.assert_status(303);
    let (token, key) = import_form(&app).await;
    let page = submit_generate(&app, &token, &key, "5", "").await;
    page.assert_status(429).assert_contains("please try again in 10 s");
    assert_eq!(page.header("retry-after"), "10");
}

#[actix_web::test]
async fn a_file_over_the_limit_is_refused_with_a_413() {
    // Nothing reaches jobs: none is running.
    let app = spawn_app_with(|s| {
        s.import_max_bytes = 64 << 10;
        s.jobs_url = vec![dead_url()];
    })
    .await;
    app.login("ann", false).await.assert_status(303);
    app.get("/import").await.assert_contains("at most 64 KiB");
    let big = vec![b' '; 100 << 10];
    let page = submit_file(&app, "big.ndjson", "application/x-ndjson", &big).await;
    page.assert_status(413).assert_contains("The file is larger than 64 KiB");
}

#[actix_web::test]
async fn job_ids_are_checked_and_unknown_jobs_are_the_404_page() {
    let (app, _jobs) = spawn_with_jobs(|_| {}).await;
    app.get("/jobs/not-an-id").await.assert_status(404).assert_contains("There is no job with this id");
    app.get("/jobs/0123456789ABCDEF0123456789ABCDEF").await.assert_status(404);
    let page = app.get("/jobs/0123456789abcdef0123456789abcdef").await;
    page.assert_status(404).assert_contains("expired");
    let token = app.get("/import").await.csrf_token();
    app.post_form("/jobs/0123456789abcdef0123456789abcdef/cancel", &[("csrf_token", &token)]).await.assert_status(404);
}

#[actix_web::test]
async fn without_jobs_the_import_is_a_503_page_never_a_500() {
    let app = spawn_app_with(|s| s.jobs_url = vec![dead_url()]).await;
    app.login("ann", false).await.assert_status(303);
    // The form needs nothing from jobs.
    let (token, key) = import_form(&app).await;
    let page = submit_generate(&app, &token, &key, "5", "").await;
    page.assert_status(503).assert_contains("The jobs service is unavailable");
    assert_eq!(page.header("content-type"), "text/html; charset=utf-8");
    app.get("/jobs/0123456789abcdef0123456789abcdef").await.assert_status(503);
}
