//! The likes and their counters, in the service's own database.
//!
//! - `likes`: one document per like, `{_id: {post, user}, post, user, at}`.
//!   The compound `_id` makes a second like by the same user a
//!   duplicate-key error, which means "already liked": no read before the
//!   write, so 50 likes at once by one user leave one.
//! - `counters`: one document per post, `{_id: post, count}`. It is
//!   changed **in the same transaction** as the like document is inserted
//!   or deleted, so that the count is exactly the number of like documents
//!   (two likes racing on one counter make one transaction conflict, and it
//!   runs again), and reading the counts of many posts is one query on
//!   `_id`. An unlike decrements only a positive count (never below zero).
//! - [`Store::reconcile`] recounts every counter from the like documents,
//!   for counters that drifted anyway (a hand edit, a restore).
//!
//! Transactions that conflict (MongoDB labels them
//! `TransientTransactionError`) are run again after a short random pause,
//! up to [`MAX_ATTEMPTS`] times; a conflict after that is a 503. Two upserts
//! of one new counter can also race to insert it: the loser's duplicate-key
//! error is retried the same way. Within one process, the writes to one
//! post take turns ([`Stripes`]): 200 likes of one post at once would
//! otherwise mostly abort each other and retry, where queueing costs one
//! short transaction each. Between instances, the retries still decide.

use std::time::Duration;

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

use crate::error::LikesError;

/// The most post ids `GET /v1/likes?post_ids=` takes in one call.
pub const MAX_POST_IDS: usize = 100;
/// The most post ids `GET /v1/liked/{user}` answers with (the newest).
pub const MAX_LIKED: i64 = 100;

/// What a like did.
#[derive(Debug, PartialEq, Eq)]
pub enum Liked {
    /// The like is new; the count after it.
    Created(i64),
    /// The user had liked the post already; the count.
    Already(i64),
}

/// One post's count, and whether the user asked about liked it.
#[derive(Debug, PartialEq, Eq)]
pub struct Count {
    /// The post.
    pub post_id: String,
    /// Its likes.
    pub count: i64,
    /// Whether the user liked it (`None` when no user was given).
    pub liked: Option<bool>,
}

/// What [`Store::reconcile`] did.
#[derive(Debug, PartialEq, Eq)]
pub struct Reconciled {
    /// The posts whose counter was compared with their likes.
    pub checked: u64,
    /// The counters that were wrong and were set right.
    pub fixed: u64,
}

/// The likes store.
#[derive(Clone)]
pub struct Store {
    /// The service's database, and the databases touched.
    pub mongo: Mongo,
    likes: Collection<Document>,
    counters: Collection<Document>,
    turns: std::sync::Arc<Stripes>,
}

/// A like's `_id`.
fn like_id(post: &str, user: &str) -> Document {
    doc! { "post": post, "user": user }
}

/// Whether a failed transaction may be run again.
fn retryable(e: &mongodb::error::Error) -> bool {
    e.contains_label(TRANSIENT_TRANSACTION_ERROR) || is_duplicate_key(e)
}

/// Runs `attempt` (one transaction) with the kit's retries
/// ([`kit::txn::with_retries`]): still conflicting at the end is a 503.
async fn with_retries<T, F, Fut>(attempt: F) -> Result<T, LikesError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = mongodb::error::Result<T>>,
{
    txn::with_retries(retryable, attempt).await.map_err(|e| match e {
        txn::Failed::Contended(e) => LikesError::Contended(e),
        txn::Failed::Other(e) => e.into(),
    })
}

impl Store {
    /// The store in the service's database.
    pub fn new(mongo: Mongo) -> Self {
        Self {
            likes: mongo.db.collection("likes"),
            counters: mongo.db.collection("counters"),
            turns: Default::default(),
            mongo,
        }
    }

    /// Creates the indexes: likes by post (reconcile's recount) and by user,
    /// newest first (`GET /v1/liked/{user}`), and the idempotency records'
    /// TTL index.
    pub async fn ensure_indexes(&self) -> mongodb::error::Result<()> {
        kit::idempotency::Store::new(&self.mongo.db).ensure_indexes().await?;
        let by_post = IndexModel::builder().keys(doc! { "post": 1 }).build();
        let by_user = IndexModel::builder()
            .keys(doc! { "user": 1, "at": -1 })
            .options(IndexOptions::builder().name("user_1_at_-1".to_owned()).build())
            .build();
        self.likes.create_indexes([by_post, by_user]).await.map(|_| ())
    }

