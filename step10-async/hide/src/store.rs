//! The hide service's store: one document per (user, post) hidden, and one
//! per user counting them.
//!
//! - `hidden`: `{_id: {user, post_id}, user, post_id, hidden_at}`. The
//!   pair is the `_id`, so a second hide of the same post by the same user
//!   is a duplicate key, which means "already hidden": exact under any
//!   concurrency, with no read before the write. Indexed on
//!   `{user: 1, hidden_at: -1}` for a user's list, newest first.
//! - `users`: `{_id: user, count}`, the number of posts the user hides,
//!   changed in the same transaction as the `hidden` document, so that the
//!   limit (`MAX_HIDDEN_PER_USER`) holds under concurrency too: two hides
//!   of one user write the same counter, one of the two transactions
//!   conflicts and is retried, and sees the other's count.
//!
//! Whether the post exists is not checked: hiding a post the posts service
//! does not know hides nothing (the lists never show it anyway), and asking
//! posts on every hide would make hide depend on it.

use std::time::Duration;

use futures::TryStreamExt;
use kit::mongo::Mongo;
use mongodb::{
    bson::{doc, oid::ObjectId, DateTime, Document},
    error::{ErrorKind, WriteFailure, TRANSIENT_TRANSACTION_ERROR, UNKNOWN_TRANSACTION_COMMIT_RESULT},
    options::IndexOptions,
    ClientSession, Collection, IndexModel,
};

use crate::error::HideError;

/// The collection of the hidden (user, post) pairs.
pub const HIDDEN: &str = "hidden";
/// The collection of the per-user counts.
pub const USERS: &str = "users";
/// How many times a transaction that collided with a concurrent one is
/// tried before the request is answered 503 (50 concurrent hides of one
/// user all commit within this many rounds).
const MAX_ATTEMPTS: u32 = 30;
/// How often startup retries creating the indexes while MongoDB is down.
const INDEX_RETRY: Duration = Duration::from_secs(5);

/// What a write did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The post is hidden now (201).
    Created,
    /// It was hidden already (200).
    Already,
    /// It is not hidden any more (204).
    Removed,
}

/// The two writes.
#[derive(Clone, Copy, Debug)]
enum Op {
    Hide,
    Unhide,
}

/// The store (cheap to clone: handles only).
#[derive(Clone)]
pub struct Store {
    /// The service's client and database.
    pub mongo: Mongo,
    hidden: Collection<Document>,
    users: Collection<Document>,
    max_hidden: u32,
    /// The `Idempotency-Key` records of the writes (the kit's middleware).
    pub idempotency: kit::idempotency::Store,
}

/// How a transaction ends without a commit: an answer that wrote nothing,
/// a refusal, or a database error (retried when transient).
enum Step {
    Answer(Outcome),
    Refused(HideError),
    Db(mongodb::error::Error),
}

impl From<mongodb::error::Error> for Step {
    fn from(e: mongodb::error::Error) -> Self {
        Step::Db(e)
    }
}

/// Whether `e` is a duplicate key (E11000).
fn is_duplicate(e: &mongodb::error::Error) -> bool {
    match &*e.kind {
        ErrorKind::Write(WriteFailure::WriteError(w)) => w.code == 11000,
        ErrorKind::Command(c) => c.code == 11000,
        _ => false,
    }
}

impl Store {
    /// The store on `mongo`'s database; `max_hidden` is
    /// `MAX_HIDDEN_PER_USER`.
    pub fn new(mongo: Mongo, max_hidden: u32) -> Self {
        let idempotency = kit::idempotency::Store::new(&mongo.db);
        Self { hidden: mongo.db.collection(HIDDEN), users: mongo.db.collection(USERS), mongo, max_hidden, idempotency }
    }

    /// Creates the list index and the idempotency keys' TTL index.
    pub async fn ensure_index(&self) -> mongodb::error::Result<()> {
        let index = IndexModel::builder()
            .keys(doc! { "user": 1, "hidden_at": -1 })
            .options(IndexOptions::builder().name("user_1_hidden_at_-1".to_owned()).build())
            .build();
        self.hidden.create_index(index).await?;
        self.idempotency.ensure_indexes().await
    }

    /// [`Store::ensure_index`], or, while MongoDB is down, keeps retrying
    /// in the background so that the service starts (and answers 503) anyway.
    pub async fn ensure_index_or_retry(&self) {
        if let Err(e) = self.ensure_index().await {
            log::warn!("cannot create the hide index yet ({e}); retrying every {INDEX_RETRY:?} in the background");
            let store = self.clone();
            actix_web::rt::spawn(async move {
                loop {
                    actix_web::rt::time::sleep(INDEX_RETRY).await;
                    if store.ensure_index().await.is_ok() {
                        log::info!("hide index created");
                        break;
                    }
                }
            });
        }
    }

    /// `user` hides `post`: [`Outcome::Created`] or [`Outcome::Already`].
    pub async fn hide(&self, user: &str, post: ObjectId) -> Result<Outcome, HideError> {
        self.write(Op::Hide, user, post).await
    }

