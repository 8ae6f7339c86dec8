//! The hide service's settings, from environment variables with
//! documented defaults.
//!
//! Besides what every service reads ([`Common`]: `HOST`, `PORT` 5009,
//! `MONGODB_URI`, `MONGODB_DB` `reddit_hide`, `DB_TIMEOUT_MS`,
//! `SIMULATED_LATENCY_MS`), hide reads the most posts one user may hide and
//! the largest request body it accepts (its writes have no body at all).

use kit::settings::{Common, Env, SettingsError};

/// The default port of the hide service.
pub const DEFAULT_PORT: u16 = 5009;
/// The hide service's own database.
pub const DEFAULT_DB: &str = "reddit_hide";
/// The default of `MAX_HIDDEN_PER_USER`.
pub const DEFAULT_MAX_HIDDEN: u64 = 1_000;
/// The largest `MAX_HIDDEN_PER_USER` accepted: every list the web front
/// shows sends the whole list of a user's hidden posts, so it stays small.
pub const MAX_MAX_HIDDEN: u64 = 10_000;
/// The default of `MAX_BODY_BYTES`: 16 KiB (`PUT` and `DELETE` carry no
/// body; this only bounds what a confused client sends).
pub const DEFAULT_MAX_BODY_BYTES: u64 = 16 * 1024;
/// The smallest `MAX_BODY_BYTES` accepted.
pub const MIN_MAX_BODY_BYTES: u64 = 1024;
/// The largest `MAX_BODY_BYTES` accepted: 1 MiB.
pub const MAX_MAX_BODY_BYTES: u64 = 1024 * 1024;

/// Everything the hide service reads at startup.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Where to listen and which database is ours.
    pub common: Common,
    /// `MAX_HIDDEN_PER_USER`: how many posts one user may hide at once
    /// (default 1,000, from 1 to 10,000). Hiding one more is a 422 until
    /// the user un-hides some.
    pub max_hidden: u32,
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
            max_hidden: env.number("MAX_HIDDEN_PER_USER", DEFAULT_MAX_HIDDEN, 1, MAX_MAX_HIDDEN)? as u32,
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
    use std::time::Duration;

    use super::*;
    use kit::settings::pairs as env;

    #[test]
    fn defaults_are_the_documented_ones() {
        let s = Settings::read(&env(&[])).unwrap();
        assert_eq!((s.common.host.as_str(), s.common.port), ("127.0.0.1", 5009));
        assert_eq!(s.common.mongodb_db, "reddit_hide");
        assert_eq!(s.common.mongodb_uri, "mongodb://127.0.0.1:27017");
        assert_eq!(s.common.simulated_latency, Duration::ZERO);
        assert_eq!(s.max_hidden, 1_000);
        assert_eq!(s.max_body_bytes, 16 * 1024);
    }

    #[test]
    fn values_in_range_are_taken() {
        let s = Settings::read(&env(&[
            ("MAX_HIDDEN_PER_USER", "3"),
            ("MAX_BODY_BYTES", "1024"),
            ("PORT", "0"),
            ("SIMULATED_LATENCY_MS", "100"),
        ]))
        .unwrap();
        assert_eq!((s.max_hidden, s.max_body_bytes, s.common.port), (3, 1024, 0));
        assert_eq!(s.common.simulated_latency, Duration::from_millis(100));
    }

    #[test]
    fn values_out_of_range_are_refused_by_name() {
        for (name, value) in [
            ("MAX_HIDDEN_PER_USER", "0"),
            ("MAX_HIDDEN_PER_USER", "10001"),
            ("MAX_BODY_BYTES", "10"),
            ("MAX_BODY_BYTES", "1000000000"),
            ("PORT", "70000"),
            ("SIMULATED_LATENCY_MS", "60001"),
            ("SIMULATED_LATENCY_MS", "soon"),
        ] {
            let err = Settings::read(&env(&[(name, value)])).unwrap_err();
            assert_eq!(err.name, name, "{name}={value}");
        }
    }
}
