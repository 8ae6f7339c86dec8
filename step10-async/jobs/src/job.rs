//! What a job is: the document kept in `reddit_jobs.jobs`, and the body the
//! API answers with.
//!
//! The document holds everything a worker needs to run or resume the job
//! (the request, the cursor it has reached, the counts so far) and what
//! coordinates the workers: `owner` and `lease_until` (the lease),
//! `attempts`, `run_after` (a failed attempt waits before the next).
//! `expires_at` is set when the job finishes; a TTL index deletes the job
//! then, and reads treat an expired job as gone at once (a TTL monitor runs
//! only every minute or so).

use mongodb::bson::DateTime;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

/// The kinds of job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Posts written through the posts API, generated or from a file.
    Import,
    /// A user's tagged posts as JSON lines.
    Export,
}

impl Kind {
    /// The kind named in `POST /v1/jobs/{kind}`, if it is one.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "import" => Some(Kind::Import),
            "export" => Some(Kind::Export),
            _ => None,
        }
    }
}

/// Where a job is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Waiting for a worker.
    Queued,
    /// A worker holds its lease.
    Running,
    /// Done; the result is at `_links.result`.
    Succeeded,
    /// Given up: `error` says why.
    Failed,
    /// Canceled by `DELETE`.
    Canceled,
}

impl Status {
    /// The value stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Running => "running",
            Status::Succeeded => "succeeded",
            Status::Failed => "failed",
            Status::Canceled => "canceled",
        }
    }

    /// Whether the job is over (it will not change again).
    pub fn is_finished(self) -> bool {
        matches!(self, Status::Succeeded | Status::Failed | Status::Canceled)
    }
}

/// What the job was asked to do, as checked at submission.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Request {
    /// Import `count` posts made by `datasets`' generator from `seed`.
    Generate {
        /// How many posts.
        count: i64,
        /// The seed (a `u64` stored as its `i64` bits: BSON has no `u64`).
        seed: i64,
    },
    /// Import the posts of a file, parsed at submission and stored as
    /// `chunks` documents of at most one batch each.
    File {
        /// The format it was read as (`jsonl`, `json`, `stackexchange`).
        format: String,
        /// How many chunks.
        chunks: i64,
    },
    /// Export the posts `user` tagged.
    Export {
        /// The user.
        user: String,
    },
}

/// `progress`: how far the job is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Progress {
    /// Posts handled so far.
    pub done: i64,
    /// Posts to handle (an export knows it once it has asked tags).
    pub total: i64,
}

/// An import's counts, its result: every record read ends up in exactly
/// one of `written`, `skipped` (not a post, or a post posts already holds:
/// a re-import) and `errors` (a post posts refused).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Counts {
    /// Records read.
    pub read: i64,
    /// Posts created in posts.
    pub written: i64,
    /// Records that are not posts, and posts already there.
    pub skipped: i64,
    /// Posts that posts refused (their reasons are in `reports`).
    pub errors: i64,
}

/// The job document.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Job {
    /// A random UUID (32 hex digits): ids cannot be guessed.
    #[serde(rename = "_id")]
    pub id: String,
    /// The kind.
    pub kind: Kind,
    /// The status.
    pub status: Status,
    /// What to do.
    pub request: Request,
    /// How far it is.
    pub progress: Progress,
    /// Where a resumed worker starts: the next chunk (a file), the next
    /// post's index (generated posts); unused by exports, which restart.
    pub cursor: i64,
    /// The import's counts so far.
    pub counts: Counts,
    /// The first problems met (at most [`MAX_REPORTS`]).
    pub reports: Vec<String>,
    /// For an export: how many `results` chunks hold its lines.
    pub result_chunks: i64,
    /// When it was submitted.
    pub created_at: DateTime,
    /// When a worker first started it.
    pub started_at: Option<DateTime>,
    /// When it finished.
    pub finished_at: Option<DateTime>,
    /// How many times a worker started it.
    pub attempts: i64,
    /// Why the last attempt failed, or why the job did.
    pub error: Option<String>,
    /// The worker holding it.
    pub owner: Option<String>,
    /// Until when the worker's lease holds.
    pub lease_until: Option<DateTime>,
    /// Not claimed before this (a failed attempt's back-off).
    pub run_after: DateTime,
    /// When it is deleted (set when it finishes).
    pub expires_at: Option<DateTime>,
}

/// The most problem reports a job keeps.
pub const MAX_REPORTS: usize = 20;

