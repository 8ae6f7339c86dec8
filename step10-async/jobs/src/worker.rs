//! The workers: tasks inside the service's process that claim jobs from
//! MongoDB and run them.
//!
//! A worker loops: claim a job (see [`Store::claim`]), run it while a
//! second future renews its lease every third of `JOBS_LEASE_SECS`, record
//! the outcome; with nothing queued, wait `JOBS_POLL_MS` or until a
//! submission to this process wakes it. Every batch's progress is written
//! under the lease, so:
//! - a worker killed mid-job leaves a `running` job whose lease runs out;
//!   another worker (or this one, restarted) claims it with one more
//!   attempt and resumes from its `cursor`;
//! - a canceled job, or one whose lease another worker has taken, is
//!   noticed at the next batch, and the worker leaves it alone;
//! - a failed attempt (posts or tags unreachable, an unexpected answer)
//!   puts the job back in the queue after `JOBS_RETRY_DELAY_MS` × attempts,
//!   and the attempt that reaches `JOBS_MAX_ATTEMPTS` makes it `failed` with
//!   that attempt's error. A job whose workers keep dying is `failed` when
//!   it is claimed beyond the cap.
//!
//! No post is imported twice: a post's identity is its `name` (`t3_<id>`),
//! unique in posts. A batch that a dead worker had sent but not recorded is
//! sent again by its successor, and posts refuses every post it already
//! holds, which counts as skipped (so after a resume `written` may be lower
//! than what was written, never higher: the dead worker's last count is
//! lost; the posts themselves are counted as skipped).

use std::{cell::RefCell, sync::Arc, time::Duration};

use actix_web::http::{Method, StatusCode};
use datasets::{
    generate::Generator,
    post::{normalise_json, Source},
};
use futures::future::{self, Either};
use kit::upstream::{Ctx, Instances, Upstream, UpstreamError};
use mongodb::bson::Document;
use serde_json::{json, Map, Value};
use tokio::sync::Notify;

use crate::{
    job::{Job, Request, Status, MAX_REPORTS},
    request::api_document,
    settings::Settings,
    store::{Store, RESULT_CHUNK_BYTES},
};

/// The most posts an export holds (tags' pages of 100, a hundred of them).
pub const MAX_EXPORT_POSTS: usize = 10_000;
/// Tags' page size for `tagged_posts` (its `max_results_limit`).
const TAGS_PAGE: usize = 100;
/// Posts asked for in one `GET /posts` (posts' `max_results_limit`).
const POSTS_PAGE: usize = 50;

/// How an attempt ended, when it did not fail.
enum Ending {
    /// The job's work is done.
    Done,
    /// The worker no longer holds the job (canceled, or its lease was
    /// taken): it stops without touching it.
    Lost,
}

/// Why an attempt failed: the message kept as the job's `error`.
#[derive(Debug)]
struct Failure(String);

impl From<mongodb::error::Error> for Failure {
    fn from(e: mongodb::error::Error) -> Self {
        Failure(format!("jobs database: {e}"))
    }
}

impl From<UpstreamError> for Failure {
    fn from(e: UpstreamError) -> Self {
        Failure(e.to_string())
    }
}

/// What one worker needs.
pub struct Worker {
    /// The jobs' storage.
    store: Store,
    /// The service's settings.
    settings: Arc<Settings>,
    /// This worker's name, the `owner` of the jobs it holds.
    name: String,
    /// Woken by submissions to this process.
    wake: Arc<Notify>,
    /// The posts service.
    posts: Upstream,
    /// The tags service.
    tags: Upstream,
}

impl Worker {
    /// A worker named `name`; its clients are made here (on the task's own
    /// thread: an `awc::Client` is not `Send`).
    pub fn new(
        store: Store,
        settings: Arc<Settings>,
        name: String,
        wake: Arc<Notify>,
        posts: Arc<Instances>,
        tags: Arc<Instances>,
    ) -> Self {
        let timeout = settings.upstream_timeout;
        Self { store, settings, name, wake, posts: Upstream::new(posts, timeout), tags: Upstream::new(tags, timeout) }
    }

