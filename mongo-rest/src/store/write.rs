//! Writes: inserts, updates and deletes, each in a transaction with its
//! oplog entry and the `seq` it takes from the counter, retried with
//! backoff while concurrent writers conflict; the uniqueness and relation
//! checks before them; the ETag guard that makes edits conditional.

use std::collections::HashSet;

use futures::TryStreamExt;
use mongodb::{
    bson::{doc, oid::ObjectId, Bson, DateTime, Document},
    error::{TRANSIENT_TRANSACTION_ERROR, UNKNOWN_TRANSACTION_COMMIT_RESULT},
    ClientSession,
};

use super::*;

/// How many times a transaction is tried when it keeps conflicting with
/// concurrent ones (every write takes the oplog counter, so concurrent
/// writers do conflict); between attempts it waits a random 1 ms to
/// [`MAX_BACKOFF_MS`], doubling, so that writers spread out.
const TRANSACTION_ATTEMPTS: usize = 30;
/// The longest wait between two attempts.
const MAX_BACKOFF_MS: u64 = 100;

/// A change to one document.
#[derive(Debug, Clone)]
pub enum Change {
    /// `PATCH`: dotted paths to set, and computed fields to recompute.
    Patch {
        /// Path → value (`address.city` → "x").
        set: Document,
        /// Computed fields whose sources changed.
        recompute: Vec<String>,
    },
    /// `PUT`: the whole new document (no meta fields).
    Replace(Document),
}

