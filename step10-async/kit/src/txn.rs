//! Transactions that count: what likes and shares need to keep a counter
//! and the documents it counts in step under concurrency.
//!
//! - [`with_retries`] runs one transaction again while it fails with an
//!   error the caller calls retryable (a write conflict's
//!   `TransientTransactionError`, a duplicate key met by a racing upsert),
//!   after a random pause that doubles up to [`MAX_PAUSE`] (full jitter:
//!   many writers of one counter stop colliding), at most [`MAX_ATTEMPTS`]
//!   times; then [`Failed::Contended`], which the services answer with 503.
//! - [`commit`] commits, again while the outcome is unknown (a commit is
//!   idempotent).
//! - [`Stripes`]: writers of one key (a post) inside one process take
//!   turns, so that two hundred likes of one post at once do not all
//!   collide in the database; between processes the retries decide.

use std::time::Duration;

use mongodb::{error::UNKNOWN_TRANSACTION_COMMIT_RESULT, ClientSession};
use rand::Rng;

/// How many times a conflicting transaction is run before giving up (503).
pub const MAX_ATTEMPTS: u32 = 100;
/// The longest pause between two attempts (each pause is random, up to
/// twice the one before, from 1 ms to this).
pub const MAX_PAUSE: Duration = Duration::from_millis(100);
/// How many locks the keys share in [`Stripes`].
pub const STRIPES: usize = 64;

/// Why [`with_retries`] gave up.
#[derive(Debug)]
pub enum Failed {
    /// Still conflicting after [`MAX_ATTEMPTS`] (a 503: try again later).
    Contended(mongodb::error::Error),
    /// Any other database error.
    Other(mongodb::error::Error),
}

/// A fixed set of async locks, one chosen per key by its hash: writers of
/// one key take turns, writers of different keys rarely wait for each
/// other, and the memory is bounded whatever the number of keys.
pub struct Stripes(Vec<futures::lock::Mutex<()>>);

impl Default for Stripes {
    fn default() -> Self {
        Self((0..STRIPES).map(|_| futures::lock::Mutex::new(())).collect())
    }
}

impl Stripes {
    /// Waits for `key`'s turn; the turn ends when the guard is dropped.
    pub async fn lock(&self, key: &str) -> futures::lock::MutexGuard<'_, ()> {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        key.hash(&mut hasher);
        self.0[(hasher.finish() % STRIPES as u64) as usize].lock().await
    }
}

/// Commits, retrying while the outcome is unknown (the commit is idempotent).
pub async fn commit(session: &mut ClientSession) -> mongodb::error::Result<()> {
    let mut attempts = 0;
    loop {
        match session.commit_transaction().await {
            Err(e) if e.contains_label(UNKNOWN_TRANSACTION_COMMIT_RESULT) && attempts < 3 => attempts += 1,
            other => return other,
        }
    }
}

/// Runs `attempt` (one transaction) until it succeeds, fails with an error
/// `retryable` refuses, or has run [`MAX_ATTEMPTS`] times.
pub async fn with_retries<T, F, Fut>(retryable: fn(&mongodb::error::Error) -> bool, mut attempt: F) -> Result<T, Failed>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = mongodb::error::Result<T>>,
{
    let mut pause = Duration::from_millis(1);
    for n in 1..=MAX_ATTEMPTS {
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(e) if retryable(&e) && n < MAX_ATTEMPTS => {
                let wait = rand::rng().random_range(Duration::ZERO..=pause);
                actix_web::rt::time::sleep(wait).await;
                pause = (pause * 2).min(MAX_PAUSE);
            }
            Err(e) if retryable(&e) => return Err(Failed::Contended(e)),
            Err(e) => return Err(Failed::Other(e)),
        }
    }
    unreachable!("the last attempt returns")
}