    /// Runs jobs until the task is dropped.
    pub async fn run(self) {
        log::info!("worker {} started", self.name);
        loop {
            match self.store.claim(&self.name, self.settings.lease).await {
                Ok(Some(job)) => self.work(job).await,
                Ok(None) => {
                    let _ = actix_web::rt::time::timeout(self.settings.poll, self.wake.notified()).await;
                }
                Err(e) => {
                    log::warn!("worker {}: cannot claim a job: {e}", self.name);
                    actix_web::rt::time::sleep(self.settings.poll).await;
                }
            }
        }
    }

    /// Runs one claimed job and records how it ended.
    async fn work(&self, job: Job) {
        let (id, attempts, max) = (job.id.clone(), job.attempts, i64::from(self.settings.max_attempts));
        let retention = self.settings.retention;
        if attempts > max {
            let last = job.error.clone().unwrap_or_else(|| "its worker stopped before finishing".into());
            let error = format!("gave up after {max} attempt(s); the last: {last}");
            log::warn!("job {id}: {error}");
            self.record(self.store.finish(&id, &self.name, Status::Failed, Some(error), retention).await);
            return;
        }
        log::info!("job {id} ({:?}): attempt {attempts} of {max} by {}", job.kind, self.name);
        let job = RefCell::new(job);
        let outcome = {
            let work = Box::pin(self.execute(&job));
            let renew = Box::pin(self.renew(&id));
            match future::select(work, renew).await {
                Either::Left((outcome, _)) => outcome,
                Either::Right(((), _)) => Ok(Ending::Lost),
            }
        };
        match outcome {
            Ok(Ending::Done) => {
                log::info!("job {id}: succeeded");
                self.record(self.store.finish(&id, &self.name, Status::Succeeded, None, retention).await);
            }
            Ok(Ending::Lost) => log::info!("job {id}: no longer this worker's (canceled, or its lease was taken)"),
            Err(Failure(error)) if attempts >= max => {
                log::warn!("job {id}: attempt {attempts} failed ({error}); failed after {max} attempt(s)");
                self.record(self.store.finish(&id, &self.name, Status::Failed, Some(error), retention).await);
            }
            Err(Failure(error)) => {
                let delay = self.settings.retry_delay.saturating_mul(attempts as u32);
                log::warn!("job {id}: attempt {attempts} failed ({error}); queued again, in {delay:?}");
                self.record(self.store.requeue(&id, &self.name, &error, delay).await);
            }
        }
    }

    /// Logs a failed bookkeeping write (the lease then runs out, and the
    /// job is taken again).
    fn record(&self, written: mongodb::error::Result<bool>) {
        if let Err(e) = written {
            log::warn!("worker {}: cannot record a job's outcome: {e}", self.name);
        }
    }

    /// Renews the lease every third of it; returns when the lease is lost.
    async fn renew(&self, id: &str) {
        let every = self.settings.lease / 3;
        loop {
            actix_web::rt::time::sleep(every.max(Duration::from_millis(100))).await;
            match self.store.renew(id, &self.name, self.settings.lease).await {
                Ok(true) => {}
                Ok(false) => return,
                // The next renewal may pass; a lease that runs out meanwhile
                // is noticed at the next write.
                Err(e) => log::warn!("job {id}: cannot renew the lease: {e}"),
            }
        }
    }

    /// Records the job's progress; `Lost` when the worker no longer holds it.
    async fn advance(&self, job: &RefCell<Job>) -> Result<Option<Ending>, Failure> {
        let snapshot = job.borrow().clone();
        let held = self.store.advance(&snapshot, &self.name, self.settings.lease).await?;
        Ok((!held).then_some(Ending::Lost))
    }

    /// The job's work.
    async fn execute(&self, job: &RefCell<Job>) -> Result<Ending, Failure> {
        let request = job.borrow().request.clone();
        match request {
            Request::Generate { count, seed } => self.generate(job, count, seed as u64).await,
            Request::File { chunks, .. } => self.file(job, chunks).await,
            Request::Export { user } => self.export(job, &user).await,
        }
    }

