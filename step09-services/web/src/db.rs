//! The web front's own MongoDB data: `users` (one per username) and
//! `sessions` (see [`crate::session_store`]).
//!
//! Posts, tags, search and recommendations belong to their services (see
//! [`crate::services`]); what stays here belongs to the web front alone.
//! The client is the kit's recording one, so that `/health/ready` can show
//! that this is the only database the web front touches.
//! The indexes are created at startup, idempotently.

use kit::mongo::Mongo;
use mongodb::{
    bson::{doc, DateTime, Document},
    error::ErrorKind,
    Collection, Database,
};

use crate::settings::Settings;

/// The database handle with one typed handle per collection.
#[derive(Clone)]
pub struct Db {
    mongo: Mongo,
    users: Collection<Document>,
}

/// Whether an error means "MongoDB cannot be reached" (answered with 503)
/// rather than "the query failed" (500).
pub fn is_unavailable(e: &mongodb::error::Error) -> bool {
    matches!(*e.kind, ErrorKind::ServerSelection { .. } | ErrorKind::Io(_) | ErrorKind::ConnectionPoolCleared { .. })
        || e.contains_label("RetryableWriteError")
}

impl Db {
    /// Builds the client. This does not connect yet: the driver connects on
    /// first use and reconnects by itself, so the app starts (and recovers)
    /// even while MongoDB is down. A request waits at most `DB_TIMEOUT_MS`
    /// for a server before we answer 503.
    pub async fn connect(settings: &Settings) -> anyhow::Result<Self> {
        let mongo =
            Mongo::connect(&settings.mongodb_uri, &settings.mongodb_db, "step09-web", settings.db_timeout).await?;
        Ok(Self { users: mongo.db.collection("users"), mongo })
    }

    /// The underlying database (the session store shares it).
    pub fn database(&self) -> &Database {
        &self.mongo.db
    }

    /// The recording client (for the databases touched).
    pub fn mongo(&self) -> &Mongo {
        &self.mongo
    }

    /// A round trip to the server: `Ok` when MongoDB answers.
    pub async fn ping(&self) -> mongodb::error::Result<()> {
        self.mongo.ping().await
    }

    /// Creates the indexes the web front's own collections need. Idempotent.
    pub async fn ensure_indexes(&self) -> mongodb::error::Result<()> {
        crate::session_store::ensure_indexes(self.database()).await
    }

    /// Records a login: creates the user on first login.
    pub async fn record_login(&self, user: &str) -> mongodb::error::Result<()> {
        let now = DateTime::now();
        self.users
            .update_one(
                doc! { "_id": user },
                doc! { "$set": { "last_login_at": now }, "$setOnInsert": { "created_at": now } },
            )
            .upsert(true)
            .await
            .map(|_| ())
    }
}
