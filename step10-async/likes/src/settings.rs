//! The likes service's settings, from environment variables with
//! documented defaults.
//!
//! Besides what every service reads ([`Common`]: `HOST`, `PORT` 5007,
//! `MONGODB_URI`, `MONGODB_DB` `reddit_likes`, `DB_TIMEOUT_MS`), likes
//! reads the largest request body it accepts (its writes have no body:
//! the limit only bounds what a client may send anyway). `RUST_LOG` is
//! read by the kit's logging.

use kit::settings::{Common, Env, SettingsError};

/// The default port of the likes service.
pub const DEFAULT_PORT: u16 = 5007;
/// The likes service's own database.
pub const DEFAULT_DB: &str = "reddit_likes";
/// The default of `MAX_BODY_BYTES`: 16 KiB.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 16 * 1024;
/// The smallest `MAX_BODY_BYTES` accepted: 1 KiB.
pub const MIN_MAX_BODY_BYTES: u64 = 1024;
/// The largest `MAX_BODY_BYTES` accepted: 1 MiB.
pub const MAX_MAX_BODY_BYTES: u64 = 1024 * 1024;

/// Everything the likes service reads at startup.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Where to listen and which database is ours.
    pub common: Common,
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
        assert_eq!((s.common.host.as_str(), s.common.port), ("127.0.0.1", 5007));
        assert_eq!(s.common.mongodb_db, "reddit_likes");
        assert_eq!(s.max_body_bytes, 16 * 1024);
    }

    #[test]
    fn values_out_of_range_are_refused_by_name() {
        for (name, value) in [("MAX_BODY_BYTES", "10"), ("MAX_BODY_BYTES", "9999999"), ("PORT", "x")] {
            let err = Settings::read(&env(&[(name, value)])).unwrap_err();
            assert_eq!(err.name, name, "{name}={value}");
        }
        assert_eq!(Settings::read(&env(&[("MAX_BODY_BYTES", "2048")])).unwrap().max_body_bytes, 2048);
    }
}
