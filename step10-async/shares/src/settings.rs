//! The shares service's settings, from environment variables with
//! documented defaults.
//!
//! Besides what every service reads ([`Common`]: `HOST`, `PORT` 5008,
//! `MONGODB_URI`, `MONGODB_DB` `reddit_shares`, `DB_TIMEOUT_MS`), shares
//! reads where the posts service is (it checks that a shared post exists),
//! how long a call to it may take, and the largest request body it
//! accepts. `RUST_LOG` is read by the kit's logging.

use std::time::Duration;

use kit::settings::{Common, Env, SettingsError};

/// The default port of the shares service.
pub const DEFAULT_PORT: u16 = 5008;
/// The shares service's own database.
pub const DEFAULT_DB: &str = "reddit_shares";
/// The default of `MAX_BODY_BYTES`: 16 KiB (a share is two short fields).
pub const DEFAULT_MAX_BODY_BYTES: u64 = 16 * 1024;
/// The smallest `MAX_BODY_BYTES` accepted: 1 KiB.
pub const MIN_MAX_BODY_BYTES: u64 = 1024;
/// The largest `MAX_BODY_BYTES` accepted: 1 MiB.
pub const MAX_MAX_BODY_BYTES: u64 = 1024 * 1024;

/// Everything the shares service reads at startup.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Where to listen and which database is ours.
    pub common: Common,
    /// `POSTS_URL`: the posts service's instances, comma-separated
    /// (default `http://127.0.0.1:5002`).
    pub posts: Vec<String>,
    /// `POSTS_TIMEOUT_MS`: the whole-call timeout of a call to posts
    /// (default 2,000 ms, from 100 ms to 60 s).
    pub posts_timeout: Duration,
    /// `MAX_BODY_BYTES`: the largest request body (default 16 KiB, from
    /// 1 KiB to 1 MiB); larger ones get 413.
    pub max_body_bytes: usize,
}

impl Settings {
    /// Reads the settings from `env` (`Env::process()` for the real
    /// environment), refusing unusable values with the variable's name.
    pub fn read<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, SettingsError> {
        Ok(Self {
            common: Common::read(env, DEFAULT_PORT, DEFAULT_DB)?,
            posts: env.urls("POSTS_URL", "http://127.0.0.1:5002")?,
            posts_timeout: env.millis("POSTS_TIMEOUT_MS", 2_000, 100, 60_000)?,
            max_body_bytes: env.number(
                "MAX_BODY_BYTES",
                DEFAULT_MAX_BODY_BYTES,
                MIN_MAX_BODY_BYTES,
                MAX_MAX_BODY_BYTES,
            )? as usize,
        })
    }

    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::read(&Env::process())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kit::settings::pairs as env;

    #[test]
    fn defaults_are_the_documented_ones() {
        let s = Settings::read(&env(&[])).unwrap();
        assert_eq!((s.common.host.as_str(), s.common.port), ("127.0.0.1", 5008));
        assert_eq!(s.common.mongodb_db, "reddit_shares");
        assert_eq!(s.posts, ["http://127.0.0.1:5002"]);
        assert_eq!(s.posts_timeout, Duration::from_secs(2));
        assert_eq!(s.max_body_bytes, 16 * 1024);
    }

    #[test]
    fn values_out_of_range_are_refused_by_name() {
        for (name, value) in
            [("MAX_BODY_BYTES", "10"), ("POSTS_URL", "ftp://x"), ("POSTS_TIMEOUT_MS", "1"), ("PORT", "x")]
        {
            let err = Settings::read(&env(&[(name, value)])).unwrap_err();
            assert_eq!(err.name, name, "{name}={value}");
        }
    }
}
