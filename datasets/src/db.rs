//! The database side: connecting, the indexes, and the batched writes.
//!
//! Everything that talks to MongoDB for writing lives here so that the import
//! pipeline only deals with batches of [`Post`]s, and the football generator
//! with batches of documents. The server this workshop runs (a
//! MongoDB-compatible one) degrades with many concurrent writers, so each
//! batch goes in ONE `update` command and callers send batches one after the
//! other.

use std::time::Duration;

use mongodb::bson::{doc, Bson, Document};
use mongodb::error::ErrorKind;
use mongodb::options::{ClientOptions, IndexOptions};
use mongodb::{Client, Collection, Database, IndexModel};

use crate::error::Error;
use crate::post::Post;

/// The URI used when neither `--uri` nor `MONGODB_URI` is given.
pub const DEFAULT_URI: &str = "mongodb://127.0.0.1:27017";
/// The database used when neither `--db` nor `MONGODB_DB` is given.
pub const DEFAULT_DB: &str = "reddit";
/// The collection of canonical posts.
pub const POSTS: &str = "posts";

/// How long to wait for a server before giving up. Short, because the usual
/// cause is "the database is not started" and the user should hear it fast.
const SERVER_SELECTION_TIMEOUT: Duration = Duration::from_secs(5);

/// Connects to `uri`, checks that a server answers (`ping`) and returns the
/// database `db_name`.
///
/// Fails with [`Error::Unreachable`] (naming the URI, password hidden) when no
/// server answers within 5 seconds, unless the URI sets its own
/// `serverSelectionTimeoutMS`.
pub async fn connect(uri: &str, db_name: &str) -> Result<Database, Error> {
    let shown = redact(uri);
    let mut options = ClientOptions::parse(uri).await.map_err(|source| Error::BadUri { uri: shown.clone(), source })?;
    options.app_name.get_or_insert_with(|| "datasets".to_owned());
    options.server_selection_timeout.get_or_insert(SERVER_SELECTION_TIMEOUT);
    options.connect_timeout.get_or_insert(SERVER_SELECTION_TIMEOUT);
    let timeout = options.server_selection_timeout.unwrap_or(SERVER_SELECTION_TIMEOUT);

    let client = Client::with_options(options)?;
    let db = client.database(db_name);
    if let Err(e) = db.run_command(doc! { "ping": 1 }).await {
        log::debug!("ping failed: {e}");
        let reason = match *e.kind {
            ErrorKind::ServerSelection { .. } => {
                format!("no server answered within {}s", timeout.as_secs())
            }
            _ => e.to_string(),
        };
        return Err(Error::Unreachable { uri: shown, reason });
    }
    Ok(db)
}

/// The `posts` collection, as raw documents.
pub fn posts(db: &Database) -> Collection<Document> {
    db.collection(POSTS)
}

/// The `posts` collection, typed.
pub fn typed_posts(db: &Database) -> Collection<Post> {
    db.collection(POSTS)
}

/// The indexes of `posts`: the unique upsert key, keyword search sorted by
/// score, and "top posts".
pub fn index_models() -> Vec<IndexModel> {
    vec![
        IndexModel::builder().keys(doc! { "name": 1 }).options(IndexOptions::builder().unique(true).build()).build(),
        IndexModel::builder().keys(doc! { "keywords": 1, "score": -1 }).build(),
        IndexModel::builder().keys(doc! { "score": -1 }).build(),
    ]
}

/// Creates the indexes of [`index_models`], idempotently.
///
/// MongoDB accepts re-creating an index with the same spec; a server that
/// instead says "already exists" is treated the same way. A *conflicting*
/// index (same name, other options) is an error worth seeing.
pub async fn ensure_indexes(db: &Database) -> Result<(), Error> {
    let coll = posts(db);
    for model in index_models() {
        let keys = model.keys.clone();
        if let Err(e) = coll.create_index(model).await {
            if already_exists(&e) {
                log::debug!("index {keys} already exists");
            } else {
                return Err(Error::Db(e));
            }
        }
    }
    Ok(())
}

/// Whether an index creation error only says the index is already there.
fn already_exists(e: &mongodb::error::Error) -> bool {
    // 68 = IndexAlreadyExists.
    matches!(&*e.kind, ErrorKind::Command(c) if c.code == 68) || e.to_string().contains("already exists")
}

/// What one batch write did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct BatchOutcome {
    /// Documents inserted or updated.
    pub written: u64,
    /// Per-document failures: the document's index in the batch and the
    /// server's message.
    pub errors: Vec<(usize, String)>,
}

