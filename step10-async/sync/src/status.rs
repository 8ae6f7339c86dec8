//! What each loop last saw, kept in memory and shared with the HTTP
//! handlers (`/health/ready`). Sync stores nothing else: the checkpoints
//! live in the targets, the oplog in posts.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::Instant,
};

use serde::Serialize;
use utoipa::ToSchema;

/// An oplog entry that is missing: the target stays at `after`, and the
/// oplog goes on at `next`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Gap {
    /// The last contiguous `seq` (the target's checkpoint stays there).
    pub after: i64,
    /// The next `seq` the oplog holds.
    pub next: i64,
}

/// One target's state as `/health/ready` reports it.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct TargetStatus {
    /// The target's checkpoint (`null` before its first snapshot ends).
    pub checkpoint: Option<i64>,
    /// The newest oplog `seq` this loop has seen.
    pub head: Option<i64>,
    /// `head - checkpoint`, when both are known.
    pub lag: Option<i64>,
    /// A missing oplog entry, if the loop is stopped at one.
    pub gap: Option<Gap>,
    /// The last cycle's error, if it failed.
    pub error: Option<String>,
    /// When a cycle last succeeded (RFC 3339).
    pub last_success: Option<String>,
    /// Whether the target answered the loop's last call to it.
    #[serde(skip)]
    pub target_up: bool,
    /// Whether posts answered the loop's last call to it (`None`: this
    /// loop has not called posts yet, its target failing first).
    #[serde(skip)]
    pub posts_up: Option<bool>,
    /// When the last gap was logged (at most once a minute).
    #[serde(skip)]
    pub gap_logged: Option<Instant>,
}

impl TargetStatus {
    fn refresh_lag(&mut self) {
        self.lag = match (self.head, self.checkpoint) {
            (Some(head), Some(checkpoint)) => Some((head - checkpoint).max(0)),
            _ => None,
        };
    }

    /// Records the target's checkpoint.
    pub fn set_checkpoint(&mut self, seq: Option<i64>) {
        self.checkpoint = seq;
        self.refresh_lag();
    }

    /// Records an oplog `seq` seen (the head only grows, unless posts was
    /// reset: `reset` takes it as it is).
    pub fn saw_head(&mut self, seq: i64, reset: bool) {
        self.head = Some(if reset { seq } else { self.head.map_or(seq, |h| h.max(seq)) });
        self.refresh_lag();
    }
}

/// Every target's status, by target name.
#[derive(Clone, Default)]
pub struct Status(Arc<Mutex<BTreeMap<&'static str, TargetStatus>>>);

impl Status {
    /// Registers `names`, not yet answered.
    pub fn new(names: &[&'static str]) -> Self {
        Self(Arc::new(Mutex::new(names.iter().map(|n| (*n, TargetStatus::default())).collect())))
    }

    /// Changes one target's status (the lock is never held across an await).
    pub fn update<R>(&self, name: &'static str, change: impl FnOnce(&mut TargetStatus) -> R) -> R {
        let mut all = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        change(all.entry(name).or_default())
    }

    /// A copy of every target's status.
    pub fn snapshot(&self) -> BTreeMap<&'static str, TargetStatus> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }
}
