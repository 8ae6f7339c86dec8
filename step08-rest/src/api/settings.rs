//! The API program's configuration, read once from environment variables.
//!
//! The names are the workshop's (`MONGODB_URI`, `MONGODB_DB`, `HOST`,
//! `PORT`); `DOMAIN` chooses the domain file, `CORS_ORIGINS` the browser
//! origins that may call the API. Every value has a documented default.

use std::{path::PathBuf, time::Duration};

use crate::settings::readers;
pub use crate::settings::SettingsError;

/// The reddit domain shipped with the crate, the default `DOMAIN`.
pub const DEFAULT_DOMAIN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/domains/reddit.toml");

/// Everything the API can be configured with.
#[derive(Clone, Debug)]
pub struct ApiSettings {
    /// `HOST`: the address to bind (default `127.0.0.1`).
    pub host: String,
    /// `PORT`: the port to bind (default `5002`, the workshop's; `0` picks a free one).
    pub port: u16,
    /// `MONGODB_URI` (default `mongodb://127.0.0.1:27017`).
    pub mongodb_uri: String,
    /// `MONGODB_DB`: the database name (default `reddit`).
    pub mongodb_db: String,
    /// `DOMAIN`: the domain file (default `domains/reddit.toml` of this crate).
    pub domain: PathBuf,
    /// `CORS_ORIGINS`: comma-separated origins allowed to call the API from
    /// a browser (default the web front: `http://127.0.0.1:5000,http://localhost:5000`);
    /// `*` allows any origin.
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
}

impl ApiSettings {
    /// Reads the settings from the environment, applying the defaults.
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings from any name → value lookup (the tests use a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let (text, number) = readers(&get);
        let cors_origins = text("CORS_ORIGINS", "http://127.0.0.1:5000,http://localhost:5000")
            .split(',')
            .map(|o| o.trim().trim_end_matches('/').to_owned())
            .filter(|o| !o.is_empty())
            .collect();
        Ok(Self {
            host: text("HOST", "127.0.0.1"),
            port: number("PORT", 5002, 0, u16::MAX.into())? as u16,
            mongodb_uri: text("MONGODB_URI", "mongodb://127.0.0.1:27017"),
            mongodb_db: text("MONGODB_DB", "reddit"),
            domain: PathBuf::from(text("DOMAIN", DEFAULT_DOMAIN)),
            cors_origins,
            db_timeout: Duration::from_millis(number("DB_TIMEOUT_MS", 2_000, 100, 60_000)?),
            max_body_bytes: number("MAX_BODY_BYTES", 1 << 20, 1024, 64 << 20)? as usize,
            max_bulk_documents: number("MAX_BULK_DOCUMENTS", 100, 1, 10_000)? as usize,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from(pairs: &[(&str, &str)]) -> Result<ApiSettings, SettingsError> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        ApiSettings::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_match_the_documented_values() {
        let s = from(&[]).unwrap();
        assert_eq!((s.host.as_str(), s.port), ("127.0.0.1", 5002));
        assert_eq!(s.mongodb_db, "reddit");
        assert!(s.domain.ends_with("domains/reddit.toml"));
        assert_eq!(s.cors_origins, ["http://127.0.0.1:5000", "http://localhost:5000"]);
        assert_eq!((s.max_body_bytes, s.max_bulk_documents), (1 << 20, 100));
    }

    #[test]
    fn bad_values_are_refused_with_the_setting_named() {
        assert!(from(&[("PORT", "x")]).unwrap_err().to_string().contains("PORT"));
        assert!(from(&[("MAX_BODY_BYTES", "10")]).is_err());
        assert_eq!(from(&[("CORS_ORIGINS", "*")]).unwrap().cors_origins, ["*"]);
    }
}
