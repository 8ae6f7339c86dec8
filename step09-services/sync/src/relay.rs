//! One loop per target: read the target's checkpoint, read what follows it
//! in the posts' oplog (or a snapshot page), hand it over, repeat.
//!
//! The loop keeps no position of its own: every cycle starts from the
//! checkpoint the target reports, and every batch is applied by the target
//! with its checkpoint in one transaction, only if the checkpoint is still
//! the batch's `expect` (`kit::sync`). So a sync killed at any
//! moment, restarted, or running twice, neither loses nor doubles an entry.
//!
//! An idle loop costs one request a cycle: once a full cycle found nothing
//! new, the loop remembers the checkpoint it read ([`Known`]) and, until
//! `REVALIDATE_MS` has passed, only asks posts what follows it. The target's
//! checkpoint (another sync instance moved it, or the target's database was
//! dropped: `seq` back to null) and the oplog head (posts reset below the
//! checkpoint; the lag) are read again every `REVALIDATE_MS`, and on the
//! cycle after any error, 409, gap or applied batch. Trusting the
//! remembered checkpoint is safe: every batch is still a compare-and-set on
//! it, so a stale one only costs a 409 and a re-read.
//!
//! A MongoDB change stream is not used: its resume tokens are not portable
//! (SecantusDB's mean nothing to `mongod`), SecantusDB keeps its own oplog
//! about an hour only, so a token can expire while a target is down, and
//! the posts' gapless `seq` is the truth anyway. A change stream could only
//! wake the loop sooner than `POLL_MS`: left as an exercise.

use std::{
    cell::Cell,
    rc::Rc,
    time::{Duration, Instant},
};

use actix_web::http::{Method, StatusCode};
use kit::{
    sync::{Applied, Apply, Checkpoint, Entry, Position, SnapshotPage},
    upstream::{Ctx, Instances, Upstream, UpstreamError},
};
use rand::Rng;
use serde_json::{json, Map, Value};

use crate::{
    error::SyncError,
    settings::Settings,
    status::{Gap, Status},
};

/// The first wait after a failure (doubled each failure in a row, up to
/// `BACKOFF_MAX_MS`).
pub const BACKOFF_MIN: Duration = Duration::from_millis(100);
/// How often a gap that persists is logged again.
pub const GAP_LOG_EVERY: Duration = Duration::from_secs(60);

/// What a successful cycle found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// A batch or page was applied: more may be waiting, go on at once.
    Applied,
    /// Nothing new: wait `POLL_MS`.
    Idle,
    /// Stopped at a missing entry: wait `POLL_MS` and look again.
    Gap,
}

/// The target's checkpoint as the last full idle cycle read it: an idle
/// loop asks only posts what follows `seq` until `REVALIDATE_MS` after
/// `read_at`.
#[derive(Clone, Copy, Debug)]
pub struct Known {
    /// The target's checkpoint (not in a snapshot).
    pub seq: i64,
    /// When the checkpoint and the oplog head were last read.
    pub read_at: Instant,
}

/// One target's loop: its clients and where it reports.
pub struct Relay {
    name: &'static str,
    posts: Upstream,
    target: Upstream,
    status: Status,
    batch: usize,
    /// How long an idle loop trusts [`Known`] (`REVALIDATE_MS`).
    revalidate: Duration,
    /// The checkpoint an idle loop trusts; `None`: the next cycle reads it
    /// (set only by an idle cycle, taken by every cycle).
    known: Cell<Option<Known>>,
}

/// Spawns one loop per target on the current (actix) runtime. Each loop
/// has its own clients, so a dead target stalls only its own loop.
pub fn spawn(settings: &Settings, status: &Status) {
    for (name, urls) in [("search", &settings.search), ("recommend", &settings.recommend)] {
        let relay = Relay {
            name,
            posts: Upstream::new(Instances::new("posts", settings.posts.clone()), settings.timeout),
            target: Upstream::new(Instances::new(name, urls.clone()), settings.timeout),
            status: status.clone(),
            batch: settings.batch,
            revalidate: settings.revalidate,
            known: Cell::new(None),
        };
        let (poll, backoff_max) = (settings.poll, settings.backoff_max);
        actix_web::rt::spawn(Rc::new(relay).run(poll, backoff_max));
    }
}

/// How many of `entries` continue `seq` without a gap (N+1, N+2, …).
pub fn contiguous(seq: i64, entries: &[Entry]) -> usize {
    (seq + 1..).zip(entries).take_while(|(expected, e)| e.seq == *expected).count()
}