    /// An import of generated posts, from the cursor on.
    async fn generate(&self, job: &RefCell<Job>, count: i64, seed: u64) -> Result<Ending, Failure> {
        let start = job.borrow().cursor.max(0) as usize;
        let mut posts = Generator::new(seed, count as u64, None).skip(start);
        loop {
            let batch: Vec<Document> = posts
                .by_ref()
                .take(self.settings.batch_size)
                .map(|generated| {
                    let value = serde_json::to_value(&generated).unwrap_or_default();
                    normalise_json(value, Source::Reddit).map(|post| api_document(&post))
                })
                .collect::<Result<_, _>>()
                .map_err(|e| Failure(format!("a generated post does not normalise: {e}")))?;
            if batch.is_empty() {
                return Ok(Ending::Done);
            }
            let n = batch.len() as i64;
            self.import_batch(job, batch).await?;
            job.borrow_mut().cursor += n;
            if let Some(lost) = self.advance(job).await? {
                return Ok(lost);
            }
        }
    }

    /// An import of a file's chunks, from the cursor on.
    async fn file(&self, job: &RefCell<Job>, chunks: i64) -> Result<Ending, Failure> {
        let id = job.borrow().id.clone();
        loop {
            let n = job.borrow().cursor;
            if n >= chunks {
                return Ok(Ending::Done);
            }
            let batch =
                self.store.chunk(&id, n).await?.ok_or_else(|| Failure(format!("chunk {n} of the file is missing")))?;
            self.import_batch(job, batch).await?;
            job.borrow_mut().cursor += 1;
            if let Some(lost) = self.advance(job).await? {
                return Ok(lost);
            }
        }
    }

    /// Sends one batch to posts and adds its outcome to the job's counts.
    async fn import_batch(&self, job: &RefCell<Job>, batch: Vec<Document>) -> Result<(), Failure> {
        let posts: Vec<Value> = batch.iter().map(|d| Value::Object(mongo_rest::convert::document_to_json(d))).collect();
        let ctx = {
            let job = job.borrow();
            job_ctx(&job.id, job.cursor)
        };
        let outcome = self.send(&ctx, &posts, true).await?;
        log::info!(
            "{}: batch sent to posts ({} written, {} skipped, {} refused)",
            ctx.request_id,
            outcome.written,
            outcome.skipped,
            outcome.errors.len()
        );
        let mut job = job.borrow_mut();
        let n = posts.len() as i64;
        job.progress.done += n;
        job.counts.read += n;
        job.counts.written += outcome.written;
        job.counts.skipped += outcome.skipped;
        job.counts.errors += outcome.errors.len() as i64;
        for report in outcome.errors {
            if job.reports.len() < MAX_REPORTS {
                job.reports.push(report);
            }
        }
        Ok(())
    }

