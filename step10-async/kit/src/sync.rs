//! The sync protocol, and the target's side of it.
//!
//! The posts service is the only writer of posts; every write leaves an
//! oplog entry with a gapless `seq`. Search and recommend each keep a copy
//! of what they need, fed only by `step10-sync`, which reads the oplog and
//! hands batches to each target through two internal endpoints:
//!
//! - `GET /sync/checkpoint`: the target's [`Checkpoint`]: the last `seq`
//!   it applied (`null` before its first snapshot), a snapshot in
//!   progress, and how many entries and documents it has applied in all.
//! - `POST /sync/apply` with an [`Apply`]: the position the batch starts
//!   from (`expect`), and either oplog `entries` or a `snapshot` page.
//!
//! # Why nothing is lost or doubled
//! The target applies a batch **and** its new checkpoint in one MongoDB
//! transaction, and only if its stored position still equals `expect`
//! (compare-and-set). A crash before the commit leaves both as they were
//! (the batch is sent again); a crash after it leaves both moved (the batch
//! is not sent again). Two sync instances that send the same batch race on
//! the checkpoint document: one commits, the other gets 409 with the
//! current checkpoint and carries on from there. A batch must continue the
//! checkpoint without a gap (entries at or below it are skipped: they are
//! already applied), so an entry can never be jumped over either.
//!
//! Applying is idempotent on top of that: every document carries the `seq`
//! that last wrote it (`_seq`), an entry not newer than it changes nothing,
//! and a delete leaves a tombstone (`_deleted: true`) so that a replayed
//! insert cannot bring a post back, until a snapshot newer than it sweeps
//! it away. Counts are never incremented in response to an event: the
//! target's documents are the state, and anything derived (recommend's
//! ranking) is recomputed from them.
//!
//! # Snapshots
//! A target with no checkpoint (a fresh deployment: `datasets import`
//! writes no oplog entries), or one older than the oldest oplog entry, is
//! filled by a snapshot: sync reads the oplog's head `seq` *H*, then every
//! post in `_id` order, page by page, each page an [`Apply`] with a
//! [`SnapshotPage`] at *H* (the position records the last `_id` applied,
//! so a restarted sync resumes the snapshot where it stopped). The last
//! page (`done`) deletes every document the snapshot did not write and
//! sets the checkpoint to *H*; the oplog after *H* then replays whatever
//! changed while the pages were read (harmless when already seen).

use std::collections::HashMap;

use actix_web::{http::StatusCode, web, HttpResponse, ResponseError};
use mongodb::{
    bson::{doc, oid::ObjectId, Bson, DateTime, Document},
    error::{TRANSIENT_TRANSACTION_ERROR, UNKNOWN_TRANSACTION_COMMIT_RESULT},
    Collection,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::mongo::{is_unavailable, Mongo};

/// The most entries or posts one [`Apply`] may carry.
pub const MAX_BATCH: usize = 500;
/// The collection of the target's checkpoint (one document).
pub const STATE_COLLECTION: &str = "sync_state";
const STATE_ID: &str = "checkpoint";

/// Where a target stands in the oplog.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Position {
    /// The last oplog `seq` applied; `null` before the first snapshot.
    pub seq: Option<i64>,
    /// A snapshot in progress, if any.
    pub snapshot: Option<SnapshotPosition>,
}

/// How far a snapshot got.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SnapshotPosition {
    /// The oplog head the snapshot was taken at.
    pub seq: i64,
    /// The last post `_id` applied (hex); `null` before the first page.
    pub after: Option<String>,
}

/// `GET /sync/checkpoint`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Checkpoint {
    /// The position (compare-and-set on this).
    #[serde(flatten)]
    pub position: Position,
    /// How many entries and snapshot documents were applied in all (each
    /// exactly once: the tests compare it with the oplog).
    pub applied: i64,
}

/// The write an oplog entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum Op {
    /// A new document (`changes` is all of it).
    Post,
    /// A partial update (`changes` holds the fields written).
    Patch,
    /// A replacement (`changes` is all of it).
    Put,
    /// A deletion.
    Delete,
}