/// `value` as a query parameter.
fn encode(value: &Value) -> String {
    urlencoding::encode(&value.to_string()).into_owned()
}

impl Relay {
    /// Runs cycles for ever: never panics, never gives up.
    pub async fn run(self: Rc<Self>, poll: Duration, backoff_max: Duration) {
        let mut backoff = BACKOFF_MIN;
        loop {
            let ctx = Ctx::background();
            log::debug!("sync[{}] cycle {}", self.name, ctx.request_id);
            let outcome = self.cycle(&ctx).await;
            match outcome {
                Ok(progress) => {
                    backoff = BACKOFF_MIN;
                    let now = chrono::Utc::now().to_rfc3339();
                    self.status.update(self.name, |s| {
                        s.error = None;
                        s.last_success = Some(now);
                    });
                    if progress != Progress::Applied {
                        actix_web::rt::time::sleep(poll).await;
                    }
                }
                Err(SyncError::Conflict) => {
                    log::info!("sync[{}] cycle {}: {}; re-reading it", self.name, ctx.request_id, SyncError::Conflict);
                }
                Err(e) => {
                    match &e {
                        SyncError::Refused(_) => log::error!("sync[{}] cycle {}: {e}", self.name, ctx.request_id),
                        _ => log::warn!("sync[{}] cycle {}: {e}; retrying in ~{backoff:?}", self.name, ctx.request_id),
                    }
                    self.status.update(self.name, |s| s.error = Some(e.to_string()));
                    // Full jitter over the upper half: instances that failed
                    // together do not retry together.
                    let wait = rand::rng().random_range(backoff / 2..=backoff);
                    actix_web::rt::time::sleep(wait).await;
                    backoff = (backoff * 2).min(backoff_max);
                }
            }
        }
    }

    /// One cycle: while idle with a checkpoint read less than
    /// `REVALIDATE_MS` ago, only what follows it in the oplog; otherwise the
    /// target's checkpoint, then a snapshot page or an oplog batch.
    pub async fn cycle(&self, ctx: &Ctx) -> Result<Progress, SyncError> {
        // Taken: only an idle outcome puts it back, so that any error, 409,
        // gap or applied batch makes the next cycle read the checkpoint.
        let known = self.known.take();
        let outcome = match known.filter(|k| k.read_at.elapsed() < self.revalidate) {
            Some(known) => self.idle_cycle(ctx, known).await,
            None => self.full_cycle(ctx).await,
        };
        if let Ok((Progress::Idle, Some(known))) = &outcome {
            self.known.set(Some(*known));
        }
        outcome.map(|(progress, _)| progress)
    }

    /// Records who answered a cycle that called posts.
    fn note_answers<T>(&self, outcome: Result<T, SyncError>) -> Result<T, SyncError> {
        self.status.update(self.name, |s| match &outcome {
            Err(SyncError::Posts(_)) => s.posts_up = Some(false),
            Err(SyncError::Target(_)) => {
                s.posts_up = Some(true);
                s.target_up = false;
            }
            _ => s.posts_up = Some(true),
        });
        outcome
    }

    /// The cheap cycle: `GET /oplog` after the remembered checkpoint, and
    /// nothing else unless it holds entries (then they are applied as a
    /// full cycle would, with the remembered checkpoint as `expect`).
    /// Still idle, it keeps `known` as it was (read at the same moment), so
    /// that the checkpoint is read again `REVALIDATE_MS` after the last read.
    async fn idle_cycle(&self, ctx: &Ctx, known: Known) -> Result<(Progress, Option<Known>), SyncError> {
        let outcome = async {
            let entries = self.entries_after(ctx, known.seq).await?;
            if entries.is_empty() {
                return Ok((Progress::Idle, Some(known)));
            }
            let position = Position { seq: Some(known.seq), snapshot: None };
            self.follow_entries(ctx, &position, known.seq, entries).await.map(|p| (p, None))
        }
        .await;
        self.note_answers(outcome)
    }

    /// The full cycle: checkpoint, then a snapshot page or an oplog batch.
    async fn full_cycle(&self, ctx: &Ctx) -> Result<(Progress, Option<Known>), SyncError> {
        let checkpoint: Checkpoint = match self.target.get_found(ctx, "/sync/checkpoint").await {
            Ok(c) => c,
            Err(e) => {
                self.status.update(self.name, |s| s.target_up = false);
                return Err(SyncError::Target(e));
            }
        };
        self.status.update(self.name, |s| {
            s.target_up = true;
            s.set_checkpoint(checkpoint.position.seq);
        });
        let position = checkpoint.position;
        let outcome = match (position.seq, &position.snapshot) {
            (Some(seq), None) => {
                let read_at = Instant::now();
                self.follow(ctx, &position, seq)
                    .await
                    .map(|progress| (progress, (progress == Progress::Idle).then_some(Known { seq, read_at })))
            }
            _ => self.snapshot(ctx, &position).await.map(|p| (p, None)),
        };
        self.note_answers(outcome)
    }

