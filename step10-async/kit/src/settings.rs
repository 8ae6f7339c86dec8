//! Reading settings from environment variables, with defaults and limits.
//!
//! Every service has its own typed `Settings` (in its own crate); this
//! module is the reader they share, so that a bad value is refused the same
//! way everywhere: with the variable's name and what was expected.

use std::time::Duration;

/// A setting that is present but unusable.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting {name}={value:?}: {reason}")]
pub struct SettingsError {
    /// The variable.
    pub name: &'static str,
    /// What it held.
    pub value: String,
    /// What was expected.
    pub reason: &'static str,
}

/// A name → value lookup (the environment, or a map in tests).
pub struct Env<F>(pub F);

impl Env<fn(&str) -> Option<String>> {
    /// The process environment.
    pub fn process() -> Self {
        Env(|name| std::env::var(name).ok())
    }
}

/// A fixed set of variables (the tests' environment).
pub fn pairs(pairs: &[(&str, &str)]) -> Env<impl Fn(&str) -> Option<String>> {
    let map: std::collections::HashMap<String, String> =
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Env(move |name: &str| map.get(name).cloned())
}

impl<F: Fn(&str) -> Option<String>> Env<F> {
    /// The value, or `default`.
    pub fn text(&self, name: &str, default: &str) -> String {
        (self.0)(name).unwrap_or_else(|| default.to_owned())
    }

    /// A whole number from `min` to `max`, or `default`.
    pub fn number(&self, name: &'static str, default: u64, min: u64, max: u64) -> Result<u64, SettingsError> {
        match (self.0)(name) {
            None => Ok(default),
            Some(value) => match value.trim().parse::<u64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(SettingsError { name, value, reason: "expected a whole number in range" }),
            },
        }
    }

    /// A duration in milliseconds (`*_MS` variables).
    pub fn millis(&self, name: &'static str, default: u64, min: u64, max: u64) -> Result<Duration, SettingsError> {
        self.number(name, default, min, max).map(Duration::from_millis)
    }

    /// `SIMULATED_LATENCY_MS` (default 0, at most [`crate::latency::MAX_MS`]).
    pub fn simulated_latency(&self) -> Result<Duration, SettingsError> {
        self.millis(crate::latency::SETTING, 0, 0, crate::latency::MAX_MS)
    }

    /// A port (`0` picks a free one).
    pub fn port(&self, default: u16) -> Result<u16, SettingsError> {
        self.number("PORT", default.into(), 0, u16::MAX.into()).map(|p| p as u16)
    }

    /// The base URLs of a service's instances, comma-separated
    /// (`http://127.0.0.1:5003,http://127.0.0.1:5103`), without a trailing
    /// `/`. At least one; each must be an `http://` or `https://` URL.
    pub fn urls(&self, name: &'static str, default: &str) -> Result<Vec<String>, SettingsError> {
        let value = self.text(name, default);
        let urls: Vec<String> =
            value.split(',').map(|u| u.trim().trim_end_matches('/').to_owned()).filter(|u| !u.is_empty()).collect();
        let valid = |u: &String| {
            u.strip_prefix("http://").or_else(|| u.strip_prefix("https://")).is_some_and(|rest| !rest.is_empty())
        };
        if urls.is_empty() || !urls.iter().all(valid) {
            return Err(SettingsError { name, value, reason: "expected http:// URLs separated by commas" });
        }
        Ok(urls)
    }
}

/// What every service reads: where to listen and its own database.
#[derive(Clone, Debug)]
pub struct Common {
    /// `HOST`: the address to bind (default `127.0.0.1`).
    pub host: String,
    /// `PORT`: the port to bind (the service's default; `0` picks a free one).
    pub port: u16,
    /// `MONGODB_URI` (default `mongodb://127.0.0.1:27017`).
    pub mongodb_uri: String,
    /// `MONGODB_DB`: the service's own database (default `reddit_<service>`).
    pub mongodb_db: String,
    /// `DB_TIMEOUT_MS`: how long a request waits to reach MongoDB before the
    /// service answers 503 (default 2,000 ms).
    pub db_timeout: Duration,
    /// `SIMULATED_LATENCY_MS`: a delay added to every request but
    /// `/health/*`, for teaching and tests (default 0, off; at most
    /// 60,000 ms; see [`crate::latency`]).
    pub simulated_latency: Duration,
}

impl Common {
    /// Reads the common settings with the service's default port and database.
    pub fn read<F: Fn(&str) -> Option<String>>(env: &Env<F>, port: u16, database: &str) -> Result<Self, SettingsError> {
        Ok(Self {
            host: env.text("HOST", "127.0.0.1"),
            port: env.port(port)?,
            mongodb_uri: env.text("MONGODB_URI", "mongodb://127.0.0.1:27017"),
            mongodb_db: env.text("MONGODB_DB", database),
            db_timeout: env.millis("DB_TIMEOUT_MS", 2_000, 100, 60_000)?,
            simulated_latency: env.simulated_latency()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> Env<impl Fn(&str) -> Option<String>> {
        pairs(vars)
    }

    #[test]
    fn instance_lists_are_split_and_checked() {
        let e = env(&[("SEARCH_URL", "http://a:5003/, http://b:5103")]);
        assert_eq!(e.urls("SEARCH_URL", "").unwrap(), ["http://a:5003", "http://b:5103"]);
        assert_eq!(env(&[]).urls("SEARCH_URL", "http://127.0.0.1:5003").unwrap(), ["http://127.0.0.1:5003"]);
        for bad in ["", ",", "a:5003", "http://", "ftp://x"] {
            let err = env(&[("SEARCH_URL", bad)]).urls("SEARCH_URL", "http://x").unwrap_err();
            assert_eq!(err.name, "SEARCH_URL", "{bad}");
        }
    }

    #[test]
    fn common_settings_have_the_service_defaults() {
        let c = Common::read(&env(&[]), 5003, "reddit_search").unwrap();
        assert_eq!((c.host.as_str(), c.port, c.mongodb_db.as_str()), ("127.0.0.1", 5003, "reddit_search"));
        assert_eq!(c.mongodb_uri, "mongodb://127.0.0.1:27017");
        assert!(Common::read(&env(&[("PORT", "x")]), 5003, "d").is_err());
        assert!(Common::read(&env(&[("DB_TIMEOUT_MS", "5")]), 5003, "d").is_err());
        assert_eq!(c.simulated_latency, Duration::ZERO);
        let slow = Common::read(&env(&[("SIMULATED_LATENCY_MS", "150")]), 5003, "d").unwrap();
        assert_eq!(slow.simulated_latency, Duration::from_millis(150));
        for bad in ["60001", "-5", "1.5"] {
            let err = Common::read(&env(&[("SIMULATED_LATENCY_MS", bad)]), 5003, "d").unwrap_err();
            assert_eq!(err.name, "SIMULATED_LATENCY_MS", "{bad}");
        }
    }
}
