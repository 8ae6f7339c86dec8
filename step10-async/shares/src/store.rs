//! The shares and their per-post counters, in the service's own database.
//!
//! - `shares`: one document per (post, user), `{_id: code, post, user, at,
//!   visits}`. A unique index on `{post, user}` makes a second share of a
//!   post by the same user a duplicate key: the first share's code is
//!   answered again, so the user always gets the same link. The code is
//!   the `_id` (unique too): a collision with another share's code, a
//!   chance of one in 62⁸ per existing share, is retried with a new code.
//! - `counters`: one document per post, `{_id: post, count, visits}`,
//!   changed **in the same transaction** as a share is inserted or visited,
//!   so that `count` is exactly the number of share documents and `visits`
//!   exactly the sum of their visits, and the counts of many posts are one
//!   query on `_id`.
//! - [`Store::reconcile`] recounts the counters from the share documents.
//!
//! Transactions that conflict (`TransientTransactionError`, 30 visits of
//! one link at once) are run again after a short random pause, up to
//! [`MAX_ATTEMPTS`] times; a conflict after that is a 503. Within one
//! process, the visits of one link and the shares of one post take turns
//! ([`Stripes`]) instead of aborting each other; between instances the
//! retries decide.

use std::{
    collections::{BTreeMap, BTreeSet},
    time::Duration,
};

use futures::TryStreamExt;
use kit::{
    idempotency::is_duplicate_key,
    mongo::Mongo,
    txn::{self, commit, Stripes},
};
use mongodb::{
    bson::{doc, Bson, DateTime, Document},
    error::TRANSIENT_TRANSACTION_ERROR,
    options::{IndexOptions, ReturnDocument},
    Collection, IndexModel,
};
use rand::{distr::Alphanumeric, Rng};

use crate::error::SharesError;

/// The length of a code (base62: letters and digits).
pub const CODE_CHARS: usize = 8;
/// The most post ids `GET /v1/shares?post_ids=` takes in one call.
pub const MAX_POST_IDS: usize = 100;
/// How many new codes a share tries when its code collides.
const CODE_ATTEMPTS: u32 = 5;

/// A share, as made or found.
#[derive(Debug, PartialEq, Eq)]
pub struct Share {
    /// The short code.
    pub code: String,
    /// Whether it was made now (`false`: the user had shared the post).
    pub created: bool,
}

/// One post's counters.
#[derive(Debug, PartialEq, Eq, Clone, Copy, Default)]
pub struct Counts {
    /// How many users shared it.
    pub count: i64,
    /// The visits of all its links.
    pub visits: i64,
}

/// What [`Store::reconcile`] did.
#[derive(Debug, PartialEq, Eq)]
pub struct Reconciled {
    /// The posts whose counters were compared with their shares.
    pub checked: u64,
    /// The counters that were wrong and were set right.
    pub fixed: u64,
}

/// The shares store.
#[derive(Clone)]
pub struct Store {
    /// The service's database, and the databases touched.
    pub mongo: Mongo,
    shares: Collection<Document>,
    counters: Collection<Document>,
    turns: std::sync::Arc<Stripes>,
}

/// A fresh random code.
pub fn new_code() -> String {
    rand::rng().sample_iter(&Alphanumeric).take(CODE_CHARS).map(char::from).collect()
}