    /// `GET {posts}{path}` as JSON.
    async fn posts_get(&self, ctx: &Ctx, path: &str) -> Result<Value, SyncError> {
        self.posts.get_found(ctx, path).await.map_err(SyncError::Posts)
    }

    /// The `seq` of the first oplog entry in `sort` order (`-seq`: the head;
    /// `seq`: the oldest), 0 when the oplog is empty.
    async fn oplog_end(&self, ctx: &Ctx, sort: &str) -> Result<i64, SyncError> {
        let page = self.posts_get(ctx, &format!("/oplog?sort={sort}&max_results=1&count=none")).await?;
        Ok(page["_items"][0]["seq"].as_i64().unwrap_or(0))
    }

    /// Applies the next snapshot page: taken at the oplog head when it
    /// starts, resumed at its own `seq` and `after` when in progress.
    async fn snapshot(&self, ctx: &Ctx, position: &Position) -> Result<Progress, SyncError> {
        let (seq, after) = match &position.snapshot {
            Some(s) => (s.seq, s.after.clone()),
            None => {
                let head = self.oplog_end(ctx, "-seq").await?;
                log::info!("sync[{}] cycle {}: snapshot at oplog seq {head} starts", self.name, ctx.request_id);
                (head, None)
            }
        };
        self.status.update(self.name, |s| s.saw_head(seq, false));
        let mut path = format!("/posts?sort=_id&max_results={}&count=none", self.batch);
        if let Some(after) = &after {
            // mongo-rest converts a hex string compared with `_id` to an
            // ObjectId (the schema types `_id`), `$gt` included.
            path.push_str(&format!("&where={}", encode(&json!({ "_id": { "$gt": after } }))));
        }
        let page = self.posts_get(ctx, &path).await?;
        let posts: Vec<Map<String, Value>> = page["_items"]
            .as_array()
            .map(|items| items.iter().filter_map(|i| i.as_object().cloned()).collect())
            .unwrap_or_default();
        let done = page["_links"].get("next").is_none();
        let count = posts.len();
        let apply =
            Apply { expect: position.clone(), entries: Vec::new(), snapshot: Some(SnapshotPage { seq, posts, done }) };
        let applied = self.apply(ctx, &apply).await?;
        log::info!(
            "sync[{}] cycle {}: snapshot page of {count} posts applied{}",
            self.name,
            ctx.request_id,
            if done { format!("; snapshot done at seq {seq}") } else { String::new() }
        );
        self.status.update(self.name, |s| s.set_checkpoint(applied.position.seq));
        Ok(Progress::Applied)
    }

    /// The first `BATCH` oplog entries after `seq`, in `seq` order.
    async fn entries_after(&self, ctx: &Ctx, seq: i64) -> Result<Vec<Entry>, SyncError> {
        let filter = encode(&json!({ "seq": { "$gt": seq } }));
        let path = format!("/oplog?where={filter}&sort=seq&max_results={}&count=none", self.batch);
        let page = self.posts_get(ctx, &path).await?;
        let mut entries = Vec::new();
        for item in page["_items"].as_array().into_iter().flatten() {
            let entry: Entry = serde_json::from_value(item.clone()).map_err(|e| {
                SyncError::Posts(UpstreamError::Unexpected { service: "posts", detail: format!("an oplog entry: {e}") })
            })?;
            entries.push(entry);
        }
        Ok(entries)
    }

    /// Applies the oplog entries after `seq`, or finds why there are none.
    async fn follow(&self, ctx: &Ctx, position: &Position, seq: i64) -> Result<Progress, SyncError> {
        let entries = self.entries_after(ctx, seq).await?;
        if entries.is_empty() {
            // Nothing after the checkpoint: up to date, unless posts was
            // reset below it (then only a snapshot makes the target right).
            let head = self.oplog_end(ctx, "-seq").await?;
            self.status.update(self.name, |s| {
                s.saw_head(head, true);
                s.gap = None;
            });
            if head < seq {
                log::warn!(
                    "sync[{}] cycle {}: the oplog ends at {head}, below the target's checkpoint {seq} \
                     (posts was reset): a new snapshot",
                    self.name,
                    ctx.request_id
                );
                return self.snapshot(ctx, position).await;
            }
            return Ok(Progress::Idle);
        }
        self.follow_entries(ctx, position, seq, entries).await
    }

