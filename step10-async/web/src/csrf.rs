//! CSRF protection with the synchronizer-token pattern.
//!
//! A random token is kept in the session and rendered into every form that
//! changes state (login, logout, tags); the handler compares the submitted
//! token with the session's in constant time. A cross-site page can make the
//! browser send the session cookie (SameSite=Lax already stops most such
//! POSTs) but it cannot read the token.

use actix_session::Session;
use rand::distr::{Alphanumeric, SampleString};
use subtle::ConstantTimeEq;

use crate::{db::Db, error::AppError};

/// The session entry and the form field that hold the token.
pub const CSRF_KEY: &str = "csrf_token";

/// The session's token, if it has one (forms on pages for logged-in users).
pub fn existing(session: &Session) -> Option<String> {
    session.get::<String>(CSRF_KEY).ok().flatten()
}

/// The session's token, creating one if needed (the login form, which
/// anonymous visitors see: this is what gives them a session).
pub fn token(session: &Session) -> Result<String, AppError> {
    if let Some(token) = existing(session) {
        return Ok(token);
    }
    let token = Alphanumeric.sample_string(&mut rand::rng(), 32);
    session.insert(CSRF_KEY, &token).map_err(|e| AppError::Unexpected(anyhow::anyhow!("{e}")))?;
    Ok(token)
}

/// Checks a submitted token against the session's.
///
/// A session that cannot be read because MongoDB is down looks like a
/// session without a token; in that case the visitor is told the database is
/// unavailable (503) rather than that their form is forged (403).
pub async fn verify(session: &Session, submitted: &str, db: &Db) -> Result<(), AppError> {
    if let Some(expected) = existing(session) {
        if bool::from(expected.as_bytes().ct_eq(submitted.as_bytes())) {
            return Ok(());
        }
    }
    db.ping().await?;
    Err(AppError::Forbidden(
        "This form has expired or did not come from this site. Please reload the page and try again.".into(),
    ))
}
