//! The jobs service's settings, from environment variables with
//! documented defaults.
//!
//! Besides what every service reads ([`Common`]: `HOST`, `PORT` 5010,
//! `MONGODB_URI`, `MONGODB_DB` `reddit_jobs`, `DB_TIMEOUT_MS`), jobs reads
//! where posts and tags are, how long finished jobs are kept, the lease,
//! the attempts, the queue's bound, how many jobs a process runs at once,
//! how often idle workers look for work, and the largest request body (an
//! import file is sent whole as the body of `POST /v1/jobs/import`).

use std::time::Duration;

use kit::settings::{Common, Env, SettingsError};

/// The default port of the jobs service.
pub const DEFAULT_PORT: u16 = 5010;
/// The jobs service's own database.
pub const DEFAULT_DB: &str = "reddit_jobs";
/// The default of `MAX_BODY_BYTES`: 32 MiB, an import file of about
/// 30,000 reddit posts (a post is about 1 KiB as JSON).
pub const DEFAULT_MAX_BODY_BYTES: u64 = 32 * 1024 * 1024;
/// The smallest `MAX_BODY_BYTES` accepted: 64 KiB.
pub const MIN_MAX_BODY_BYTES: u64 = 64 * 1024;
/// The largest `MAX_BODY_BYTES` accepted: 256 MiB. The file is parsed in
/// memory at submission and stored as chunks, so the body's size is what
/// one submission costs in memory (a few times over while it is parsed).
pub const MAX_MAX_BODY_BYTES: u64 = 256 * 1024 * 1024;
/// The most posts sent to posts in one bulk `POST`: posts' own
/// `MAX_BULK_DOCUMENTS` default (a larger batch would be refused whole).
pub const MAX_BATCH: u64 = 100;

/// Everything the jobs service reads at startup.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Where to listen and which database is ours.
    pub common: Common,
    /// `POSTS_URL`: the posts service's instances (default
    /// `http://127.0.0.1:5002`), where imports write and exports read.
    pub posts_urls: Vec<String>,
    /// `TAGS_URL`: the tags service's instances (default
    /// `http://127.0.0.1:5005`), where exports find a user's tagged posts.
    pub tags_urls: Vec<String>,
    /// `UPSTREAM_TIMEOUT_MS`: one call to posts or tags, sent and read
    /// whole (default 10,000 ms: a bulk insert of a batch takes a while).
    pub upstream_timeout: Duration,
    /// `JOBS_RETENTION_SECS`: how long a finished job (and its result) is
    /// kept (default 86,400 s, one day; from 1 s to 30 days).
    pub retention: Duration,
    /// `JOBS_LEASE_SECS`: how long a claimed job stays its worker's without
    /// a renewal (default 30 s, from 1 s to 1 hour). A worker renews it a
    /// few times per lease; a job whose lease ran out is taken by another.
    pub lease: Duration,
    /// `JOBS_MAX_ATTEMPTS`: how many times a job is started before it is
    /// `failed` (default 3, from 1 to 100).
    pub max_attempts: u32,
    /// `JOBS_QUEUE_MAX`: the most queued jobs (default 100, from 1 to
    /// 100,000); a submission beyond is a 429.
    pub queue_max: u64,
    /// `JOBS_WORKERS`: jobs one process runs at once (default 2, from 0 to
    /// 64; 0 only accepts and answers, which the tests use).
    pub workers: u32,
    /// `JOBS_POLL_MS`: how often an idle worker looks for a queued job
    /// (default 500 ms, from 10 ms to 60 s). A job submitted to this process
    /// wakes its workers at once.
    pub poll: Duration,
    /// `JOBS_RETRY_DELAY_MS`: after a failed attempt the job waits this
    /// long times the attempts made before it is tried again (default
    /// 1,000 ms, from 0 to 10 minutes).
    pub retry_delay: Duration,
    /// `JOBS_BATCH_SIZE`: posts per bulk `POST` to posts, and per progress
    /// update (default 100, from 1 to [`MAX_BATCH`]).
    pub batch_size: usize,
    /// `MAX_BODY_BYTES`: the largest request body (default 32 MiB, from
    /// 64 KiB to 256 MiB); larger ones get 413.
    pub max_body_bytes: usize,
}

impl Settings {
    /// Reads the settings from `env` (`Env::process()` for the real
    /// environment), refusing unusable values with the variable's name.
    pub fn read<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, SettingsError> {
        Ok(Self {
            common: Common::read(env, DEFAULT_PORT, DEFAULT_DB)?,
            posts_urls: env.urls("POSTS_URL", "http://127.0.0.1:5002")?,
            tags_urls: env.urls("TAGS_URL", "http://127.0.0.1:5005")?,
            upstream_timeout: env.millis("UPSTREAM_TIMEOUT_MS", 10_000, 100, 600_000)?,
            retention: Duration::from_secs(env.number("JOBS_RETENTION_SECS", 86_400, 1, 30 * 86_400)?),
            lease: Duration::from_secs(env.number("JOBS_LEASE_SECS", 30, 1, 3_600)?),
            max_attempts: env.number("JOBS_MAX_ATTEMPTS", 3, 1, 100)? as u32,
            queue_max: env.number("JOBS_QUEUE_MAX", 100, 1, 100_000)?,
            workers: env.number("JOBS_WORKERS", 2, 0, 64)? as u32,
            poll: env.millis("JOBS_POLL_MS", 500, 10, 60_000)?,
            retry_delay: env.millis("JOBS_RETRY_DELAY_MS", 1_000, 0, 600_000)?,
            batch_size: env.number("JOBS_BATCH_SIZE", MAX_BATCH, 1, MAX_BATCH)? as usize,
            max_body_bytes: env.number(
                "MAX_BODY_BYTES",
                DEFAULT_MAX_BODY_BYTES,
                MIN_MAX_BODY_BYTES,
                MAX_MAX_BODY_BYTES,
            )? as usize,
        })
    }

    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::read(&Env::process())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kit::settings::pairs as env;

    #[test]
    fn defaults_are_the_documented_ones() {
        let s = Settings::read(&env(&[])).unwrap();
        assert_eq!((s.common.host.as_str(), s.common.port), ("127.0.0.1", 5010));
        assert_eq!(s.common.mongodb_db, "reddit_jobs");
        assert_eq!(s.posts_urls, ["http://127.0.0.1:5002"]);
        assert_eq!(s.tags_urls, ["http://127.0.0.1:5005"]);
        assert_eq!(s.retention, Duration::from_secs(86_400));
        assert_eq!(s.lease, Duration::from_secs(30));
        assert_eq!((s.max_attempts, s.queue_max, s.workers), (3, 100, 2));
        assert_eq!((s.poll, s.batch_size), (Duration::from_millis(500), 100));
        assert_eq!(s.max_body_bytes, 32 * 1024 * 1024);
    }

    #[test]
    fn values_out_of_range_are_refused_by_name() {
        for (name, value) in [
            ("JOBS_RETENTION_SECS", "0"),
            ("JOBS_LEASE_SECS", "0"),
            ("JOBS_MAX_ATTEMPTS", "0"),
            ("JOBS_QUEUE_MAX", "0"),
            ("JOBS_WORKERS", "65"),
            ("JOBS_POLL_MS", "1"),
            ("JOBS_BATCH_SIZE", "101"),
            ("MAX_BODY_BYTES", "10"),
            ("POSTS_URL", "posts:5002"),
            ("TAGS_URL", ""),
        ] {
            let err = Settings::read(&env(&[(name, value)])).unwrap_err();
            assert_eq!(err.name, name, "{name}={value}");
        }
    }
}