    /// Applies the contiguous prefix of `entries` (not empty, read after
    /// `seq`, the checkpoint `position`), or finds why there is none: a
    /// trimmed oplog (a new snapshot) or a gap.
    async fn follow_entries(
        &self,
        ctx: &Ctx,
        position: &Position,
        seq: i64,
        mut entries: Vec<Entry>,
    ) -> Result<Progress, SyncError> {
        let last = entries.last().map_or(seq, |e| e.seq);
        self.status.update(self.name, |s| s.saw_head(last, false));
        let contiguous = contiguous(seq, &entries);
        let gap = entries.get(contiguous).map(|e| e.seq);
        if contiguous == 0 {
            let oldest = self.oplog_end(ctx, "seq").await?;
            if oldest > seq + 1 {
                log::warn!(
                    "sync[{}] cycle {}: the oplog starts at {oldest}, after the target's checkpoint {seq} \
                     (trimmed or reset): a new snapshot",
                    self.name,
                    ctx.request_id
                );
                self.status.update(self.name, |s| s.gap = None);
                return self.snapshot(ctx, position).await;
            }
        }
        let mut position = position.clone();
        if contiguous > 0 {
            entries.truncate(contiguous);
            let apply = Apply { expect: position.clone(), entries, snapshot: None };
            let applied = self.apply(ctx, &apply).await?;
            log::info!(
                "sync[{}] cycle {}: {} entries after seq {seq} applied ({} skipped)",
                self.name,
                ctx.request_id,
                applied.applied,
                applied.skipped
            );
            self.status.update(self.name, |s| s.set_checkpoint(applied.position.seq));
            position = applied.position;
        }
        match gap {
            None => {
                self.status.update(self.name, |s| s.gap = None);
                Ok(Progress::Applied)
            }
            Some(next) => {
                let after = position.seq.unwrap_or(seq);
                self.report_gap(ctx, Gap { after, next });
                Ok(if contiguous > 0 { Progress::Applied } else { Progress::Gap })
            }
        }
    }

    /// Records a gap, and logs it at once the first time, then at most
    /// every [`GAP_LOG_EVERY`].
    fn report_gap(&self, ctx: &Ctx, gap: Gap) {
        let log_now = self.status.update(self.name, |s| {
            s.gap = Some(gap);
            let due = s.gap_logged.is_none_or(|t| t.elapsed() >= GAP_LOG_EVERY);
            if due {
                s.gap_logged = Some(std::time::Instant::now());
            }
            due
        });
        if log_now {
            log::error!(
                "sync[{}] cycle {}: gap in the oplog: no entry {} (the next is {}); the target stays at {} \
                 until the entry appears or a snapshot is taken",
                self.name,
                ctx.request_id,
                gap.after + 1,
                gap.next,
                gap.after
            );
        }
    }

    /// `POST {target}/sync/apply`.
    async fn apply(&self, ctx: &Ctx, apply: &Apply) -> Result<Applied, SyncError> {
        let body = serde_json::to_value(apply).map_err(|e| SyncError::Refused(e.to_string()))?;
        let reply = self.target.call(ctx, Method::POST, "/sync/apply", Some(&body)).await.map_err(SyncError::Target)?;
        match reply.status {
            status if status.is_success() => reply.json().map_err(SyncError::Target),
            StatusCode::CONFLICT => Err(SyncError::Conflict),
            StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => {
                let message =
                    reply.json::<Value>().ok().and_then(|v| v["_error"]["message"].as_str().map(str::to_owned));
                Err(SyncError::Refused(message.unwrap_or_else(|| reply.status.to_string())))
            }
            _ => Err(SyncError::Target(reply.error())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kit::sync::Op;

    fn entries(seqs: &[i64]) -> Vec<Entry> {
        seqs.iter().map(|&seq| Entry { seq, op: Op::Delete, id: String::new(), changes: Map::new() }).collect()
    }

    #[test]
    fn only_the_prefix_that_continues_the_checkpoint_is_contiguous() {
        assert_eq!(contiguous(3, &entries(&[4, 5, 6])), 3);
        assert_eq!(contiguous(3, &entries(&[4, 6, 7])), 1);
        assert_eq!(contiguous(3, &entries(&[5, 6])), 0);
        assert_eq!(contiguous(0, &entries(&[])), 0);
        // A repeated entry is not a continuation either.
        assert_eq!(contiguous(3, &entries(&[4, 4, 5])), 1);
    }
}
