//! The recommend service's settings, read from the environment.
//!
//! The common ones (`HOST`, `PORT` 5004, `MONGODB_URI`, `MONGODB_DB`
//! `reddit_recommend`, `DB_TIMEOUT_MS`) come from the kit; this service adds
//! how often it looks for changes another instance applied, and the body
//! limit of `POST /sync/apply`.

use std::time::Duration;

use kit::settings::{Common, Env, SettingsError};

/// The service's default port.
pub const DEFAULT_PORT: u16 = 5004;
/// The service's own database.
pub const DEFAULT_DB: &str = "reddit_recommend";
/// `REFRESH_MS` default: how often the store's checkpoint is polled.
pub const DEFAULT_REFRESH_MS: u64 = 1_000;
/// `MAX_BODY_BYTES` default: a sync batch of 500 posts fits with room.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 4 * 1024 * 1024;

/// Everything the service reads at startup.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Where to listen and the service's own database.
    pub common: Common,
    /// `REFRESH_MS` (10 to 600,000; default 1,000): how often an instance
    /// checks whether its store changed, for batches another instance
    /// applied (its own batches reload the candidates at once).
    pub refresh: Duration,
    /// `MAX_BODY_BYTES` (1 KiB to 64 MiB; default 4 MiB): the largest
    /// request body (a sync batch).
    pub max_body_bytes: usize,
}

impl Settings {
    /// Reads the settings through `env`.
    pub fn read<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, SettingsError> {
        Ok(Self {
            common: Common::read(env, DEFAULT_PORT, DEFAULT_DB)?,
            refresh: env.millis("REFRESH_MS", DEFAULT_REFRESH_MS, 10, 600_000)?,
            max_body_bytes: env.number("MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, 1024, 64 * 1024 * 1024)? as usize,
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

    fn read(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        Settings::read(&kit::settings::pairs(vars))
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let s = read(&[]).unwrap();
        assert_eq!((s.common.port, s.common.mongodb_db.as_str()), (5004, "reddit_recommend"));
        assert_eq!(s.refresh, Duration::from_millis(1_000));
        assert_eq!(s.max_body_bytes, 4 * 1024 * 1024);
    }

    #[test]
    fn values_are_read_and_checked() {
        let s = read(&[("REFRESH_MS", "50"), ("MAX_BODY_BYTES", "2048"), ("PORT", "0")]).unwrap();
        assert_eq!((s.refresh, s.max_body_bytes, s.common.port), (Duration::from_millis(50), 2048, 0));
        for (name, bad) in [("REFRESH_MS", "0"), ("REFRESH_MS", "x"), ("MAX_BODY_BYTES", "10"), ("PORT", "70000")] {
            let err = read(&[(name, bad)]).unwrap_err();
            assert_eq!(err.name, name);
        }
    }
}
