//! The jobs' storage in MongoDB, and every atomic step of a job's life.
//!
//! Three collections of the service's own database:
//! - `jobs`: one [`Job`] document per job. Workers coordinate through it
//!   alone, so any number of processes can run workers: a claim is one
//!   `findOneAndUpdate` (a queued job, or a running one whose lease ran
//!   out, becomes this worker's with a new lease and one more attempt), and
//!   every later write of the worker is conditional on still holding the
//!   lease (`owner` and `status: running`), so a worker that lost it (it
//!   stalled, or the job was canceled) finds out at its next write.
//! - `chunks`: an import file's posts, parsed at submission, one document
//!   per batch (`{_id: "<job>:<n>", posts: [...]}`), deleted when the job
//!   finishes. A document per chunk rather than GridFS or the job document:
//!   a chunk is what a worker sends in one call, and each stays far under
//!   MongoDB's 16 MiB document limit whatever the file's size.
//! - `results`: an export's JSON lines, a document per chunk of about
//!   [`RESULT_CHUNK_BYTES`], kept as long as the job.
//!
//! The kit's `Idempotency-Key` records live beside them (`idempotency`).
//!
//! Finished jobs and results carry `expires_at`; TTL indexes delete them
//! then. A TTL monitor runs about once a minute, so [`Store::get`] also
//! treats an expired job as gone.

use std::time::Duration;

use futures::TryStreamExt;
use kit::mongo::Mongo;
use mongodb::{
    bson::{doc, to_bson, DateTime, Document},
    options::{IndexOptions, ReturnDocument},
    Collection, IndexModel,
};

use crate::job::{Counts, Job, Status};

/// How long an index creation that failed (MongoDB down at startup) waits
/// before it is tried again.
pub const INDEX_RETRY: Duration = Duration::from_secs(5);
/// How long an import file's chunks are kept at most, whatever happens to
/// the job (they are deleted when it finishes; this is the backstop).
pub const CHUNK_TTL: Duration = Duration::from_secs(30 * 86_400);
/// The size an export's result chunk is cut at.
pub const RESULT_CHUNK_BYTES: usize = 1024 * 1024;

/// `now + d`.
pub fn after(now: DateTime, d: Duration) -> DateTime {
    DateTime::from_millis(now.timestamp_millis().saturating_add(d.as_millis() as i64))
}

/// The jobs' collections.
#[derive(Clone)]
pub struct Store {
    /// The service's database (and what it touched).
    pub mongo: Mongo,
    jobs: Collection<Job>,
    chunks: Collection<Document>,
    results: Collection<Document>,
    /// The `Idempotency-Key` records of submissions (the kit's store, in
    /// the same database).
    pub idempotency: kit::idempotency::Store,
}

impl Store {
    /// The collections of `mongo`'s database.
    pub fn new(mongo: Mongo) -> Self {
        Self {
            jobs: mongo.db.collection("jobs"),
            chunks: mongo.db.collection("chunks"),
            results: mongo.db.collection("results"),
            idempotency: kit::idempotency::Store::new(&mongo.db),
            mongo,
        }
    }

    /// Creates the indexes: the TTL ones (the idempotency keys' too), and
    /// those the claims use.
    pub async fn ensure_indexes(&self) -> mongodb::error::Result<()> {
        let ttl = || IndexOptions::builder().expire_after(Duration::ZERO).build();
        self.jobs
            .create_indexes([
                IndexModel::builder().keys(doc! { "expires_at": 1 }).options(ttl()).build(),
                IndexModel::builder().keys(doc! { "status": 1, "run_after": 1, "created_at": 1 }).build(),
                IndexModel::builder().keys(doc! { "status": 1, "lease_until": 1 }).build(),
            ])
            .await?;
        self.chunks.create_index(IndexModel::builder().keys(doc! { "expires_at": 1 }).options(ttl()).build()).await?;
        self.results
            .create_indexes([
                IndexModel::builder().keys(doc! { "expires_at": 1 }).options(ttl()).build(),
                IndexModel::builder().keys(doc! { "job": 1, "n": 1 }).build(),
            ])
            .await?;
        self.idempotency.ensure_indexes().await
    }

