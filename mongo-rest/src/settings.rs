//! The API's configuration, read once from environment variables.
//!
//! The names are the ones a MongoDB service usually reads (`MONGODB_URI`,
//! `MONGODB_DB`, `HOST`, `PORT`); `DOMAIN` chooses the domain file,
//! `CORS_ORIGINS` the browser origins that may call the API. Every value has
//! a documented default. A service embedding the engine with defaults of its
//! own layers them over the environment: [`Settings::from_lookup`] takes any
//! name → value lookup.

use std::{path::PathBuf, time::Duration};

/// The default `DOMAIN`: `domain.toml` in the working directory.
pub const DEFAULT_DOMAIN: &str = "domain.toml";

/// A setting that is present but unusable.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting {name}={value:?}: {reason}")]
pub struct SettingsError {
    name: &'static str,
    value: String,
    reason: &'static str,
}

/// Everything the API can be configured with.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `HOST`: the address to bind (default `127.0.0.1`).
    pub host: String,
    /// `PORT`: the port to bind (default `5002`; `0` picks a free one).
    pub port: u16,
    /// `MONGODB_URI` (default `mongodb://127.0.0.1:27017`).
    pub mongodb_uri: String,
    /// `MONGODB_DB`: the database name (default `mongo_rest`).
    pub mongodb_db: String,
    /// `APP_NAME`: the name the API gives itself in MongoDB's logs and
    /// `currentOp` (default `mongo-rest`).
    pub app_name: String,
    /// `DOMAIN`: the domain file (default `domain.toml` in the working
    /// directory).
    pub domain: PathBuf,
    /// `CORS_ORIGINS`: comma-separated origins allowed to call the API from
    /// a browser (default none: same-origin only); `*` allows any origin.
    pub cors_origins: Vec<String>,
    /// `DB_TIMEOUT_MS`: how long a request waits to reach MongoDB before
    /// the API answers 503 (default 2,000 ms).
    pub db_timeout: Duration,
    /// `MAX_BODY_BYTES`: the largest request body (default 1 MiB); larger
    /// bodies get 413.
    pub max_body_bytes: usize,
    /// `MAX_BULK_DOCUMENTS`: the most documents one `POST` may carry
    /// (default 100); more get 422.
    pub max_bulk_documents: usize,
    /// `SIMULATED_LATENCY_MS`: a delay added to every request but
    /// `/health/*`, for teaching and tests (default 0, off; at most
    /// 60,000 ms; see [`crate::latency`]).
    pub simulated_latency: Duration,
}

impl Settings {
    /// Reads the settings from the environment, applying the defaults.
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings from any name → value lookup (the tests use a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let text = |name: &str, default: &str| get(name).unwrap_or_else(|| default.to_owned());
        let number = |name: &'static str, default: u64, min: u64, max: u64| -> Result<u64, SettingsError> {
            match get(name) {
                None => Ok(default),
                Some(value) => match value.trim().parse::<u64>() {
                    Ok(n) if (min..=max).contains(&n) => Ok(n),
                    _ => Err(SettingsError { name, value, reason: "expected a whole number in range" }),
                },
            }
        };
        let cors_origins = text("CORS_ORIGINS", "")
            .split(',')
            .map(|o| o.trim().trim_end_matches('/').to_owned())
            .filter(|o| !o.is_empty())
            .collect();
        Ok(Self {
            host: text("HOST", "127.0.0.1"),
            port: number("PORT", 5002, 0, u16::MAX.into())? as u16,
            mongodb_uri: text("MONGODB_URI", "mongodb://127.0.0.1:27017"),
            mongodb_db: text("MONGODB_DB", "mongo_rest"),
            app_name: text("APP_NAME", "mongo-rest"),
            domain: PathBuf::from(text("DOMAIN", DEFAULT_DOMAIN)),
            cors_origins,
            db_timeout: Duration::from_millis(number("DB_TIMEOUT_MS", 2_000, 100, 60_000)?),
            max_body_bytes: number("MAX_BODY_BYTES", 1 << 20, 1024, 64 << 20)? as usize,
            max_bulk_documents: number("MAX_BULK_DOCUMENTS", 100, 1, 10_000)? as usize,
            simulated_latency: Duration::from_millis(number(crate::latency::SETTING, 0, 0, crate::latency::MAX_MS)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from(pairs: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_match_the_documented_values() {
        let s = from(&[]).unwrap();
        assert_eq!((s.host.as_str(), s.port), ("127.0.0.1", 5002));
        assert_eq!((s.mongodb_db.as_str(), s.app_name.as_str()), ("mongo_rest", "mongo-rest"));
        assert_eq!(s.domain, PathBuf::from("domain.toml"));
        assert!(s.cors_origins.is_empty());
        assert_eq!((s.max_body_bytes, s.max_bulk_documents), (1 << 20, 100));
        assert_eq!(s.simulated_latency, Duration::ZERO);
    }

    #[test]
    fn bad_values_are_refused_with_the_setting_named() {
        assert!(from(&[("PORT", "x")]).unwrap_err().to_string().contains("PORT"));
        assert!(from(&[("MAX_BODY_BYTES", "10")]).is_err());
        assert_eq!(from(&[("SIMULATED_LATENCY_MS", "150")]).unwrap().simulated_latency, Duration::from_millis(150));
        for bad in ["60001", "-1", "soon"] {
            let err = from(&[("SIMULATED_LATENCY_MS", bad)]).unwrap_err();
            assert_eq!(err.name, "SIMULATED_LATENCY_MS", "{bad}");
        }
        assert_eq!(from(&[("CORS_ORIGINS", "*")]).unwrap().cors_origins, ["*"]);
        let two = from(&[("CORS_ORIGINS", "http://a.test/, http://b.test")]).unwrap().cors_origins;
        assert_eq!(two, ["http://a.test", "http://b.test"]);
    }
}
