//! Sessions kept in MongoDB, as the workshop's Flask session interface did.
//!
//! `actix-session` does the cookie work (an encrypted, signed, HttpOnly,
//! SameSite=Lax cookie that holds only a random key); this store keeps the
//! state under that key in the `sessions` collection:
//! `{_id: key, state: {name: json}, expires_at: Date}`. A TTL index on
//! `expires_at` lets MongoDB delete expired sessions, and every read also
//! checks `expires_at`, because a TTL monitor runs only once a minute (and
//! MongoDB-compatible servers may not run one at all).
//!
//! Lifetimes: the cookie may live as long as a "remember me" login
//! (`REMEMBER_TTL_SECS`), but the server-side state of a session without the
//! [`REMEMBER_KEY`] flag expires after `SESSION_TTL_SECS`. The state is the
//! authority: once it is gone, the cookie is worthless.

use std::{collections::HashMap, time::Duration};

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration as CookieDuration;
use mongodb::{
    bson::{doc, DateTime, Document},
    options::IndexOptions,
    Collection, Database, IndexModel,
};
use rand::distr::{Alphanumeric, SampleString};

/// The session entry that marks a "remember me" login.
pub const REMEMBER_KEY: &str = "remember";

type SessionState = HashMap<String, String>;

/// A [`SessionStore`] backed by the `sessions` collection.
#[derive(Clone)]
pub struct MongoSessionStore {
    sessions: Collection<Document>,
    short_ttl: Duration,
}

/// Creates the TTL index on `sessions.expires_at`. Idempotent.
pub async fn ensure_indexes(database: &Database) -> mongodb::error::Result<()> {
    let ttl = IndexOptions::builder().expire_after(Duration::ZERO).build();
    database
        .collection::<Document>("sessions")
        .create_index(IndexModel::builder().keys(doc! { "expires_at": 1 }).options(ttl).build())
        .await
        .map(|_| ())
}

impl MongoSessionStore {
    /// A store in `database`; sessions without [`REMEMBER_KEY`] live at most
    /// `short_ttl`.
    pub fn new(database: &Database, short_ttl: Duration) -> Self {
        Self { sessions: database.collection("sessions"), short_ttl }
    }

    /// When a session with this state expires.
    fn expires_at(&self, state: &SessionState, ttl: &CookieDuration) -> DateTime {
        let long = Duration::try_from(*ttl).unwrap_or(self.short_ttl);
        let ttl = if state.contains_key(REMEMBER_KEY) { long } else { long.min(self.short_ttl) };
        DateTime::from_system_time(std::time::SystemTime::now() + ttl)
    }

    /// The stored form of a session.
    fn document(&self, key: &str, state: SessionState, ttl: &CookieDuration) -> Document {
        let expires_at = self.expires_at(&state, ttl);
        let state: Document = state.into_iter().map(|(k, v)| (k, v.into())).collect();
        doc! { "_id": key, "state": state, "expires_at": expires_at }
    }
}

impl SessionStore for MongoSessionStore {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<SessionState>, LoadError> {
        let found = self
            .sessions
            .find_one(doc! { "_id": session_key.as_ref(), "expires_at": { "$gt": DateTime::now() } })
            .await;
        let document = found.map_err(|e| LoadError::Other(e.into()))?;
        let Some(document) = document else { return Ok(None) };
        let state = document
            .get_document("state")
            .map_err(|e| LoadError::Deserialization(e.into()))?
            .iter()
            .map(|(k, v)| match v.as_str() {
                Some(s) => Ok((k.clone(), s.to_owned())),
                None => Err(LoadError::Deserialization(anyhow::anyhow!("session entry {k} is not a string"))),
            })
            .collect::<Result<SessionState, _>>()?;
        Ok(Some(state))
    }

    async fn save(&self, session_state: SessionState, ttl: &CookieDuration) -> Result<SessionKey, SaveError> {
        let key = Alphanumeric.sample_string(&mut rand::rng(), 64);
        // An insert, not an upsert: a (vanishingly unlikely) key collision
        // fails instead of taking over another visitor's session.
        self.sessions
            .insert_one(self.document(&key, session_state, ttl))
            .await
            .map_err(|e| SaveError::Other(e.into()))?;
        SessionKey::try_from(key).map_err(|e| SaveError::Other(e.into()))
    }

    async fn update(
        &self,
        session_key: SessionKey,
        session_state: SessionState,
        ttl: &CookieDuration,
    ) -> Result<SessionKey, UpdateError> {
        let key = session_key.as_ref();
        self.sessions
            .replace_one(doc! { "_id": key }, self.document(key, session_state, ttl))
            .upsert(true)
            .await
            .map_err(|e| UpdateError::Other(e.into()))?;
        Ok(session_key)
    }

    async fn update_ttl(&self, session_key: &SessionKey, ttl: &CookieDuration) -> Result<(), anyhow::Error> {
        // Only the expiry moves; the remember flag decides how far.
        let Some(state) = self.load(session_key).await? else { return Ok(()) };
        let expires_at = self.expires_at(&state, ttl);
        self.sessions
            .update_one(doc! { "_id": session_key.as_ref() }, doc! { "$set": { "expires_at": expires_at } })
            .await?;
        Ok(())
    }

    async fn delete(&self, session_key: &SessionKey) -> Result<(), anyhow::Error> {
        self.sessions.delete_one(doc! { "_id": session_key.as_ref() }).await?;
        Ok(())
    }
}