impl Store {
    /// Runs `work` in a transaction, retrying on transient errors (a write
    /// conflict with a concurrent transaction: the retry then sees the
    /// other writer's result, so an `If-Match` check fails with 412).
    ///
    /// `work` gets the session by value and hands it back with its result,
    /// which keeps the borrow checker simple for the caller's async block.
    pub(super) async fn transaction<T, F, Fut>(&self, mut work: F) -> Result<T, ApiError>
    where
        F: FnMut(ClientSession) -> Fut,
        Fut: std::future::Future<Output = (ClientSession, Result<T, ApiError>)>,
    {
        let mut session = self.client.start_session().await?;
        let mut attempt = 0;
        'attempts: loop {
            attempt += 1;
            session.start_transaction().await?;
            let (returned, result) = work(session).await;
            session = returned;
            let value = match result {
                Ok(value) => value,
                Err(e) => {
                    // Aborting a transaction the server already aborted fails
                    // harmlessly; the original error is what matters.
                    let _ = session.abort_transaction().await;
                    if is_transient(&e) {
                        if attempt < TRANSACTION_ATTEMPTS {
                            backoff(attempt).await;
                            continue;
                        }
                        return Err(ApiError::Busy);
                    }
                    return Err(e);
                }
            };
            loop {
                match session.commit_transaction().await {
                    Ok(()) => return Ok(value),
                    Err(e) if e.contains_label(UNKNOWN_TRANSACTION_COMMIT_RESULT) && attempt < TRANSACTION_ATTEMPTS => {
                        attempt += 1;
                    }
                    Err(e) if e.contains_label(TRANSIENT_TRANSACTION_ERROR) && attempt < TRANSACTION_ATTEMPTS => {
                        backoff(attempt).await;
                        continue 'attempts;
                    }
                    Err(e) if e.contains_label(TRANSIENT_TRANSACTION_ERROR) => return Err(ApiError::Busy),
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }

    /// Hands out `n` oplog positions inside a write's transaction and
    /// returns the first. Every writer increments the same counter, so two
    /// concurrent transactions conflict and one retries after the other
    /// commits: positions follow commit order and have no gaps, which is
    /// what lets a sync service resume from "the last `seq` I
    /// applied" without missing or repeating a write. (The price: writes to
    /// different documents serialize on the counter; fine at this scale.)
    pub(super) async fn next_seq(&self, session: &mut ClientSession, n: usize) -> Result<i64, ApiError> {
        let counter = self
            .counters
            .find_one_and_update(doc! { "_id": self.oplog.name() }, doc! { "$inc": { "seq": n as i64 } })
            .upsert(true)
            .return_document(mongodb::options::ReturnDocument::After)
            .session(session)
            .await?
            .ok_or_else(|| ApiError::Internal(format!("the oplog counter {:?} is missing", self.oplog.name())))?;
        // A counter someone else wrote (a double, say) is a server fault:
        // no client request can fix it, so a 500 with the cause logged.
        let last = match counter.get("seq") {
            Some(Bson::Int64(n)) => *n,
            Some(Bson::Int32(n)) => i64::from(*n),
            other => {
                return Err(ApiError::Internal(format!(
                    "the oplog counter {:?} is not a whole number: {other:?}",
                    self.oplog.name()
                )))
            }
        };
        Ok(last - n as i64 + 1)
    }

    /// Fails with 422 when a `unique` field of `docs` repeats within the
    /// batch or matches a stored document other than `except`. (The unique
    /// index is the real guard: a race between two writers ends in 409.)
    pub async fn check_unique(
        &self,
        served: &Served,
        docs: &[Document],
        except: Option<ObjectId>,
    ) -> Result<Vec<BTreeMap<String, String>>, ApiError> {
        let mut issues = vec![BTreeMap::new(); docs.len()];
        for field in served.validator.unique_fields() {
            let mut seen = HashSet::new();
            let mut values = Vec::new();
            for (i, d) in docs.iter().enumerate() {
                let Some(value) = d.get(field) else { continue };
                if !seen.insert(value.to_string()) {
                    issues[i].insert(field.clone(), format!("value '{}' is not unique", display(value)));
                }
                values.push(value.clone());
            }
            if values.is_empty() {
                continue;
            }
            let mut filter = doc! { field.as_str(): { "$in": values } };
            if let Some(id) = except {
                filter.insert("_id", doc! { "$ne": id });
            }
            let taken: Vec<Document> =
                served.collection.find(filter).projection(doc! { field.as_str(): 1 }).await?.try_collect().await?;
            let taken: HashSet<String> = taken.iter().filter_map(|d| d.get(field)).map(|v| v.to_string()).collect();
            for (i, d) in docs.iter().enumerate() {
                if let Some(value) = d.get(field).filter(|v| taken.contains(&v.to_string())) {
                    issues[i].insert(field.clone(), format!("value '{}' is not unique", display(value)));
                }
            }
        }
        Ok(issues)
    }

    /// Fails with 422 where a field with a `data_relation` (top-level, or a
    /// list of them) names a document that does not exist in the related
    /// resource, as Eve does: one query per relation field for the whole
    /// batch. (Nothing stops the related document from being deleted later:
    /// MongoDB has no foreign keys.)
    pub async fn check_relations(
        &self,
        served: &Served,
        docs: &[Document],
    ) -> Result<Vec<BTreeMap<String, String>>, ApiError> {
        let mut issues = vec![BTreeMap::new(); docs.len()];
        for (field, rules) in &served.def.schema {
            let relation = rules.data_relation.as_ref().or_else(|| rules.items.as_ref()?.data_relation.as_ref());
            let Some(related) = relation.and_then(|r| self.resources.get(&r.resource)) else { continue };
            let ids_of = |d: &Document| -> Vec<ObjectId> {
                match d.get(field) {
                    Some(Bson::ObjectId(id)) => vec![*id],
                    Some(Bson::Array(items)) => items.iter().filter_map(Bson::as_object_id).collect(),
                    _ => vec![],
                }
            };
            let wanted: HashSet<ObjectId> = docs.iter().flat_map(ids_of).collect();
            if wanted.is_empty() {
                continue;
            }
            let wanted: Vec<ObjectId> = wanted.into_iter().collect();
            let found: Vec<Document> = related
                .collection
                .find(doc! { "_id": { "$in": &wanted } })
                .projection(doc! { "_id": 1 })
                .await?
                .try_collect()
                .await?;
            let found: HashSet<ObjectId> = found.iter().filter_map(|d| d.get_object_id("_id").ok()).collect();
            for (i, d) in docs.iter().enumerate() {
                if let Some(missing) = ids_of(d).into_iter().find(|id| !found.contains(id)) {
                    issues[i].insert(
                        field.clone(),
                        format!("value '{missing}' must exist in resource '{}', field '_id'", related.name),
                    );
                }
            }
        }
        Ok(issues)
    }

    /// Inserts validated documents with their meta fields and oplog
    /// entries, all or nothing.
    pub async fn insert(&self, served: &Served, docs: Vec<Document>) -> Result<Vec<Written>, ApiError> {
        let now = DateTime::now();
        let mut written = Vec::with_capacity(docs.len());
        let mut stamped = Vec::with_capacity(docs.len());
        let mut entries = Vec::with_capacity(docs.len());
        for mut d in docs {
            let id = ObjectId::new();
            let etag = served.content_etag(&d);
            entries.push(oplog_entry("POST", &served.name, id, now, d.clone()));
            d.insert("_id", id);
            d.insert("_created", now);
            d.insert("_updated", now);
            d.insert("_etag", &etag);
            stamped.push(d);
            written.push(Written { id, created: now, updated: now, etag });
        }
        let (collection, oplog) = (&served.collection, &self.oplog);
        self.transaction(|mut session| {
            let (stamped, mut entries) = (stamped.clone(), entries.clone());
            async move {
                let result = async {
                    collection.insert_many(stamped).session(&mut session).await?;
                    let first = self.next_seq(&mut session, entries.len()).await?;
                    for (i, entry) in entries.iter_mut().enumerate() {
                        entry.insert("seq", first + i as i64);
                    }
                    oplog.insert_many(entries).session(&mut session).await?;
                    Ok(())
                }
                .await;
                (session, result)
            }
        })
        .await?;
        Ok(written)
    }

    /// Applies a `PATCH` (`set` holds dotted paths) or a `PUT` (`replace`
    /// holds the whole new document) if the stored ETag is `if_match`.
    /// Computed fields are recomputed from the merged document.
    pub async fn update(
        &self,
        served: &Served,
        id: ObjectId,
        if_match: &str,
        change: Change,
    ) -> Result<Written, ApiError> {
        let (collection, oplog) = (&served.collection, &self.oplog);
        self.transaction(|mut session| {
            let change = change.clone();
            async move {
                let result = async {
                    let (stored, guard) = served.stored_and_guard(&mut session, id, if_match).await?;
                    let now = DateTime::now();
                    let created = match stored.get("_created") {
                        Some(Bson::DateTime(d)) => *d,
                        _ => DateTime::from_millis(0),
                    };
                    let (op, mut new_doc, changes) = match change {
                        Change::Patch { set, recompute } => {
                            let mut merged = strip_meta(stored.clone());
                            crate::validate::apply_set(&mut merged, &set);
                            let mut changes = set;
                            if !recompute.is_empty() {
                                crate::validate::apply_computed(&served.def, &mut merged);
                                for field in &recompute {
                                    if let Some(v) = merged.get(field) {
                                        changes.insert(field.clone(), v.clone());
                                    }
                                }
                            }
                            ("PATCH", merged, changes)
                        }
                        Change::Replace(document) => ("PUT", document.clone(), document),
                    };
                    let etag = served.content_etag(&new_doc);
                    // The merged document replaces the stored one (rather than a
                    // `$set` of dotted paths, which MongoDB refuses through a
                    // stored `null`); the guard keeps it conditional on the ETag.
                    new_doc.insert("_id", id);
                    new_doc.insert("_created", created);
                    new_doc.insert("_updated", now);
                    new_doc.insert("_etag", &etag);
                    let result = collection.replace_one(guard, new_doc).session(&mut session).await?;
                    if result.matched_count == 0 {
                        return Err(ApiError::PreconditionFailed);
                    }
                    let mut entry = oplog_entry(op, &served.name, id, now, changes);
                    entry.insert("seq", self.next_seq(&mut session, 1).await?);
                    oplog.insert_one(entry).session(&mut session).await?;
                    Ok(Written { id, created, updated: now, etag })
                }
                .await;
                (session, result)
            }
        })
        .await
    }

    /// Deletes a document if its stored ETag is `if_match`.
    pub async fn delete(&self, served: &Served, id: ObjectId, if_match: &str) -> Result<(), ApiError> {
        let (collection, oplog) = (&served.collection, &self.oplog);
        self.transaction(|mut session| async move {
            let result = async {
                let (_, guard) = served.stored_and_guard(&mut session, id, if_match).await?;
                let result = collection.delete_one(guard).session(&mut session).await?;
                if result.deleted_count == 0 {
                    return Err(ApiError::PreconditionFailed);
                }
                let mut entry = oplog_entry("DELETE", &served.name, id, DateTime::now(), Document::new());
                entry.insert("seq", self.next_seq(&mut session, 1).await?);
                oplog.insert_one(entry).session(&mut session).await?;
                Ok(())
            }
            .await;
            (session, result)
        })
        .await
    }
}

impl Served {
    /// Reads the stored document inside the write's transaction, checks the
    /// client's ETag against it, and returns it with the filter that keeps
    /// the write conditional (see [`Served::etag_guard`]).
    pub(super) async fn stored_and_guard(
        &self,
        session: &mut ClientSession,
        id: ObjectId,
        if_match: &str,
    ) -> Result<(Document, Document), ApiError> {
        let stored = self
            .collection
            .find_one(doc! { "_id": id })
            .session(session)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no {} with id {id}", self.item_title)))?;
        let guard = self.etag_guard(&stored, if_match)?;
        Ok((stored, guard))
    }

    /// The filter that makes a write conditional on the ETag the client
    /// holds: the stored `_etag`, or for a document that never went through
    /// the API, "still without `_etag`" (the first API write stores one).
    pub(super) fn etag_guard(&self, stored: &Document, if_match: &str) -> Result<Document, ApiError> {
        let id = stored.get("_id").cloned().unwrap_or(Bson::Null);
        match stored.get_str("_etag") {
            // `*`: whatever version is stored now, as long as it stays so.
            Ok(etag) if etag == if_match || if_match == "*" => Ok(doc! { "_id": id, "_etag": etag }),
            Err(_) if if_match == "*" => Ok(doc! { "_id": id, "_etag": { "$exists": false } }),
            Ok(_) => Err(ApiError::PreconditionFailed),
            Err(_) if self.content_etag(stored) == if_match => Ok(doc! { "_id": id, "_etag": { "$exists": false } }),
            Err(_) => Err(ApiError::PreconditionFailed),
        }
    }
}

fn oplog_entry(op: &str, resource: &str, id: ObjectId, time: DateTime, changes: Document) -> Document {
    doc! {
        "_id": ObjectId::new(), "op": op, "resource": resource, "id": id, "time": time,
        "changes": changes, "_created": time, "_updated": time,
    }
}

/// The document without its meta fields.
fn strip_meta(mut doc: Document) -> Document {
    for meta in ["_created", "_updated", "_etag"] {
        doc.remove(meta);
    }
    doc
}

fn display(value: &Bson) -> String {
    match value {
        Bson::String(s) => s.clone(),
        other => convert::to_json(other).to_string(),
    }
}

/// Waits before retrying a conflicting transaction: random, up to twice as
/// long after each conflict, at most [`MAX_BACKOFF_MS`].
async fn backoff(attempt: usize) {
    use rand::Rng;
    let ceiling = (1_u64 << attempt.min(16)).min(MAX_BACKOFF_MS);
    let wait = rand::rng().random_range(1..=ceiling.max(1));
    actix_web::rt::time::sleep(std::time::Duration::from_millis(wait)).await;
}

fn is_transient(e: &ApiError) -> bool {
    match e {
        ApiError::Database(e) | ApiError::DatabaseUnavailable(e) => e.contains_label(TRANSIENT_TRANSACTION_ERROR),
        _ => false,
    }
}