    /// Posts a batch (`bulk`: in one call when posts takes it whole) and
    /// sorts out what posts refused: a post it already holds (its unique
    /// `name`) is skipped, any other refusal is an error of that post.
    async fn send(&self, ctx: &Ctx, posts: &[Value], bulk: bool) -> Result<Outcome, Failure> {
        let mut outcome = Outcome::default();
        if posts.is_empty() {
            return Ok(outcome);
        }
        if !bulk {
            for post in posts {
                outcome.add(self.send_one(ctx, post).await?);
            }
            return Ok(outcome);
        }
        let body = Value::Array(posts.to_vec());
        let reply = self.posts.call(ctx, Method::POST, "/posts", Some(&body)).await?;
        match reply.status {
            StatusCode::CREATED => outcome.written = posts.len() as i64,
            StatusCode::UNPROCESSABLE_ENTITY => {
                let answer: Value = reply.json().unwrap_or_default();
                let Some(items) = answer["_items"].as_array().filter(|i| i.len() == posts.len()) else {
                    return Box::pin(self.send(ctx, posts, false)).await;
                };
                // Refused whole because of some: the others are sent again.
                let mut valid = Vec::new();
                for (post, item) in posts.iter().zip(items) {
                    match item["_status"].as_str() {
                        Some("ERR") => outcome.add(refusal(post, &item["_issues"])),
                        _ => valid.push(post.clone()),
                    }
                }
                // Once more in bulk; post by post if that is refused too
                // (another writer got there in between).
                let again = Value::Array(valid.clone());
                if !valid.is_empty() {
                    let reply = self.posts.call(ctx, Method::POST, "/posts", Some(&again)).await?;
                    if reply.status == StatusCode::CREATED {
                        outcome.written += valid.len() as i64;
                    } else if reply.status.is_client_error() {
                        outcome.merge(Box::pin(self.send(ctx, &valid, false)).await?);
                    } else {
                        return Err(reply.error().into());
                    }
                }
            }
            // A duplicate met at insert time (a concurrent writer), or a
            // batch larger than posts takes: post by post.
            StatusCode::CONFLICT | StatusCode::PAYLOAD_TOO_LARGE => {
                return Box::pin(self.send(ctx, posts, false)).await
            }
            _ => return Err(reply.error().into()),
        }
        Ok(outcome)
    }

    /// Posts one post.
    async fn send_one(&self, ctx: &Ctx, post: &Value) -> Result<One, Failure> {
        let reply = self.posts.call(ctx, Method::POST, "/posts", Some(post)).await?;
        Ok(match reply.status {
            StatusCode::CREATED => One::Written,
            StatusCode::CONFLICT => One::Skipped,
            StatusCode::UNPROCESSABLE_ENTITY => {
                let answer: Value = reply.json().unwrap_or_default();
                refusal(post, &answer["_issues"])
            }
            status if status.is_client_error() => One::Error(format!("{}: refused with {status}", name_of(post))),
            _ => return Err(reply.error().into()),
        })
    }