    /// `user` un-hides `post`: [`Outcome::Removed`], or
    /// [`HideError::NotHidden`] if it was not hidden.
    pub async fn unhide(&self, user: &str, post: ObjectId) -> Result<Outcome, HideError> {
        self.write(Op::Unhide, user, post).await
    }

    /// The posts `user` hides, newest first (at most `MAX_HIDDEN_PER_USER`).
    pub async fn list(&self, user: &str) -> Result<Vec<ObjectId>, HideError> {
        let docs: Vec<Document> = self
            .hidden
            .find(doc! { "user": user })
            .projection(doc! { "post_id": 1 })
            .sort(doc! { "hidden_at": -1 })
            .limit(i64::from(self.max_hidden))
            .await?
            .try_collect()
            .await?;
        Ok(docs.iter().filter_map(|d| d.get_object_id("post_id").ok()).collect())
    }

    /// The writes of `op` inside the session's transaction.
    async fn write_in(&self, session: &mut ClientSession, op: Op, user: &str, post: ObjectId) -> Result<Outcome, Step> {
        let id = doc! { "user": user, "post_id": post };
        match op {
            Op::Hide => {
                let document = doc! { "_id": id, "user": user, "post_id": post, "hidden_at": DateTime::now() };
                match self.hidden.insert_one(document).session(&mut *session).await {
                    Ok(_) => {}
                    // A duplicate aborts the transaction: nothing to commit.
                    Err(e) if is_duplicate(&e) => return Err(Step::Answer(Outcome::Already)),
                    Err(e) => return Err(e.into()),
                }
                // One more, if under the limit. At the limit the filter
                // matches nothing and the upsert's insert of the same `_id`
                // is a duplicate.
                let max = i64::from(self.max_hidden);
                let counted = self
                    .users
                    .update_one(doc! { "_id": user, "count": { "$lt": max } }, doc! { "$inc": { "count": 1_i64 } })
                    .upsert(true)
                    .session(&mut *session)
                    .await;
                match counted {
                    Ok(_) => Ok(Outcome::Created),
                    Err(e) if is_duplicate(&e) => {
                        Err(Step::Refused(HideError::TooMany { user: user.to_owned(), max: self.max_hidden }))
                    }
                    Err(e) => Err(e.into()),
                }
            }
            Op::Unhide => {
                let deleted = self.hidden.delete_one(doc! { "_id": id }).session(&mut *session).await?;
                if deleted.deleted_count == 0 {
                    let post_id = post.to_hex();
                    return Err(Step::Refused(HideError::NotHidden { user: user.to_owned(), post_id }));
                }
                self.users
                    .update_one(doc! { "_id": user, "count": { "$gt": 0_i64 } }, doc! { "$inc": { "count": -1_i64 } })
                    .session(&mut *session)
                    .await?;
                Ok(Outcome::Removed)
            }
        }
    }

    /// Runs `op` in a transaction and commits it; a transaction that
    /// collided with a concurrent one (a `TransientTransactionError`: a
    /// write conflict) is tried again after a short random pause, up to
    /// [`MAX_ATTEMPTS`] times, then answered 503.
    async fn write(&self, op: Op, user: &str, post: ObjectId) -> Result<Outcome, HideError> {
        let mut session = self.mongo.client.start_session().await?;
        for attempt in 1..=MAX_ATTEMPTS {
            if let Err(e) = session.start_transaction().await {
                // With no server reachable the driver cannot tell whether
                // the deployment takes transactions and says it does not:
                // a ping tells "unavailable" (503) from a real refusal.
                return Err(match self.mongo.ping().await {
                    Err(down) if kit::mongo::is_unavailable(&down) => HideError::Unavailable(down),
                    _ => e.into(),
                });
            }
            let error = match self.write_in(&mut session, op, user, post).await {
                Ok(outcome) => match commit(&mut session).await {
                    Ok(()) => return Ok(outcome),
                    Err(e) => e,
                },
                Err(Step::Db(e)) => {
                    let _ = session.abort_transaction().await;
                    e
                }
                Err(Step::Answer(outcome)) => {
                    let _ = session.abort_transaction().await;
                    return Ok(outcome);
                }
                Err(Step::Refused(refused)) => {
                    let _ = session.abort_transaction().await;
                    return Err(refused);
                }
            };
            if !error.contains_label(TRANSIENT_TRANSACTION_ERROR) {
                return Err(error.into());
            }
            log::debug!("hide: transaction collided (attempt {attempt}): {error}");
            let pause = rand::random_range(1..=10 * u64::from(attempt.min(5)));
            actix_web::rt::time::sleep(Duration::from_millis(pause)).await;
        }
        Err(HideError::Busy)
    }
}

/// Commits, retrying while the outcome is unknown (the commit is idempotent).
async fn commit(session: &mut ClientSession) -> mongodb::error::Result<()> {
    let mut attempts = 0;
    loop {
        match session.commit_transaction().await {
            Err(e) if e.contains_label(UNKNOWN_TRANSACTION_COMMIT_RESULT) && attempts < 3 => attempts += 1,
            other => return other,
        }
    }
}