/// One oplog entry, as the posts API serves it at `/oplog`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Entry {
    /// Its position: 1, 2, 3, … without gaps.
    pub seq: i64,
    /// The write.
    pub op: Op,
    /// The post's `_id` (hex).
    pub id: String,
    /// The fields written.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub changes: Map<String, Value>,
}

/// One page of a snapshot.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SnapshotPage {
    /// The oplog head the snapshot is taken at.
    pub seq: i64,
    /// Posts as the posts API serves them (`_id` hex), in `_id` order,
    /// after the position's `after`.
    #[schema(value_type = Vec<Object>)]
    pub posts: Vec<Map<String, Value>>,
    /// Whether this is the last page.
    pub done: bool,
}

/// `POST /sync/apply`: a batch of entries, or a snapshot page.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Apply {
    /// The position the batch continues: applied only if it still is the
    /// target's position.
    pub expect: Position,
    /// Oplog entries in `seq` order, continuing `expect.seq`.
    #[serde(default)]
    pub entries: Vec<Entry>,
    /// A snapshot page instead of entries.
    #[serde(default)]
    pub snapshot: Option<SnapshotPage>,
}

/// The answer to `POST /sync/apply`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Applied {
    /// The new position.
    pub position: Position,
    /// Entries or documents applied.
    pub applied: usize,
    /// Entries skipped: at or below the checkpoint, or not newer than the
    /// document (already applied).
    pub skipped: usize,
}

/// How a target stores one field of a post it keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A string.
    Text,
    /// A whole number.
    Integer,
    /// A number.
    Float,
    /// `true` or `false`.
    Bool,
    /// An RFC 1123 date on the wire, a BSON date in the store.
    Date,
    /// A list of strings.
    TextList,
}

/// One field a target keeps.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    /// The field's name in the posts.
    pub name: &'static str,
    /// How it is stored.
    pub kind: Kind,
}