    /// An export: the user's tagged posts (tags' `tagged_posts`, then the
    /// posts from posts, as the web front's `/me` page does) as JSON lines,
    /// each the post as posts serves it plus the user's `tags`. A new
    /// attempt starts again from the beginning.
    async fn export(&self, job: &RefCell<Job>, user: &str) -> Result<Ending, Failure> {
        let (id, attempts) = {
            let job = job.borrow();
            (job.id.clone(), job.attempts)
        };
        let ctx = job_ctx(&id, attempts);
        self.store.clear_results(&id).await?;
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for page in 1.. {
            let path = format!(
                "/aggregations/tagged_posts?user={}&max_results={TAGS_PAGE}&page={page}",
                urlencoding::encode(user)
            );
            let answer: Value = self.tags.get_found(&ctx, &path).await?;
            for item in answer["_items"].as_array().into_iter().flatten() {
                let post_id = item["post_id"].as_str().unwrap_or_default().to_owned();
                let tags = item["tags"].as_array().into_iter().flatten();
                groups.push((post_id, tags.filter_map(|t| t.as_str().map(str::to_owned)).collect()));
            }
            if answer["_links"]["next"].is_null() || groups.len() >= MAX_EXPORT_POSTS {
                break;
            }
        }
        groups.truncate(MAX_EXPORT_POSTS);
        {
            let mut job = job.borrow_mut();
            job.progress = crate::job::Progress { done: 0, total: groups.len() as i64 };
            job.counts = Default::default();
            job.result_chunks = 0;
        }
        if let Some(lost) = self.advance(job).await? {
            return Ok(lost);
        }
        let mut buffer = String::new();
        for slice in groups.chunks(POSTS_PAGE) {
            let ids: Vec<&str> = slice.iter().map(|(id, _)| id.as_str()).collect();
            let filter = json!({ "_id": { "$in": ids } });
            let path = format!(
                "/posts?where={}&max_results={POSTS_PAGE}&count=none",
                urlencoding::encode(&filter.to_string())
            );
            let answer: Value = self.posts.get_found(&ctx, &path).await?;
            let mut found: std::collections::HashMap<String, Map<String, Value>> = answer["_items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| Some((p["_id"].as_str()?.to_owned(), p.as_object()?.clone())))
                .collect();
            let (mut written, mut missing) = (0, 0);
            for (post_id, tags) in slice {
                let Some(mut post) = found.remove(post_id) else {
                    missing += 1;
                    continue;
                };
                post.remove("_links");
                let mut tags = tags.clone();
                tags.sort();
                post.insert("tags".into(), json!(tags));
                buffer.push_str(&Value::Object(post).to_string());
                buffer.push('\n');
                written += 1;
            }
            if buffer.len() >= RESULT_CHUNK_BYTES {
                self.flush(job, &mut buffer).await?;
            }
            {
                let mut job = job.borrow_mut();
                let n = slice.len() as i64;
                job.progress.done += n;
                job.counts.read += n;
                job.counts.written += written;
                job.counts.skipped += missing;
            }
            if let Some(lost) = self.advance(job).await? {
                return Ok(lost);
            }
        }
        if !buffer.is_empty() {
            self.flush(job, &mut buffer).await?;
        }
        Ok(self.advance(job).await?.unwrap_or(Ending::Done))
    }

    /// Stores the export's lines so far as its next result chunk.
    async fn flush(&self, job: &RefCell<Job>, buffer: &mut String) -> Result<(), Failure> {
        let (id, n) = {
            let job = job.borrow();
            (job.id.clone(), job.result_chunks)
        };
        self.store.put_result(&id, n, std::mem::take(buffer)).await?;
        job.borrow_mut().result_chunks = n + 1;
        Ok(())
    }
}

/// What posts made of one post.
enum One {
    /// Created.
    Written,
    /// Already there.
    Skipped,
    /// Refused: why.
    Error(String),
}

/// What posts made of a batch.
#[derive(Default)]
struct Outcome {
    /// Posts created.
    written: i64,
    /// Posts already there.
    skipped: i64,
    /// Posts refused, with why.
    errors: Vec<String>,
}

impl Outcome {
    fn add(&mut self, one: One) {
        match one {
            One::Written => self.written += 1,
            One::Skipped => self.skipped += 1,
            One::Error(report) => self.errors.push(report),
        }
    }

    fn merge(&mut self, other: Outcome) {
        self.written += other.written;
        self.skipped += other.skipped;
        self.errors.extend(other.errors);
    }
}

/// The context of a job's calls: the request id `job-<id>-<n>` (the batch's
/// cursor, or an export's attempt), so that the log lines of posts and tags
/// name the job they served.
fn job_ctx(id: &str, n: i64) -> Ctx {
    Ctx { request_id: format!("job-{id}-{n}"), timings: Default::default() }
}

/// A post's `name`, for reports.
fn name_of(post: &Value) -> String {
    post["name"].as_str().unwrap_or("?").to_owned()
}

/// A refused post: skipped when the only issue is that its `name` is
/// taken (a re-import), an error otherwise.
fn refusal(post: &Value, issues: &Value) -> One {
    let issues = issues.as_object().cloned().unwrap_or_default();
    let duplicate = issues.len() == 1
        && issues.get("name").and_then(Value::as_str).is_some_and(|message| message.contains("not unique"));
    if duplicate {
        return One::Skipped;
    }
    let reasons: Vec<String> =
        issues.iter().map(|(field, message)| format!("{field}: {}", message.as_str().unwrap_or("?"))).collect();
    One::Error(format!("{}: refused by posts: {}", name_of(post), reasons.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_taken_name_alone_is_a_skip() {
        let post = json!({ "name": "t3_a" });
        assert!(matches!(refusal(&post, &json!({ "name": "value 't3_a' is not unique" })), One::Skipped));
        let both = json!({ "name": "value 't3_a' is not unique", "title": "max length is 300" });
        assert!(matches!(refusal(&post, &both), One::Error(r) if r.contains("t3_a") && r.contains("title")));
        assert!(matches!(refusal(&post, &json!({ "title": "required field" })), One::Error(_)));
    }
}