/// Whether `code` could be one of ours.
pub fn is_code(code: &str) -> bool {
    code.len() == CODE_CHARS && code.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Whether a failed transaction may be run again.
fn retryable(e: &mongodb::error::Error) -> bool {
    e.contains_label(TRANSIENT_TRANSACTION_ERROR)
}

/// Runs `attempt` (one transaction) with the kit's retries
/// ([`kit::txn::with_retries`]): still conflicting at the end is a 503.
async fn with_retries<T, F, Fut>(attempt: F) -> Result<T, SharesError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = mongodb::error::Result<T>>,
{
    txn::with_retries(retryable, attempt).await.map_err(|e| match e {
        txn::Failed::Contended(e) => SharesError::Contended(e),
        txn::Failed::Other(e) => e.into(),
    })
}

/// What one attempt at inserting a share met.
enum Insert {
    Done,
    /// A duplicate key: the (post, user) share exists, or the code is taken.
    Duplicate,
}

impl Store {
    /// The store in the service's database.
    pub fn new(mongo: Mongo) -> Self {
        Self {
            shares: mongo.db.collection("shares"),
            counters: mongo.db.collection("counters"),
            turns: Default::default(),
            mongo,
        }
    }

    /// Creates the indexes: one share per (post, user) (also reconcile's
    /// and the counts' index by post), and the idempotency records' TTL.
    pub async fn ensure_indexes(&self) -> mongodb::error::Result<()> {
        kit::idempotency::Store::new(&self.mongo.db).ensure_indexes().await?;
        let unique = IndexModel::builder()
            .keys(doc! { "post": 1, "user": 1 })
            .options(IndexOptions::builder().unique(true).name("post_1_user_1".to_owned()).build())
            .build();
        self.shares.create_index(unique).await.map(|_| ())
    }

    /// Creates the indexes now, or keeps trying in the background while
    /// the database is down (the service starts anyway and answers 503).
    pub async fn ensure_indexes_or_retry(&self) {
        if let Err(e) = self.ensure_indexes().await {
            log::warn!("shares: cannot create the indexes yet ({e}); retrying in the background");
            let store = self.clone();
            actix_web::rt::spawn(async move {
                loop {
                    actix_web::rt::time::sleep(Duration::from_secs(5)).await;
                    match store.ensure_indexes().await {
                        Ok(()) => break log::info!("shares: indexes created"),
                        Err(e) => log::warn!("shares: still cannot create the indexes: {e}"),
                    }
                }
            });
        }
    }

    /// The code of `user`'s share of `post`, if there is one.
    pub async fn find(&self, post: &str, user: &str) -> Result<Option<String>, SharesError> {
        let found = self.shares.find_one(doc! { "post": post, "user": user }).await?;
        Ok(found.and_then(|d| d.get_str("_id").ok().map(str::to_owned)))
    }

    /// `user` shares `post` (the caller checked that the post exists): a
    /// new code, or the one the user got before.
    pub async fn share(&self, post: &str, user: &str) -> Result<Share, SharesError> {
        let _turn = self.turns.lock(post).await;
        for _ in 0..CODE_ATTEMPTS {
            let code = new_code();
            match with_retries(|| self.insert_once(&code, post, user)).await? {
                Insert::Done => return Ok(Share { code, created: true }),
                Insert::Duplicate => {
                    if let Some(code) = self.find(post, user).await? {
                        return Ok(Share { code, created: false });
                    }
                    log::warn!("shares: code {code} collided; trying another");
                }
            }
        }
        Err(SharesError::NoCode)
    }

    async fn insert_once(&self, code: &str, post: &str, user: &str) -> mongodb::error::Result<Insert> {
        let mut session = self.mongo.client.start_session().await?;
        session.start_transaction().await?;
        let share = doc! { "_id": code, "post": post, "user": user, "at": DateTime::now(), "visits": 0_i64 };
        let outcome = async {
            match self.shares.insert_one(share).session(&mut session).await {
                Ok(_) => {}
                Err(e) if is_duplicate_key(&e) => return Ok(Insert::Duplicate),
                Err(e) => return Err(e),
            }
            self.counters
                .update_one(doc! { "_id": post }, doc! { "$inc": { "count": 1_i64, "visits": 0_i64 } })
                .upsert(true)
                .session(&mut session)
                .await?;
            Ok(Insert::Done)
        }
        .await;
        match outcome {
            Ok(Insert::Done) => commit(&mut session).await.map(|()| Insert::Done),
            other => {
                let _ = session.abort_transaction().await;
                other
            }
        }
    }

    /// One visit of the link `code`: its post and the link's visits now,
    /// or `None` for an unknown code.
    pub async fn visit(&self, code: &str) -> Result<Option<(String, i64)>, SharesError> {
        let _turn = self.turns.lock(code).await;
        with_retries(|| self.visit_once(code)).await
    }

    async fn visit_once(&self, code: &str) -> mongodb::error::Result<Option<(String, i64)>> {
        let mut session = self.mongo.client.start_session().await?;
        session.start_transaction().await?;
        let outcome = async {
            let Some(share) = self
                .shares
                .find_one_and_update(doc! { "_id": code }, doc! { "$inc": { "visits": 1_i64 } })
                .return_document(ReturnDocument::After)
                .session(&mut session)
                .await?
            else {
                return Ok(None);
            };
            let post = share.get_str("post").unwrap_or_default().to_owned();
            self.counters
                .update_one(doc! { "_id": &post }, doc! { "$inc": { "visits": 1_i64, "count": 0_i64 } })
                .upsert(true)
                .session(&mut session)
                .await?;
            Ok(Some((post, read_number(share.get("visits")))))
        }
        .await;
        match outcome {
            Ok(Some(found)) => commit(&mut session).await.map(|()| Some(found)),
            other => {
                let _ = session.abort_transaction().await;
                other
            }
        }
    }

    /// The counters of `posts` (distinct), in that order: one query.
    pub async fn counts(&self, posts: &[String]) -> Result<Vec<(String, Counts)>, SharesError> {
        let found: Vec<Document> = self.counters.find(doc! { "_id": { "$in": posts } }).await?.try_collect().await?;
        Ok(posts
            .iter()
            .map(|post| {
                let counts = found.iter().find(|d| d.get_str("_id").ok() == Some(post.as_str())).map(read_counts);
                (post.clone(), counts.unwrap_or_default())
            })
            .collect())
    }

    /// Recounts every counter from the share documents: the posts that have
    /// a counter or a share are checked; each wrong counter is set from its
    /// post's shares, counted again inside a transaction that writes the
    /// counter (a share or visit committed meanwhile makes it conflict and
    /// run again, instead of being overwritten).
    ///
    /// Shortcut: the counts of all posts are held in memory at once; a
    /// service with millions of shared posts would walk them in pages.
    pub async fn reconcile(&self) -> Result<Reconciled, SharesError> {
        let mut expected: BTreeMap<String, Counts> = BTreeMap::new();
        let pipeline = [doc! { "$group": { "_id": "$post", "n": { "$sum": 1 }, "visits": { "$sum": "$visits" } } }];
        let mut grouped = self.shares.aggregate(pipeline).await?;
        while let Some(group) = grouped.try_next().await? {
            if let Ok(post) = group.get_str("_id") {
                let counts = Counts { count: read_number(group.get("n")), visits: read_number(group.get("visits")) };
                expected.insert(post.to_owned(), counts);
            }
        }
        let mut stored: BTreeMap<String, Counts> = BTreeMap::new();
        let mut counters = self.counters.find(doc! {}).await?;
        while let Some(counter) = counters.try_next().await? {
            if let Ok(post) = counter.get_str("_id") {
                stored.insert(post.to_owned(), read_counts(&counter));
            }
        }
        let posts: BTreeSet<&String> = expected.keys().chain(stored.keys()).collect();
        let mut fixed = 0;
        for post in &posts {
            let want = expected.get(*post).copied().unwrap_or_default();
            if stored.get(*post).copied().unwrap_or_default() == want && stored.contains_key(*post) {
                continue;
            }
            let _turn = self.turns.lock(post).await;
            if with_retries(|| self.recount_once(post)).await? {
                fixed += 1;
            }
        }
        Ok(Reconciled { checked: posts.len() as u64, fixed })
    }

    /// Sets `post`'s counters from its shares; `true` when they changed.
    async fn recount_once(&self, post: &str) -> mongodb::error::Result<bool> {
        let mut session = self.mongo.client.start_session().await?;
        session.start_transaction().await?;
        let outcome = async {
            let mut shares =
                self.shares.find(doc! { "post": post }).projection(doc! { "visits": 1 }).session(&mut session).await?;
            let mut counts = Counts::default();
            while let Some(share) = shares.next(&mut session).await.transpose()? {
                counts.count += 1;
                counts.visits += read_number(share.get("visits"));
            }
            let before = self
                .counters
                .find_one_and_update(
                    doc! { "_id": post },
                    doc! { "$set": { "count": counts.count, "visits": counts.visits } },
                )
                .upsert(true)
                .return_document(ReturnDocument::Before)
                .session(&mut session)
                .await?;
            Ok(before.as_ref().map(read_counts) != Some(counts))
        }
        .await;
        match outcome {
            Ok(changed) => commit(&mut session).await.map(|()| changed),
            Err(e) => {
                let _ = session.abort_transaction().await;
                Err(e)
            }
        }
    }
}

/// A counter's `count` and `visits`.
fn read_counts(counter: &Document) -> Counts {
    Counts { count: read_number(counter.get("count")), visits: read_number(counter.get("visits")) }
}

/// An integer of any BSON width (a hand edit may store an `Int32`).
fn read_number(value: Option<&Bson>) -> i64 {
    match value {
        Some(Bson::Int64(n)) => *n,
        Some(Bson::Int32(n)) => i64::from(*n),
        Some(Bson::Double(n)) => *n as i64,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_short_random_and_url_safe() {
        let codes: BTreeSet<String> = (0..1000).map(|_| new_code()).collect();
        assert_eq!(codes.len(), 1000);
        assert!(codes.iter().all(|c| is_code(c)));
        for bad in ["", "abc", "abcdefg!", "abcdefghi", "abcdéfg"] {
            assert!(!is_code(bad), "{bad}");
        }
    }
}
