//! The store (what sync feeds) and the candidates in memory (what requests
//! rank).
//!
//! # The store
//! Sync applies posts into `posts` of the service's own database through
//! [`Target`], keeping [`FIELDS`] of **every** post, not only the
//! candidates: a `PATCH` that lifts a post's score over [`MIN_SCORE`]
//! carries the score alone, and only a post whose other fields are stored
//! can then become a candidate. An index on `{score: -1}` serves the load.
//!
//! # The candidates
//! The posts with `score > MIN_SCORE` are read once per change into a
//! [`Snapshot`], pre-sorted in v1's order without topics, and held as an
//! `Arc` behind a lock that is only taken to clone or swap the `Arc`: a
//! request never waits for a reload, and never runs a query. A reload
//! happens at startup (retried while the database is down), after every
//! batch this instance applies, and when the checkpoint's `applied` count
//! differs from the one the snapshot was loaded at (polled every
//! `REFRESH_MS`: another instance applied a batch to the same store).

use std::{
    cmp::Ordering,
    collections::BTreeSet,
    sync::{Arc, RwLock},
    time::Duration,
};

use futures::TryStreamExt;
use kit::sync::{Checkpoint, Field, Kind, Target, TargetError};
use mongodb::{
    bson::{doc, oid::ObjectId, Bson, Document},
    IndexModel,
};
use serde_json::{Map, Value};

/// The fields of a post the store keeps.
pub const FIELDS: &[Field] = &[
    Field { name: "title", kind: Kind::Text },
    Field { name: "author", kind: Kind::Text },
    Field { name: "url", kind: Kind::Text },
    Field { name: "domain", kind: Kind::Text },
    Field { name: "permalink", kind: Kind::Text },
    Field { name: "is_self", kind: Kind::Bool },
    Field { name: "created_utc", kind: Kind::Date },
    Field { name: "score", kind: Kind::Integer },
    Field { name: "num_comments", kind: Kind::Integer },
    Field { name: "ups", kind: Kind::Integer },
    Field { name: "downs", kind: Kind::Integer },
    Field { name: "keywords", kind: Kind::TextList },
];

/// The store's collection.
pub const COLLECTION: &str = "posts";

/// Only posts with a score above this are candidates (step 08's default
/// `min_score`; tombstones have no score, so they never are).
pub const MIN_SCORE: i64 = 50;

/// The fields v1 shows as they are stored (its `$project`'s inclusions),
/// in that order; a field the post lacks is left out, as `$project` does.
pub const SHOWN: [&str; 9] =
    ["title", "author", "url", "domain", "permalink", "is_self", "created_utc", "score", "num_comments"];

/// The longest wait between two attempts to create the index while the
/// database is down.
const INDEX_RETRY_MAX: Duration = Duration::from_secs(30);

/// One candidate, with what ranking needs computed once at load.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// The post's id.
    pub id: ObjectId,
    /// `_id` and the [`SHOWN`] fields the post has, as Eve's JSON.
    pub shown: Map<String, Value>,
    /// The score, as a number (`weight` is a tenth of it).
    pub score: f64,
    /// `downs - ups`; `None` (shown as `null`) when either is missing or
    /// not a whole number, as `$subtract` gives.
    pub upsanddowns: Option<i64>,
    /// `num_comments` for sorting; `None` when missing or `null` (sorts
    /// lowest, as MongoDB sorts `null`).
    pub num_comments: Option<i64>,
    /// The distinct keywords (a set: `$setIntersection` counts each once).
    pub keywords: BTreeSet<String>,
}

impl Candidate {
    /// Reads a stored document; `None` without a numeric score or an id.
    pub fn from_document(doc: &Document) -> Option<Self> {
        let id = doc.get_object_id("_id").ok()?;
        let score = number(doc.get("score")?)?;
        let mut shown = Map::new();
        shown.insert("_id".into(), Value::String(id.to_hex()));
        for name in SHOWN {
            if let Some(value) = doc.get(name) {
                shown.insert(name.into(), mongo_rest::convert::to_json(value));
            }
        }
        let whole = |name: &str| match doc.get(name) {
            Some(Bson::Int64(n)) => Some(*n),
            Some(Bson::Int32(n)) => Some(i64::from(*n)),
            _ => None,
        };
        let keywords = match doc.get("keywords") {
            Some(Bson::Array(items)) => items.iter().filter_map(|k| k.as_str().map(str::to_owned)).collect(),
            _ => BTreeSet::new(),
        };
        Some(Self {
            id,
            shown,
            score,
            upsanddowns: whole("downs").zip(whole("ups")).map(|(downs, ups)| downs - ups),
            num_comments: whole("num_comments"),
            keywords,
        })
    }

    /// How many distinct `topics` are among the keywords.
    pub fn hits(&self, topics: &BTreeSet<&str>) -> usize {
        topics.iter().filter(|t| self.keywords.contains(**t)).count()
    }
}

fn number(value: &Bson) -> Option<f64> {
    match value {
        Bson::Int64(n) => Some(*n as f64),
        Bson::Int32(n) => Some(f64::from(*n)),
        Bson::Double(f) => Some(*f),
        _ => None,
    }
}

/// v1's order without topics: `upsanddowns` ascending (`null` first),
/// `num_comments` descending (`null` last), `_id` ascending.
pub fn v1_order(a: &Candidate, b: &Candidate) -> Ordering {
    a.upsanddowns.cmp(&b.upsanddowns).then(b.num_comments.cmp(&a.num_comments)).then(a.id.cmp(&b.id))
}