    /// Creates the indexes now, or keeps trying in the background while
    /// the database is down (the service starts anyway and answers 503).
    pub async fn ensure_indexes_or_retry(&self) {
        if let Err(e) = self.ensure_indexes().await {
            log::warn!("likes: cannot create the indexes yet ({e}); retrying in the background");
            let store = self.clone();
            actix_web::rt::spawn(async move {
                loop {
                    actix_web::rt::time::sleep(Duration::from_secs(5)).await;
                    match store.ensure_indexes().await {
                        Ok(()) => break log::info!("likes: indexes created"),
                        Err(e) => log::warn!("likes: still cannot create the indexes: {e}"),
                    }
                }
            });
        }
    }

    /// `user` likes `post`.
    pub async fn like(&self, post: &str, user: &str) -> Result<Liked, LikesError> {
        let turn = self.turns.lock(post).await;
        let created = with_retries(|| self.like_once(post, user)).await?;
        drop(turn);
        match created {
            Some(count) => Ok(Liked::Created(count)),
            None => Ok(Liked::Already(self.count(post).await?)),
        }
    }

    /// One attempt at a like: `Some(count)` when it is new, `None` when the
    /// user had liked the post already.
    async fn like_once(&self, post: &str, user: &str) -> mongodb::error::Result<Option<i64>> {
        // ANCHOR: like
        let mut session = self.mongo.client.start_session().await?;
        session.start_transaction().await?;
        let like = doc! { "_id": like_id(post, user), "post": post, "user": user, "at": DateTime::now() };
        let outcome = async {
            match self.likes.insert_one(like).session(&mut session).await {
                Ok(_) => {}
                Err(e) if is_duplicate_key(&e) => return Ok(None),
                Err(e) => return Err(e),
            }
            let counter = self
                .counters
                .find_one_and_update(doc! { "_id": post }, doc! { "$inc": { "count": 1_i64 } })
                .upsert(true)
                .return_document(ReturnDocument::After)
                .session(&mut session)
                .await?;
            Ok(Some(counter.as_ref().map_or(1, read_count)))
        }
        .await;
        // ANCHOR_END: like
        match outcome {
            Ok(Some(count)) => commit(&mut session).await.map(|()| Some(count)),
            other => {
                let _ = session.abort_transaction().await;
                other
            }
        }
    }

    /// `user` no longer likes `post`: `Ok(false)` when there was no like.
    pub async fn unlike(&self, post: &str, user: &str) -> Result<bool, LikesError> {
        let _turn = self.turns.lock(post).await;
        with_retries(|| self.unlike_once(post, user)).await
    }

    async fn unlike_once(&self, post: &str, user: &str) -> mongodb::error::Result<bool> {
        let mut session = self.mongo.client.start_session().await?;
        session.start_transaction().await?;
        let outcome = async {
            let deleted = self.likes.delete_one(doc! { "_id": like_id(post, user) }).session(&mut session).await?;
            if deleted.deleted_count == 0 {
                return Ok(false);
            }
            // Never below zero, even on a counter that drifted.
            self.counters
                .update_one(doc! { "_id": post, "count": { "$gt": 0_i64 } }, doc! { "$inc": { "count": -1_i64 } })
                .session(&mut session)
                .await?;
            Ok(true)
        }
        .await;
        match outcome {
            Ok(true) => commit(&mut session).await.map(|()| true),
            other => {
                let _ = session.abort_transaction().await;
                other
            }
        }
    }

    /// The number of likes of `post`.
    pub async fn count(&self, post: &str) -> Result<i64, LikesError> {
        let counter = self.counters.find_one(doc! { "_id": post }).await?;
        Ok(counter.as_ref().map_or(0, read_count))
    }

