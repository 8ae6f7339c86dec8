//! The search service's settings, from environment variables with
//! documented defaults.
//!
//! Besides what every service reads ([`Common`]: `HOST`, `PORT` 5003,
//! `MONGODB_URI`, `MONGODB_DB` `reddit_search`, `DB_TIMEOUT_MS`), search
//! reads its default page size and the largest request body it accepts
//! (sync's batches are the only large bodies it gets).

use kit::settings::{Common, Env, SettingsError};

/// The default port of the search service.
pub const DEFAULT_PORT: u16 = 5003;
/// The search service's own database.
pub const DEFAULT_DB: &str = "reddit_search";
/// The default of `PAGE_SIZE`.
pub const DEFAULT_PAGE_SIZE: u64 = 20;
/// The largest page a client may ask for (`max_results`), and so the
/// largest `PAGE_SIZE`.
pub const MAX_RESULTS: u64 = 50;
/// The default of `MAX_BODY_BYTES`: 4 MiB, room for a batch of
/// `kit::sync::MAX_BATCH` posts with long titles.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 4 * 1024 * 1024;
/// The smallest `MAX_BODY_BYTES` accepted: 64 KiB (less would refuse
/// ordinary sync batches).
pub const MIN_MAX_BODY_BYTES: u64 = 64 * 1024;
/// The largest `MAX_BODY_BYTES` accepted: 64 MiB.
pub const MAX_MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;

/// Everything the search service reads at startup.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Where to listen and which database is ours.
    pub common: Common,
    /// `PAGE_SIZE`: the results per page when a request gives no
    /// `max_results` (default 20, from 1 to [`MAX_RESULTS`]).
    pub page_size: u32,
    /// `MAX_BODY_BYTES`: the largest request body (default 4 MiB, from
    /// 64 KiB to 64 MiB); larger ones get 413.
    pub max_body_bytes: usize,
}

impl Settings {
    /// Reads the settings from `env` (`Env::process()` for the real
    /// environment), refusing unusable values with the variable's name.
    pub fn read<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, SettingsError> {
        Ok(Self {
            common: Common::read(env, DEFAULT_PORT, DEFAULT_DB)?,
            page_size: env.number("PAGE_SIZE", DEFAULT_PAGE_SIZE, 1, MAX_RESULTS)? as u32,
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
        assert_eq!((s.common.host.as_str(), s.common.port), ("127.0.0.1", 5003));
        assert_eq!(s.common.mongodb_db, "reddit_search");
        assert_eq!(s.common.mongodb_uri, "mongodb://127.0.0.1:27017");
        assert_eq!(s.page_size, 20);
        assert_eq!(s.max_body_bytes, 4 * 1024 * 1024);
    }

    #[test]
    fn values_in_range_are_taken() {
        let s = Settings::read(&env(&[("PAGE_SIZE", "50"), ("MAX_BODY_BYTES", "65536"), ("PORT", "0")])).unwrap();
        assert_eq!((s.page_size, s.max_body_bytes, s.common.port), (50, 65_536, 0));
    }

    #[test]
    fn values_out_of_range_are_refused_by_name() {
        for (name, value) in [
            ("PAGE_SIZE", "0"),
            ("PAGE_SIZE", "51"),
            ("PAGE_SIZE", "ten"),
            ("MAX_BODY_BYTES", "1024"),
            ("MAX_BODY_BYTES", "1000000000"),
            ("PORT", "70000"),
            ("DB_TIMEOUT_MS", "1"),
        ] {
            let err = Settings::read(&env(&[(name, value)])).unwrap_err();
            assert_eq!(err.name, name, "{name}={value}");
        }
    }
}