/// Upserts `batch` into `posts` in one round trip, keyed on `name`.
///
/// Uses the classic `update` command with one statement per post, unordered so
/// that one bad post does not stop the others. Every field but `_id` is `$set`;
/// `_id` is only written on insert (`$setOnInsert`), so re-importing a file
/// keeps the documents' original `_id`s and changes nothing else.
pub async fn upsert_batch(db: &Database, batch: &[Post]) -> Result<BatchOutcome, Error> {
    if batch.is_empty() {
        return Ok(BatchOutcome::default());
    }
    let updates: Vec<Document> = batch
        .iter()
        .map(|post| {
            let mut fields = post.to_document();
            let id = fields.remove("_id").unwrap_or(Bson::ObjectId(post.oid));
            doc! {
                "q": { "name": &post.name },
                "u": { "$set": fields, "$setOnInsert": { "_id": id } },
                "upsert": true,
            }
        })
        .collect();
    let reply = db.run_command(doc! { "update": POSTS, "updates": updates, "ordered": false }).await?;
    Ok(outcome(&reply, batch.len()))
}

/// Writes `docs` into `collection` in one round trip: each document replaces
/// the one with its `_id`, or is inserted when there is none.
///
/// The same unordered `update` command as [`upsert_batch`], with whole
/// documents as replacements instead of `$set`: after it, each stored
/// document is exactly the one given, whatever fields an earlier write (say,
/// the REST API's `_etag`) had added. For generators whose `_id`s are
/// deterministic, re-running them is then a no-op.
pub async fn replace_batch(db: &Database, collection: &str, docs: &[Document]) -> Result<BatchOutcome, Error> {
    if docs.is_empty() {
        return Ok(BatchOutcome::default());
    }
    let updates: Vec<Document> = docs
        .iter()
        .map(|d| doc! { "q": { "_id": d.get("_id").cloned().unwrap_or(Bson::Null) }, "u": d, "upsert": true })
        .collect();
    let reply = db.run_command(doc! { "update": collection, "updates": updates, "ordered": false }).await?;
    Ok(outcome(&reply, docs.len()))
}

/// Deletes every document of `collection` and returns how many there were.
/// Its indexes stay, unlike with a drop: a running REST API created them at
/// startup and would not create them again.
pub async fn clear(db: &Database, collection: &str) -> Result<u64, Error> {
    let result = db.collection::<Document>(collection).delete_many(doc! {}).await?;
    Ok(result.deleted_count)
}

/// What the server's reply to an `update` command of `sent` statements says
/// was written, and which statements failed.
fn outcome(reply: &Document, sent: usize) -> BatchOutcome {
    let mut errors = Vec::new();
    if let Ok(write_errors) = reply.get_array("writeErrors") {
        for e in write_errors.iter().filter_map(Bson::as_document) {
            let index = e.get("index").and_then(as_usize).unwrap_or(usize::MAX);
            let message = e.get_str("errmsg").unwrap_or("unknown write error").to_owned();
            errors.push((index, message));
        }
    }
    if let Ok(wce) = reply.get_document("writeConcernError") {
        // The writes happened but were not acknowledged as asked: say so once.
        log::warn!("write concern error: {wce}");
    }
    // `n` counts matched plus upserted statements; fall back to what we sent
    // minus what failed if a server leaves it out.
    let fallback = (sent - errors.len().min(sent)) as u64;
    let written = reply.get("n").and_then(as_usize).map_or(fallback, |n| n as u64);
    BatchOutcome { written, errors }
}

/// A non-negative BSON number as `usize`.
fn as_usize(b: &Bson) -> Option<usize> {
    match b {
        Bson::Int32(n) => usize::try_from(*n).ok(),
        Bson::Int64(n) => usize::try_from(*n).ok(),
        Bson::Double(x) if *x >= 0.0 && x.is_finite() => Some(*x as usize),
        _ => None,
    }
}

/// `uri` with any password replaced by `***`, for messages.
pub fn redact(uri: &str) -> String {
    let Some((scheme, rest)) = uri.split_once("://") else {
        return uri.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, hosts)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{hosts}{tail}")
        }
        None => uri.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redacts_passwords_only() {
        assert_eq!(redact("mongodb://127.0.0.1:27017"), "mongodb://127.0.0.1:27017");
        assert_eq!(redact("mongodb://bob:s3cret@db:27017/x?tls=true"), "mongodb://bob:***@db:27017/x?tls=true");
    }
}