    /// The counts of `posts` (distinct, in that order), and whether `user`
    /// liked each: one query on the counters, one on the likes.
    pub async fn counts(&self, posts: &[String], user: Option<&str>) -> Result<Vec<Count>, LikesError> {
        let found: Vec<Document> = self.counters.find(doc! { "_id": { "$in": posts } }).await?.try_collect().await?;
        let count_of = |post: &str| found.iter().find(|d| d.get_str("_id").ok() == Some(post)).map_or(0, read_count);
        let liked: Option<Vec<String>> = match user {
            None => None,
            Some(user) => {
                let ids: Vec<Bson> = posts.iter().map(|p| Bson::Document(like_id(p, user))).collect();
                let docs: Vec<Document> = self
                    .likes
                    .find(doc! { "_id": { "$in": ids } })
                    .projection(doc! { "post": 1 })
                    .await?
                    .try_collect()
                    .await?;
                Some(docs.iter().filter_map(|d| d.get_str("post").ok().map(str::to_owned)).collect())
            }
        };
        Ok(posts
            .iter()
            .map(|post| Count {
                post_id: post.clone(),
                count: count_of(post),
                liked: liked.as_ref().map(|l| l.contains(post)),
            })
            .collect())
    }

    /// The posts `user` liked, newest like first (at most [`MAX_LIKED`]).
    pub async fn liked_by(&self, user: &str) -> Result<Vec<String>, LikesError> {
        let docs: Vec<Document> = self
            .likes
            .find(doc! { "user": user })
            .sort(doc! { "user": 1, "at": -1 })
            .limit(MAX_LIKED)
            .projection(doc! { "post": 1 })
            .await?
            .try_collect()
            .await?;
        Ok(docs.iter().filter_map(|d| d.get_str("post").ok().map(str::to_owned)).collect())
    }

    /// Recounts every counter from the like documents: the posts that have
    /// a counter or a like are checked; each wrong counter is set to its
    /// post's number of likes, counted again inside a transaction that
    /// writes the counter (so a like committed meanwhile makes it conflict
    /// and run again, instead of being overwritten).
    ///
    /// Shortcut: the counts of all posts are held in memory at once (a
    /// post id and a number each); a service with millions of liked posts
    /// would walk them in pages of `_id`.
    pub async fn reconcile(&self) -> Result<Reconciled, LikesError> {
        let mut expected: std::collections::BTreeMap<String, i64> = std::collections::BTreeMap::new();
        let mut grouped = self.likes.aggregate([doc! { "$group": { "_id": "$post", "n": { "$sum": 1 } } }]).await?;
        while let Some(group) = grouped.try_next().await? {
            if let Ok(post) = group.get_str("_id") {
                expected.insert(post.to_owned(), read_number(group.get("n")));
            }
        }
        let mut stored: std::collections::BTreeMap<String, i64> = std::collections::BTreeMap::new();
        let mut counters = self.counters.find(doc! {}).await?;
        while let Some(counter) = counters.try_next().await? {
            if let Ok(post) = counter.get_str("_id") {
                stored.insert(post.to_owned(), read_count(&counter));
            }
        }
        let posts: std::collections::BTreeSet<&String> = expected.keys().chain(stored.keys()).collect();
        let mut fixed = 0;
        for post in &posts {
            let (want, have) = (expected.get(*post).copied().unwrap_or(0), stored.get(*post).copied());
            if have == Some(want) || (have.is_none() && want == 0) {
                continue;
            }
            let _turn = self.turns.lock(post).await;
            if with_retries(|| self.recount_once(post)).await? {
                fixed += 1;
            }
        }
        Ok(Reconciled { checked: posts.len() as u64, fixed })
    }

    /// Sets `post`'s counter to its number of likes; `true` when it changed.
    async fn recount_once(&self, post: &str) -> mongodb::error::Result<bool> {
        let mut session = self.mongo.client.start_session().await?;
        session.start_transaction().await?;
        let outcome = async {
            let n = self.likes.count_documents(doc! { "post": post }).session(&mut session).await? as i64;
            let before = self
                .counters
                .find_one_and_update(doc! { "_id": post }, doc! { "$set": { "count": n } })
                .upsert(true)
                .return_document(ReturnDocument::Before)
                .session(&mut session)
                .await?;
            Ok(before.as_ref().map_or(0, read_count) != n || (before.is_none() && n == 0))
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

/// A counter's `count` (0 when missing or not a number).
fn read_count(counter: &Document) -> i64 {
    read_number(counter.get("count"))
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