impl Job {
    /// A new queued job.
    pub fn new(kind: Kind, request: Request, total: i64, counts: Counts) -> Self {
        let now = DateTime::now();
        Self {
            id: uuid::Uuid::new_v4().simple().to_string(),
            kind,
            status: Status::Queued,
            request,
            progress: Progress { done: 0, total },
            cursor: 0,
            counts,
            reports: Vec::new(),
            result_chunks: 0,
            created_at: now,
            started_at: None,
            finished_at: None,
            attempts: 0,
            error: None,
            owner: None,
            lease_until: None,
            run_after: now,
            expires_at: None,
        }
    }

    /// `/v1/jobs/{id}`.
    pub fn href(&self) -> String {
        format!("/v1/jobs/{}", self.id)
    }

    /// `/v1/jobs/{id}/result`.
    pub fn result_href(&self) -> String {
        format!("/v1/jobs/{}/result", self.id)
    }

    /// Whether it has expired at `now` (the TTL monitor may not have
    /// deleted it yet).
    pub fn is_expired(&self, now: DateTime) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }

    /// The body the API answers with.
    pub fn body(&self) -> JobBody {
        let date = |d: Option<DateTime>| d.and_then(|d| d.try_to_rfc3339_string().ok());
        JobBody {
            id: self.id.clone(),
            kind: self.kind,
            status: self.status,
            progress: self.progress,
            created_at: date(Some(self.created_at)).unwrap_or_default(),
            started_at: date(self.started_at),
            finished_at: date(self.finished_at),
            attempts: self.attempts,
            error: self.error.clone(),
            links: Links {
                this: Link { title: "job".into(), href: self.href() },
                result: (self.status == Status::Succeeded)
                    .then(|| Link { title: "result".into(), href: self.result_href() }),
            },
        }
    }
}

/// A link of `_links`.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Link {
    /// What it points to.
    pub title: String,
    /// The path, from the service's root.
    pub href: String,
}

/// `_links` of a job.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Links {
    /// The job itself (the status monitor).
    #[serde(rename = "self")]
    pub this: Link,
    /// The result, once the job has succeeded (`null` before).
    pub result: Option<Link>,
}

/// A job as the API shows it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct JobBody {
    /// The job's id.
    pub id: String,
    /// `import` or `export`.
    pub kind: Kind,
    /// `queued`, `running`, `succeeded`, `failed` or `canceled`.
    pub status: Status,
    /// Posts handled and to handle.
    pub progress: Progress,
    /// When it was submitted (RFC 3339).
    pub created_at: String,
    /// When a worker first started it (RFC 3339), or `null`.
    pub started_at: Option<String>,
    /// When it finished (RFC 3339), or `null`.
    pub finished_at: Option<String>,
    /// How many times a worker started it.
    pub attempts: i64,
    /// Why the last attempt failed, or why the job did; `null` if none did.
    pub error: Option<String>,
    /// Links to the job and its result.
    #[serde(rename = "_links")]
    pub links: Links,
}

/// The result of an import: its counts, and the first problems.
pub fn import_result(job: &Job) -> Value {
    let c = job.counts;
    json!({ "read": c.read, "written": c.written, "skipped": c.skipped, "errors": c.errors, "reports": job.reports })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_links_the_result_only_once_succeeded() {
        let mut job = Job::new(Kind::Export, Request::Export { user: "ann".into() }, 0, Counts::default());
        let body = serde_json::to_value(job.body()).unwrap();
        assert_eq!(body["status"], "queued");
        assert_eq!(body["_links"]["self"]["href"], format!("/v1/jobs/{}", job.id));
        assert!(body["_links"]["result"].is_null());
        assert!(body["started_at"].is_null() && body["error"].is_null());
        assert_eq!(body["progress"], json!({"done": 0, "total": 0}));
        job.status = Status::Succeeded;
        let body = serde_json::to_value(job.body()).unwrap();
        assert_eq!(body["_links"]["result"]["href"], format!("/v1/jobs/{}/result", job.id));
    }

    #[test]
    fn a_job_round_trips_through_bson() {
        let job = Job::new(Kind::Import, Request::Generate { count: 5, seed: -1 }, 5, Counts::default());
        let doc = mongodb::bson::to_document(&job).unwrap();
        assert_eq!(doc.get_str("status").unwrap(), "queued");
        assert_eq!(doc.get_document("request").unwrap().get_str("type").unwrap(), "generate");
        let back: Job = mongodb::bson::from_document(doc).unwrap();
        assert_eq!(back.request, job.request);
    }
}