/// Why a batch was not applied.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// The target's position is not the batch's `expect` (409).
    #[error("the checkpoint moved: the target is at {0:?}")]
    Conflict(Box<Checkpoint>),
    /// The batch is malformed or does not continue the checkpoint (422).
    #[error("{0}")]
    Invalid(String),
    /// The target's database cannot be reached (503).
    #[error("the database is unavailable")]
    Unavailable(#[source] mongodb::error::Error),
    /// Any other database failure (500).
    #[error("database error")]
    Database(#[source] mongodb::error::Error),
}

impl From<mongodb::error::Error> for TargetError {
    fn from(e: mongodb::error::Error) -> Self {
        if is_unavailable(&e) {
            TargetError::Unavailable(e)
        } else {
            TargetError::Database(e)
        }
    }
}

impl ResponseError for TargetError {
    fn status_code(&self) -> StatusCode {
        match self {
            TargetError::Conflict(_) => StatusCode::CONFLICT,
            TargetError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            TargetError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            TargetError::Database(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let message = match self {
            TargetError::Database(e) => {
                log::error!("sync apply: {e}");
                "database error (logged)".to_string()
            }
            TargetError::Unavailable(e) => format!("the database is unavailable: {e}"),
            other => other.to_string(),
        };
        let mut body = mongo_rest::error::error_body(status, &message);
        if let TargetError::Conflict(current) = self {
            body["checkpoint"] = serde_json::to_value(current).unwrap_or_default();
        }
        HttpResponse::build(status).json(body)
    }
}

/// The target's side: its documents, its checkpoint, and the fields it keeps.
#[derive(Clone)]
pub struct Target {
    mongo: Mongo,
    docs: Collection<Document>,
    state: Collection<Document>,
    fields: &'static [Field],
    changed: std::sync::Arc<tokio::sync::watch::Sender<u64>>,
}

impl Target {
    /// The target keeping `fields` of each post in `collection` of the
    /// service's own database.
    pub fn new(mongo: &Mongo, collection: &str, fields: &'static [Field]) -> Self {
        let (changed, _) = tokio::sync::watch::channel(0);
        Self {
            docs: mongo.db.collection(collection),
            state: mongo.db.collection(STATE_COLLECTION),
            mongo: mongo.clone(),
            fields,
            changed: std::sync::Arc::new(changed),
        }
    }

    /// The collection of the target's documents.
    pub fn collection(&self) -> &Collection<Document> {
        &self.docs
    }

    /// Wakes up after each batch this process applied (recommend refreshes
    /// its ranking then; other instances notice through the checkpoint).
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// The stored checkpoint (the start position when there is none).
    pub async fn checkpoint(&self) -> Result<Checkpoint, TargetError> {
        let stored = self.state.find_one(doc! { "_id": STATE_ID }).await?;
        Ok(read_checkpoint(stored))
    }

    /// Applies a batch with its checkpoint, in one transaction, if the
    /// checkpoint is still `apply.expect` (see the module's documentation).
    pub async fn apply(&self, apply: Apply) -> Result<Applied, TargetError> {
        let size = apply.entries.len() + apply.snapshot.as_ref().map_or(0, |s| s.posts.len());
        if size > MAX_BATCH {
            return Err(TargetError::Invalid(format!("at most {MAX_BATCH} entries or posts per batch, not {size}")));
        }
        if apply.snapshot.is_some() && !apply.entries.is_empty() {
            return Err(TargetError::Invalid("a batch carries entries or a snapshot page, not both".into()));
        }
        let mut session = self.mongo.client.start_session().await?;
        session.start_transaction().await?;
        let outcome = self.apply_in(&mut session, &apply).await;
        let outcome = match outcome {
            Ok((applied, state)) => {
                let write = self.state.replace_one(doc! { "_id": STATE_ID }, state).upsert(true).session(&mut session);
                match write.await {
                    Ok(_) => commit(&mut session).await.map(|()| applied),
                    Err(e) => Err(e),
                }
            }
            Err(Step::Refused(e)) => {
                let _ = session.abort_transaction().await;
                return Err(e);
            }
            Err(Step::Db(e)) => Err(e),
        };
        match outcome {
            Ok(applied) => {
                self.changed.send_modify(|n| *n += 1);
                Ok(applied)
            }
            Err(e) => {
                let _ = session.abort_transaction().await;
                if e.contains_label(TRANSIENT_TRANSACTION_ERROR) {
                    // A concurrent batch wrote the same documents or the
                    // checkpoint first: report where the target is now.
                    Err(TargetError::Conflict(Box::new(self.checkpoint().await?)))
                } else {
                    Err(e.into())
                }
            }
        }
    }

    /// The batch's writes inside the transaction; returns what was applied
    /// and the new state document.
    async fn apply_in(&self, session: &mut mongodb::ClientSession, apply: &Apply) -> Result<(Applied, Document), Step> {
        // ANCHOR: cas
        // Inside the batch's transaction: the checkpoint as stored now. A
        // concurrent batch that commits first makes this transaction's
        // checkpoint write conflict, and it aborts (a 409 as well).
        let stored = self.state.find_one(doc! { "_id": STATE_ID }).session(&mut *session).await?;
        let current = read_checkpoint(stored);
        if current.position != apply.expect {
            return Err(Step::Refused(TargetError::Conflict(Box::new(current))));
        }
        // ANCHOR_END: cas
        let (position, applied, skipped) = match &apply.snapshot {
            Some(page) => self.apply_snapshot(session, &current.position, page).await?,
            None => self.apply_entries(session, &current.position, &apply.entries).await?,
        };
        let state = doc! {
            "_id": STATE_ID,
            "seq": position.seq.map_or(Bson::Null, Bson::Int64),
            "snapshot": match &position.snapshot {
                None => Bson::Null,
                Some(s) => Bson::Document(doc! {
                    "seq": s.seq,
                    "after": s.after.clone().map_or(Bson::Null, Bson::String),
                }),
            },
            "applied": current.applied + applied as i64,
            "updated": DateTime::now(),
        };
        Ok((Applied { position, applied, skipped }, state))
    }

    async fn apply_snapshot(
        &self,
        session: &mut mongodb::ClientSession,
        current: &Position,
        page: &SnapshotPage,
    ) -> Result<(Position, usize, usize), Step> {
        let mut after = match &current.snapshot {
            None => None,
            Some(s) if s.seq == page.seq => s.after.clone(),
            Some(s) => {
                return Err(invalid(format!("a snapshot at seq {} is in progress, not at {}", s.seq, page.seq)));
            }
        };
        for post in &page.posts {
            let id = post_id(post.get("_id"))?;
            if let Some(previous) = &after {
                if id.to_hex().as_str() <= previous.as_str() {
                    return Err(invalid(format!("snapshot posts must come after {previous} in _id order, not {id}")));
                }
            }
            let mut doc = self.project(post, false)?;
            doc.insert("_id", id);
            doc.insert("_seq", page.seq);
            doc.insert("_snap", page.seq);
            self.docs.replace_one(doc! { "_id": id }, doc).upsert(true).session(&mut *session).await?;
            after = Some(id.to_hex());
        }
        let position = if page.done {
            // What the snapshot did not write is gone from the master (or a
            // tombstone older than the snapshot).
            self.docs.delete_many(doc! { "_snap": { "$ne": page.seq } }).session(&mut *session).await?;
            Position { seq: Some(page.seq), snapshot: None }
        } else {
            Position { seq: current.seq, snapshot: Some(SnapshotPosition { seq: page.seq, after }) }
        };
        Ok((position, page.posts.len(), 0))
    }

    async fn apply_entries(
        &self,
        session: &mut mongodb::ClientSession,
        current: &Position,
        entries: &[Entry],
    ) -> Result<(Position, usize, usize), Step> {
        let checkpoint = match (current.seq, &current.snapshot) {
            (Some(seq), None) => seq,
            _ => return Err(invalid("the target needs a snapshot before oplog entries".into())),
        };
        if entries.is_empty() {
            return Err(invalid("an empty batch".into()));
        }
        let fresh: Vec<&Entry> = entries.iter().filter(|e| e.seq > checkpoint).collect();
        let mut skipped = entries.len() - fresh.len();
        for (expected, entry) in (checkpoint + 1..).zip(&fresh) {
            if entry.seq != expected {
                return Err(invalid(format!("gap: the batch has seq {} where {expected} was expected", entry.seq)));
            }
        }
        let Some(last) = fresh.last().map(|e| e.seq) else {
            return Ok((current.clone(), 0, skipped));
        };
        let ids = fresh.iter().map(|e| post_id_text(&e.id)).collect::<Result<Vec<_>, _>>()?;
        let mut state: HashMap<ObjectId, Option<Document>> = HashMap::new();
        let mut cursor = self.docs.find(doc! { "_id": { "$in": &ids } }).session(&mut *session).await?;
        while let Some(doc) = cursor.next(&mut *session).await.transpose()? {
            if let Ok(id) = doc.get_object_id("_id") {
                state.insert(id, Some(doc));
            }
        }
        drop(cursor);
        let mut touched = Vec::new();
        let mut applied = 0;
        for (entry, id) in fresh.iter().zip(&ids) {
            let slot = state.entry(*id).or_insert(None);
            if !touched.contains(id) {
                touched.push(*id);
            }
            if fold(slot, entry, *id, |changes, partial| self.project(changes, partial))? {
                skipped += 1;
            } else {
                applied += 1;
            }
        }
        for id in touched {
            if let Some(Some(doc)) = state.remove(&id) {
                self.docs.replace_one(doc! { "_id": id }, doc).upsert(true).session(&mut *session).await?;
            }
        }
        Ok((Position { seq: Some(last), snapshot: None }, applied, skipped))
    }

    /// The fields this target keeps, converted for storage. `partial`: a
    /// `PATCH`'s changes (only the fields present; dotted paths into a kept
    /// field are refused).
    fn project(&self, source: &Map<String, Value>, partial: bool) -> Result<Document, Step> {
        let mut out = Document::new();
        if partial {
            if let Some(path) = source.keys().find(|k| k.split_once('.').is_some_and(|(root, _)| self.keeps(root))) {
                return Err(invalid(format!("cannot apply the dotted path {path:?} to a kept field")));
            }
        }
        for field in self.fields {
            if let Some(value) = source.get(field.name) {
                out.insert(field.name, convert(field, value)?);
            }
        }
        Ok(out)
    }

    fn keeps(&self, name: &str) -> bool {
        self.fields.iter().any(|f| f.name == name)
    }
}

/// Applies one entry to one document's state (`None`: never seen;
/// `_deleted`: a tombstone). Returns whether the entry was skipped.
fn fold(
    slot: &mut Option<Document>,
    entry: &Entry,
    id: ObjectId,
    project: impl Fn(&Map<String, Value>, bool) -> Result<Document, Step>,
) -> Result<bool, Step> {
    let held = slot.as_ref().and_then(|d| d.get_i64("_seq").ok());
    if held.is_some_and(|seq| seq >= entry.seq) {
        return Ok(true);
    }
    let live = slot.as_ref().is_some_and(|d| !d.get_bool("_deleted").unwrap_or(false));
    match entry.op {
        Op::Post | Op::Put => {
            let mut doc = project(&entry.changes, false)?;
            doc.insert("_id", id);
            doc.insert("_seq", entry.seq);
            *slot = Some(doc);
        }
        Op::Patch if live => {
            let doc = slot.as_mut().expect("live");
            doc.extend(project(&entry.changes, true)?);
            doc.insert("_seq", entry.seq);
        }
        Op::Patch => {
            log::warn!("sync: PATCH seq {} of post {id}, which this target does not hold: skipped", entry.seq);
            return Ok(true);
        }
        Op::Delete => *slot = Some(doc! { "_id": id, "_seq": entry.seq, "_deleted": true }),
    }
    Ok(false)
}

/// A failure inside the transaction: refused (abort, answer) or a
/// database error (abort; a write conflict becomes a 409).
enum Step {
    Refused(TargetError),
    Db(mongodb::error::Error),
}

impl From<mongodb::error::Error> for Step {
    fn from(e: mongodb::error::Error) -> Self {
        Step::Db(e)
    }
}

fn invalid(message: String) -> Step {
    Step::Refused(TargetError::Invalid(message))
}

/// Commits, retrying while the outcome is unknown (the commit is idempotent).
async fn commit(session: &mut mongodb::ClientSession) -> mongodb::error::Result<()> {
    let mut attempts = 0;
    loop {
        match session.commit_transaction().await {
            Err(e) if e.contains_label(UNKNOWN_TRANSACTION_COMMIT_RESULT) && attempts < 3 => attempts += 1,
            other => return other,
        }
    }
}

fn read_checkpoint(stored: Option<Document>) -> Checkpoint {
    let Some(stored) = stored else {
        return Checkpoint { position: Position::default(), applied: 0 };
    };
    let snapshot = stored.get_document("snapshot").ok().map(|s| SnapshotPosition {
        seq: s.get_i64("seq").unwrap_or_default(),
        after: s.get_str("after").ok().map(str::to_owned),
    });
    Checkpoint {
        position: Position { seq: stored.get_i64("seq").ok(), snapshot },
        applied: stored.get_i64("applied").unwrap_or_default(),
    }
}

fn post_id(value: Option<&Value>) -> Result<ObjectId, Step> {
    match value {
        Some(Value::String(hex)) => post_id_text(hex),
        _ => Err(invalid("a post without a hex _id".into())),
    }
}

fn post_id_text(hex: &str) -> Result<ObjectId, Step> {
    ObjectId::parse_str(hex).map_err(|_| invalid(format!("{hex:?} is not a post id")))
}

/// One field's JSON value as stored. `null` stays `null`.
fn convert(field: &Field, value: &Value) -> Result<Bson, Step> {
    let wrong = || invalid(format!("field {:?}: {value} is not a {:?}", field.name, field.kind));
    Ok(match (field.kind, value) {
        (_, Value::Null) => Bson::Null,
        (Kind::Text, Value::String(s)) => Bson::String(s.clone()),
        (Kind::Integer, Value::Number(n)) => Bson::Int64(n.as_i64().ok_or_else(wrong)?),
        (Kind::Float, Value::Number(n)) => Bson::Double(n.as_f64().ok_or_else(wrong)?),
        (Kind::Bool, Value::Bool(b)) => Bson::Boolean(*b),
        (Kind::Date, Value::String(s)) => {
            let date = chrono::DateTime::parse_from_rfc2822(s).map_err(|_| wrong())?;
            Bson::DateTime(DateTime::from_millis(date.timestamp_millis()))
        }
        (Kind::TextList, Value::Array(items)) => Bson::Array(
            items
                .iter()
                .map(|v| v.as_str().map(|s| Bson::String(s.into())).ok_or_else(wrong))
                .collect::<Result<_, _>>()?,
        ),
        _ => return Err(wrong()),
    })
}

/// Mounts `GET /sync/checkpoint` and `POST /sync/apply` (they need a
/// `web::Data<Target>`). Internal endpoints: only sync calls them, and
/// only the web front is published outside the services' network.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/sync/checkpoint").route(web::get().to(checkpoint_route)))
        .service(web::resource("/sync/apply").route(web::post().to(apply_route)));
}

async fn checkpoint_route(target: web::Data<Target>) -> Result<web::Json<Checkpoint>, TargetError> {
    target.checkpoint().await.map(web::Json)
}

async fn apply_route(target: web::Data<Target>, apply: web::Json<Apply>) -> Result<web::Json<Applied>, TargetError> {
    target.apply(apply.into_inner()).await.map(web::Json)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const FIELDS: &[Field] = &[
        Field { name: "title", kind: Kind::Text },
        Field { name: "score", kind: Kind::Integer },
        Field { name: "created_utc", kind: Kind::Date },
    ];

    fn project(changes: &Map<String, Value>, _partial: bool) -> Result<Document, Step> {
        let mut out = Document::new();
        for field in FIELDS {
            if let Some(v) = changes.get(field.name) {
                out.insert(field.name, convert(field, v)?);
            }
        }
        Ok(out)
    }

    fn entry(seq: i64, op: Op, changes: Value) -> Entry {
        Entry { seq, op, id: String::new(), changes: changes.as_object().cloned().unwrap_or_default() }
    }

    #[test]
    fn entries_fold_into_the_document_and_replays_change_nothing() {
        let id = ObjectId::new();
        let mut slot = None;
        let post = entry(5, Op::Post, json!({ "title": "a", "score": 1, "author": "not kept" }));
        assert!(!fold(&mut slot, &post, id, project).ok().unwrap());
        assert!(!fold(&mut slot, &entry(6, Op::Patch, json!({ "score": 60 })), id, project).ok().unwrap());
        let doc = slot.clone().unwrap();
        assert_eq!((doc.get_str("title").unwrap(), doc.get_i64("score").unwrap()), ("a", 60));
        assert!(!doc.contains_key("author"));
        assert_eq!(doc.get_i64("_seq").unwrap(), 6);
        // A replay of an older entry leaves the newer state.
        assert!(fold(&mut slot, &post, id, project).ok().unwrap());
        assert_eq!(slot.as_ref().unwrap().get_i64("score").unwrap(), 60);
        // A delete leaves a tombstone; a replayed insert cannot revive it.
        assert!(!fold(&mut slot, &entry(7, Op::Delete, json!({})), id, project).ok().unwrap());
        assert!(fold(&mut slot, &post, id, project).ok().unwrap());
        assert!(slot.as_ref().unwrap().get_bool("_deleted").unwrap());
        // A PATCH of a tombstone changes nothing.
        assert!(fold(&mut slot, &entry(8, Op::Patch, json!({ "score": 1 })), id, project).ok().unwrap());
    }

    #[test]
    fn values_are_converted_by_kind() {
        let date = convert(&FIELDS[2], &json!("Tue, 02 Apr 2013 10:29:13 GMT")).ok().unwrap();
        assert_eq!(date, Bson::DateTime(DateTime::from_millis(1_364_898_553_000)));
        assert!(convert(&FIELDS[1], &json!("x")).is_err());
        assert!(convert(&FIELDS[1], &json!(1.5)).is_err());
        assert_eq!(convert(&FIELDS[0], &Value::Null).ok().unwrap(), Bson::Null);
    }

    #[test]
    fn the_wire_format_is_the_documented_one() {
        let apply: Apply = serde_json::from_value(json!({
            "expect": { "seq": 4, "snapshot": null },
            "entries": [{ "seq": 5, "op": "PATCH", "id": "4b43a616a1b588c68c000000", "changes": { "score": 3 } }]
        }))
        .unwrap();
        assert_eq!(apply.expect, Position { seq: Some(4), snapshot: None });
        assert_eq!(apply.entries[0].op, Op::Patch);
        let checkpoint = Checkpoint { position: Position { seq: None, snapshot: None }, applied: 0 };
        assert_eq!(serde_json::to_value(checkpoint).unwrap(), json!({ "seq": null, "snapshot": null, "applied": 0 }));
    }
}
