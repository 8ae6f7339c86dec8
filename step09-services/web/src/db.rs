//! The web front's own MongoDB data: `users` (one per username) and
//! `sessions` (see [`crate::session_store`]).
//!
//! Posts, tags, search and recommendations moved behind the REST API (see
//! [`crate::api_client`]); what stays here belongs to the web front alone.
//! The indexes are created at startup, idempotently.

use mongodb::{
    bson::{doc, DateTime, Document},
    error::ErrorKind,
    options::ClientOptions,
    Client, Collection, Database,
};

use crate::settings::Settings;

/// The database handle with one typed handle per collection.
#[derive(Clone)]
pub struct Db {
    database: Database,
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
    /// even while MongoDB is down.
    pub async fn connect(settings: &Settings) -> mongodb::error::Result<Self> {
        let mut options = ClientOptions::parse(&settings.mongodb_uri).await?;
        options.app_name = Some("step08-web".into());
        // A request waits at most this long for a server before we answer 503.
        options.server_selection_timeout = Some(settings.db_timeout);
        options.connect_timeout = Some(settings.db_timeout);
        let client = Client::with_options(options)?;
        Ok(Self::new(client.database(&settings.mongodb_db)))
    }

    /// Wraps an existing database handle.
    pub fn new(database: Database) -> Self {
        Self { users: database.collection("users"), database }
    }

    /// The underlying database (the session store shares it).
    pub fn database(&self) -> &Database {
        &self.database
    }

    /// A round trip to the server: `Ok` when MongoDB answers.
    pub async fn ping(&self) -> mongodb::error::Result<()> {
        self.database.run_command(doc! { "ping": 1 }).await.map(|_| ())
    }

    /// Creates the indexes the web front's own collections need. Idempotent.
    pub async fn ensure_indexes(&self) -> mongodb::error::Result<()> {
        crate::session_store::ensure_indexes(&self.database).await
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