/// The candidates as loaded at one checkpoint.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// The candidates, in [`v1_order`].
    pub posts: Vec<Candidate>,
    /// The checkpoint read just before the candidates (`None`: never
    /// loaded). Read before, so the snapshot is never older than it says.
    pub checkpoint: Option<Checkpoint>,
}

/// The store and the current snapshot of its candidates.
pub struct Candidates {
    target: Target,
    current: RwLock<Arc<Snapshot>>,
    /// Reloads one at a time, so a slower older one cannot swap in last.
    reloading: tokio::sync::Mutex<()>,
}

impl Candidates {
    /// The candidates of `target`'s store, not loaded yet.
    pub fn new(target: Target) -> Self {
        Self { target, current: RwLock::new(Arc::default()), reloading: tokio::sync::Mutex::new(()) }
    }

    /// The store.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The current snapshot (an `Arc` clone: the lock is held for no more).
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Reads the checkpoint, then the candidates, and swaps them in.
    /// Returns how many there are.
    pub async fn reload(&self) -> Result<usize, TargetError> {
        let _one_at_a_time = self.reloading.lock().await;
        let checkpoint = self.target.checkpoint().await?;
        let mut posts: Vec<Candidate> = self
            .target
            .collection()
            .find(doc! { "score": { "$gt": MIN_SCORE } })
            .await?
            .try_collect::<Vec<Document>>()
            .await?
            .iter()
            .filter_map(Candidate::from_document)
            .collect();
        posts.sort_by(v1_order);
        let n = posts.len();
        *self.current.write().unwrap_or_else(|e| e.into_inner()) =
            Arc::new(Snapshot { posts, checkpoint: Some(checkpoint) });
        Ok(n)
    }

    /// Reloads if never loaded, or if the store's `applied` count moved
    /// since the snapshot was loaded. Returns whether it reloaded.
    pub async fn refresh_if_changed(&self) -> Result<bool, TargetError> {
        let loaded_at = self.snapshot().checkpoint.as_ref().map(|c| c.applied);
        if let Some(applied) = loaded_at {
            if self.target.checkpoint().await?.applied == applied {
                return Ok(false);
            }
        }
        self.reload().await.map(|_| true)
    }

    /// Keeps the candidates fresh for the life of the process: after each
    /// batch this process applies ([`Target::subscribe`]) and every
    /// `every`. A failure is logged once per outage and retried on the next
    /// tick.
    pub fn keep_fresh(self: Arc<Self>, every: Duration) {
        let mut applied_here = self.target.subscribe();
        actix_web::rt::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut failing = false;
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    changed = applied_here.changed() => {
                        if changed.is_err() {
                            return; // the target is gone: the service stops
                        }
                    }
                }
                match self.refresh_if_changed().await {
                    Ok(reloaded) => {
                        if failing || reloaded {
                            log::info!("candidates: {} loaded", self.snapshot().posts.len());
                        }
                        failing = false;
                    }
                    Err(e) if !failing => {
                        log::warn!("candidates: cannot reload (retrying every {every:?}): {e}");
                        failing = true;
                    }
                    Err(_) => {}
                }
            }
        });
    }

    /// Creates the `{score: -1}` index (idempotent): once now, so that the
    /// collection exists before the first batch (creating it inside a
    /// batch's transaction would make that batch a write conflict), then,
    /// if the database is down, retried in the background.
    pub async fn ensure_index(&self) {
        let collection = self.target.collection().clone();
        let index = || IndexModel::builder().keys(doc! { "score": -1 }).build();
        let Err(e) = collection.create_index(index()).await else { return };
        log::warn!("candidates: cannot create the score index yet (retrying in the background): {e}");
        actix_web::rt::spawn(async move {
            let mut wait = Duration::from_millis(500);
            loop {
                tokio::time::sleep(wait).await;
                match collection.create_index(index()).await {
                    Ok(_) => return,
                    Err(e) => log::warn!("candidates: cannot create the score index yet (retry in {wait:?}): {e}"),
                }
                wait = (wait * 2).min(INDEX_RETRY_MAX);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_candidate_keeps_what_is_stored_and_computes_the_rest() {
        let id = ObjectId::new();
        let doc = doc! { "_id": id, "title": "t", "score": 60_i64, "downs": 3_i64, "ups": 5_i64,
        "author": Bson::Null, "keywords": ["a", "a", "b"], "_seq": 4_i64 };
        let c = Candidate::from_document(&doc).unwrap();
        assert_eq!(c.upsanddowns, Some(-2));
        assert_eq!(c.num_comments, None);
        assert_eq!(
            Value::Object(c.shown.clone()),
            serde_json::json!({"_id": id.to_hex(), "title": "t", "score": 60, "author": null})
        );
        assert_eq!(c.hits(&["a", "c"].into_iter().collect()), 1);
        assert!(Candidate::from_document(&doc! { "_id": id, "_deleted": true }).is_none());
    }

    #[test]
    fn v1_order_puts_nulls_where_mongodb_does() {
        let c = |n: u8, ud: Option<i64>, comments: Option<i64>| Candidate {
            id: ObjectId::from_bytes([n; 12]),
            shown: Map::new(),
            score: 60.0,
            upsanddowns: ud,
            num_comments: comments,
            keywords: BTreeSet::new(),
        };
        let mut posts = [c(1, Some(0), Some(1)), c(2, None, Some(0)), c(3, Some(0), None), c(4, Some(0), Some(1))];
        posts.sort_by(v1_order);
        let order: Vec<u8> = posts.iter().map(|p| p.id.bytes()[0]).collect();
        assert_eq!(order, [2, 1, 4, 3]);
    }
}