    /// [`Store::ensure_indexes`], or, while MongoDB is down, retried every
    /// [`INDEX_RETRY`] in the background so that the service starts (and
    /// answers its 503s) anyway. Must run inside the actix runtime.
    pub async fn ensure_indexes_or_retry(&self) {
        if let Err(e) = self.ensure_indexes().await {
            log::warn!("cannot create the jobs indexes yet ({e}); retrying every {INDEX_RETRY:?} in the background");
            let store = self.clone();
            actix_web::rt::spawn(async move {
                loop {
                    actix_web::rt::time::sleep(INDEX_RETRY).await;
                    if store.ensure_indexes().await.is_ok() {
                        log::info!("jobs indexes created");
                        break;
                    }
                }
            });
        }
    }

    /// How many jobs are queued.
    pub async fn queued(&self) -> mongodb::error::Result<u64> {
        self.jobs.count_documents(doc! { "status": Status::Queued.as_str() }).await
    }

    /// Stores an import file's chunks (before its job, so that a worker
    /// never sees the job without them).
    pub async fn insert_chunks(&self, job: &str, chunks: Vec<Vec<Document>>) -> mongodb::error::Result<()> {
        let expires_at = after(DateTime::now(), CHUNK_TTL);
        // One insert per chunk: a batch of inserts is one command, and one
        // command is bounded by 48 MB.
        for (n, posts) in chunks.into_iter().enumerate() {
            let chunk = doc! { "_id": format!("{job}:{n}"), "job": job, "n": n as i64, "posts": posts, "expires_at": expires_at };
            self.chunks.insert_one(chunk).await?;
        }
        Ok(())
    }

    /// Stores a new job.
    pub async fn insert(&self, job: &Job) -> mongodb::error::Result<()> {
        self.jobs.insert_one(job).await.map(|_| ())
    }

    /// The job `id`, unless there is none or it has expired.
    pub async fn get(&self, id: &str) -> mongodb::error::Result<Option<Job>> {
        let job = self.jobs.find_one(doc! { "_id": id }).await?;
        Ok(job.filter(|j| !j.is_expired(DateTime::now())))
    }

    /// Claims the oldest job that is queued (and past its back-off) or
    /// running with an expired lease: it becomes `owner`'s until `lease`
    /// from now, with one more attempt. One atomic `findOneAndUpdate`, so
    /// two workers never claim the same job.
    pub async fn claim(&self, owner: &str, lease: Duration) -> mongodb::error::Result<Option<Job>> {
        // ANCHOR: claim
        let now = DateTime::now();
        let filter = doc! { "$or": [
            { "status": Status::Queued.as_str(), "run_after": { "$lte": now } },
            { "status": Status::Running.as_str(), "lease_until": { "$lt": now } },
        ] };
        let update = doc! {
            "$set": { "status": Status::Running.as_str(), "owner": owner, "lease_until": after(now, lease) },
            "$inc": { "attempts": 1_i64 },
        };
        let job = self
            .jobs
            .find_one_and_update(filter, update)
            .sort(doc! { "created_at": 1 })
            .return_document(ReturnDocument::After)
            .await?;
        // ANCHOR_END: claim
        if let Some(job) = &job {
            if job.started_at.is_none() {
                self.jobs
                    .update_one(doc! { "_id": &job.id, "started_at": null }, doc! { "$set": { "started_at": now } })
                    .await?;
            }
        }
        Ok(job)
    }

    /// The filter "`id`, still `owner`'s and running".
    fn held(id: &str, owner: &str) -> Document {
        doc! { "_id": id, "owner": owner, "status": Status::Running.as_str() }
    }

    /// Renews the lease; `false` when the worker no longer holds it.
    pub async fn renew(&self, id: &str, owner: &str, lease: Duration) -> mongodb::error::Result<bool> {
        let update = doc! { "$set": { "lease_until": after(DateTime::now(), lease) } };
        Ok(self.jobs.update_one(Self::held(id, owner), update).await?.matched_count == 1)
    }

    /// Records a batch's progress (and renews the lease); `false` when the
    /// worker no longer holds the job.
    pub async fn advance(&self, job: &Job, owner: &str, lease: Duration) -> mongodb::error::Result<bool> {
        let update = doc! { "$set": {
            "progress": to_bson(&job.progress)?,
            "cursor": job.cursor,
            "counts": to_bson(&job.counts)?,
            "reports": &job.reports,
            "result_chunks": job.result_chunks,
            "lease_until": after(DateTime::now(), lease),
        } };
        Ok(self.jobs.update_one(Self::held(&job.id, owner), update).await?.matched_count == 1)
    }

    /// Finishes a held job with `status` (and `error`), to expire after
    /// `retention`; drops its chunks, and dates its results' expiry.
    /// `false` when the worker no longer held it.
    pub async fn finish(
        &self,
        id: &str,
        owner: &str,
        status: Status,
        error: Option<String>,
        retention: Duration,
    ) -> mongodb::error::Result<bool> {
        let now = DateTime::now();
        let expires_at = after(now, retention);
        let update = doc! { "$set": {
            "status": status.as_str(), "error": error, "finished_at": now, "expires_at": expires_at,
            "owner": null, "lease_until": null,
        } };
        let held = self.jobs.update_one(Self::held(id, owner), update).await?.matched_count == 1;
        if held {
            self.after_finish(id, expires_at).await?;
        }
        Ok(held)
    }

    /// What follows a job's end: its chunks go, its results get its expiry.
    async fn after_finish(&self, id: &str, expires_at: DateTime) -> mongodb::error::Result<()> {
        self.chunks.delete_many(doc! { "job": id }).await?;
        self.results.update_many(doc! { "job": id }, doc! { "$set": { "expires_at": expires_at } }).await?;
        Ok(())
    }

    /// Gives a held job back to the queue after a failed attempt, to be
    /// tried again after `delay`; `false` when the worker no longer held it.
    pub async fn requeue(&self, id: &str, owner: &str, error: &str, delay: Duration) -> mongodb::error::Result<bool> {
        let update = doc! { "$set": {
            "status": Status::Queued.as_str(), "error": error, "run_after": after(DateTime::now(), delay),
            "owner": null, "lease_until": null,
        } };
        Ok(self.jobs.update_one(Self::held(id, owner), update).await?.matched_count == 1)
    }

    /// Cancels a queued or running job: the job as it is now, or `None`
    /// when it is not (missing, expired, or finished: see [`Store::get`]).
    /// A running job's worker notices at its next write.
    pub async fn cancel(&self, id: &str, retention: Duration) -> mongodb::error::Result<Option<Job>> {
        let now = DateTime::now();
        let expires_at = after(now, retention);
        let filter = doc! { "_id": id, "status": { "$in": [Status::Queued.as_str(), Status::Running.as_str()] } };
        let update = doc! { "$set": {
            "status": Status::Canceled.as_str(), "finished_at": now, "expires_at": expires_at,
            "owner": null, "lease_until": null,
        } };
        let job = self.jobs.find_one_and_update(filter, update).return_document(ReturnDocument::After).await?;
        if job.is_some() {
            self.after_finish(id, expires_at).await?;
        }
        Ok(job)
    }

    /// Chunk `n` of an import file's job: its posts (`None` if missing).
    pub async fn chunk(&self, job: &str, n: i64) -> mongodb::error::Result<Option<Vec<Document>>> {
        let Some(chunk) = self.chunks.find_one(doc! { "_id": format!("{job}:{n}") }).await? else {
            return Ok(None);
        };
        let posts = chunk.get_array("posts").map_err(|e| mongodb::error::Error::custom(e.to_string()))?;
        Ok(Some(posts.iter().filter_map(|p| p.as_document().cloned()).collect()))
    }

    /// Drops a job's results (an export restarted by a new attempt).
    pub async fn clear_results(&self, job: &str) -> mongodb::error::Result<()> {
        self.results.delete_many(doc! { "job": job }).await.map(|_| ())
    }

    /// Stores result chunk `n` of a job (replacing one a stopped attempt
    /// left).
    pub async fn put_result(&self, job: &str, n: i64, lines: String) -> mongodb::error::Result<()> {
        let id = format!("{job}:{n}");
        let chunk = doc! { "_id": &id, "job": job, "n": n, "lines": lines, "expires_at": null };
        self.results.replace_one(doc! { "_id": &id }, chunk).upsert(true).await.map(|_| ())
    }

    /// A job's result, its chunks joined in order.
    pub async fn result(&self, job: &Job) -> mongodb::error::Result<String> {
        let chunks: Vec<Document> = self
            .results
            .find(doc! { "job": &job.id, "n": { "$lt": job.result_chunks } })
            .sort(doc! { "n": 1 })
            .await?
            .try_collect()
            .await?;
        Ok(chunks.iter().filter_map(|c| c.get_str("lines").ok()).collect())
    }
}

/// The counts as they are kept in a chunk-less import's job (the
/// submission's own skipped records).
pub fn initial_counts(skipped: i64) -> Counts {
    Counts { read: skipped, written: 0, skipped, errors: 0 }
}
