//! Typed configuration, read once from environment variables.
//!
//! Every value has a documented default so that `cargo run` works on a fresh
//! checkout; the step's README lists them all.

use std::time::Duration;

use kit::settings::Env;

use crate::fanout::Fanout;
pub use kit::settings::SettingsError;

/// The signing/encryption key used when `SECRET_KEY` is unset. Fine on a
/// laptop, never in production: startup logs a warning when it is used.
const DEVELOPMENT_SECRET: &str = "step10-web development secret: set SECRET_KEY in production!";

/// Everything the application can be configured with.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `HOST`: the address to bind (default `127.0.0.1`).
    pub host: String,
    /// `PORT`: the port to bind (default `5000`; `0` picks a free one).
    pub port: u16,
    /// `MONGODB_URI` (default `mongodb://127.0.0.1:27017`).
    pub mongodb_uri: String,
    /// `MONGODB_DB`: the web front's own database, users and sessions only
    /// (default `reddit_web`).
    pub mongodb_db: String,
    /// `SECRET_KEY`: at least 32 bytes; the session cookie is encrypted and
    /// signed with a key derived from it.
    pub secret_key: String,
    /// `SESSION_TTL_SECS`: how long a login lasts without "remember me"
    /// (default 7,200 s = 2 h).
    pub session_ttl: Duration,
    /// `REMEMBER_TTL_SECS`: how long a "remember me" login lasts
    /// (default 2,592,000 s = 30 days).
    pub remember_ttl: Duration,
    /// `COOKIE_SECURE`: send the session cookie over HTTPS only (default
    /// `false`, since the workshop runs on plain http://127.0.0.1).
    pub cookie_secure: bool,
    /// `DB_TIMEOUT_MS`: how long a request waits to reach (select and connect
    /// to) MongoDB before the page says the database is unavailable (default
    /// 2,000 ms). It does not bound a slow query on a server that answers.
    pub db_timeout: Duration,
    /// `PAGE_SIZE`: search results per page (default 20, at most 50: the
    /// API's page limit for posts).
    pub page_size: u32,
    /// `JOBS_URL`: the jobs service's instances, where the import page
    /// submits (default `http://127.0.0.1:5010`).
    pub jobs_url: Vec<String>,
    /// `JOBS_TIMEOUT_MS`: one call to jobs, sent and read whole (default
    /// 30,000 ms, 100 to 600,000): jobs checks an uploaded file whole
    /// before it answers 202, which for a 32 MiB file takes seconds.
    pub jobs_timeout: Duration,
    /// `IMPORT_MAX_BYTES`: the largest file the import page takes (default
    /// 32 MiB, jobs' own `MAX_BODY_BYTES` default; 64 KiB to 256 MiB).
    /// Larger uploads are refused with 413 as soon as they pass it.
    pub import_max_bytes: usize,
    /// `POSTS_URL`: the posts service's instances, comma-separated
    /// (default `http://127.0.0.1:5002`).
    pub posts_url: Vec<String>,
    /// `SEARCH_URL`: the search service's instances (default
    /// `http://127.0.0.1:5003`).
    pub search_url: Vec<String>,
    /// `RECOMMEND_URL`: the recommend service's instances (default
    /// `http://127.0.0.1:5004`).
    pub recommend_url: Vec<String>,
    /// `TAGS_URL`: the tags service's instances (default
    /// `http://127.0.0.1:5005`).
    pub tags_url: Vec<String>,
    /// `SERVICE_TIMEOUT_MS`: the whole of one call to a service (connecting,
    /// sending and reading the body) before the page gives up on it
    /// (default 2,000 ms). Posts, search, recommend and tags.
    pub service_timeout: Duration,
    /// `SIMULATED_LATENCY_MS`: a delay added to every request but
    /// `/health/*`, for teaching and tests (default 0, off; at most
    /// 60,000 ms; see `kit::latency`).
    pub simulated_latency: Duration,
    /// `WORKERS`: how many worker threads serve requests (default: actix's,
    /// one per CPU; from 1 to 256). The blocking demo's throughput is
    /// capped by it.
    pub workers: Option<usize>,
    /// `LIKES_URL`: the likes service's instances (default
    /// `http://127.0.0.1:5007`).
    pub likes_url: Vec<String>,
    /// `SHARES_URL`: the shares service's instances (default
    /// `http://127.0.0.1:5008`).
    pub shares_url: Vec<String>,
    /// `HIDE_URL`: the hide service's instances (default
    /// `http://127.0.0.1:5009`).
    pub hide_url: Vec<String>,
    /// `LIKES_TIMEOUT_MS`: one call to likes (default 500 ms, 50 to
    /// 120,000): the counts decorate a page, so a page does not wait long
    /// for them (it says they are missing).
    pub likes_timeout: Duration,
    /// `SHARES_TIMEOUT_MS`: one call to shares (default 500 ms, 50 to 120,000).
    pub shares_timeout: Duration,
    /// `HIDE_TIMEOUT_MS`: one call to hide (default 500 ms, 50 to 120,000):
    /// without an answer the lists show every post, with a notice.
    pub hide_timeout: Duration,
    /// `PAGE_DEADLINE_MS`: the whole page's budget for service calls
    /// (default 3,000 ms, 100 to 120,000). A call still running when it
    /// passes is given up and the page renders with what it has (its
    /// fallback), as if that call had timed out.
    pub page_deadline: Duration,
    /// `FANOUT`: `concurrent` (default) or `sequential`, how a page waits
    /// for the calls of a round (see [`crate::fanout`]); `sequential` is a
    /// teaching switch, for comparing the two in `make bench`.
    pub fanout: Fanout,
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
        let secret_key = text("SECRET_KEY", DEVELOPMENT_SECRET);
        if secret_key.len() < 32 {
            return Err(SettingsError {
                name: "SECRET_KEY",
                value: "<hidden>".into(),
                reason: "must be at least 32 bytes long",
            });
        }
        let cookie_secure = match text("COOKIE_SECURE", "false").to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" => true,
            "0" | "false" | "no" | "" => false,
            _ => {
                return Err(SettingsError {
                    name: "COOKIE_SECURE",
                    value: text("COOKIE_SECURE", ""),
                    reason: "expected true or false",
                })
            }
        };
        let env = Env(&get);
        Ok(Self {
            host: text("HOST", "127.0.0.1"),
            port: number("PORT", 5000, 0, u16::MAX.into())? as u16,
            mongodb_uri: text("MONGODB_URI", "mongodb://127.0.0.1:27017"),
            mongodb_db: text("MONGODB_DB", "reddit_web"),
            secret_key,
            session_ttl: Duration::from_secs(number("SESSION_TTL_SECS", 7_200, 1, 31_536_000)?),
            remember_ttl: Duration::from_secs(number("REMEMBER_TTL_SECS", 2_592_000, 1, 31_536_000)?),
            cookie_secure,
            db_timeout: Duration::from_millis(number("DB_TIMEOUT_MS", 2_000, 100, 60_000)?),
            page_size: number("PAGE_SIZE", 20, 1, 50)? as u32,
            jobs_url: env.urls("JOBS_URL", "http://127.0.0.1:5010")?,
            jobs_timeout: env.millis("JOBS_TIMEOUT_MS", 30_000, 100, 600_000)?,
            import_max_bytes: number("IMPORT_MAX_BYTES", 32 << 20, 64 << 10, 256 << 20)? as usize,
            posts_url: env.urls("POSTS_URL", "http://127.0.0.1:5002")?,
            search_url: env.urls("SEARCH_URL", "http://127.0.0.1:5003")?,
            recommend_url: env.urls("RECOMMEND_URL", "http://127.0.0.1:5004")?,
            tags_url: env.urls("TAGS_URL", "http://127.0.0.1:5005")?,
            service_timeout: env.millis("SERVICE_TIMEOUT_MS", 2_000, 100, 120_000)?,
            simulated_latency: env.simulated_latency()?,
            workers: match get("WORKERS") {
                None => None,
                Some(_) => Some(number("WORKERS", 1, 1, 256)? as usize),
            },
            likes_url: env.urls("LIKES_URL", "http://127.0.0.1:5007")?,
            shares_url: env.urls("SHARES_URL", "http://127.0.0.1:5008")?,
            hide_url: env.urls("HIDE_URL", "http://127.0.0.1:5009")?,
            likes_timeout: env.millis("LIKES_TIMEOUT_MS", 500, 50, 120_000)?,
            shares_timeout: env.millis("SHARES_TIMEOUT_MS", 500, 50, 120_000)?,
            hide_timeout: env.millis("HIDE_TIMEOUT_MS", 500, 50, 120_000)?,
            page_deadline: env.millis("PAGE_DEADLINE_MS", 3_000, 100, 120_000)?,
            fanout: match get("FANOUT") {
                None => Fanout::Concurrent,
                Some(value) => Fanout::parse(&value).ok_or(SettingsError {
                    name: "FANOUT",
                    value,
                    reason: "expected concurrent or sequential",
                })?,
            },
        })
    }

    /// Whether the insecure development key is in use.
    pub fn uses_development_secret(&self) -> bool {
        self.secret_key == DEVELOPMENT_SECRET
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
        assert_eq!((s.host.as_str(), s.port), ("127.0.0.1", 5000));
        assert_eq!(s.mongodb_uri, "mongodb://127.0.0.1:27017");
        assert_eq!(s.mongodb_db, "reddit_web");
        assert_eq!(s.session_ttl, Duration::from_secs(7_200));
        assert_eq!(s.page_size, 20);
        assert_eq!(s.posts_url, ["http://127.0.0.1:5002"]);
        assert_eq!(s.search_url, ["http://127.0.0.1:5003"]);
        assert_eq!(s.recommend_url, ["http://127.0.0.1:5004"]);
        assert_eq!(s.tags_url, ["http://127.0.0.1:5005"]);
        assert_eq!(s.service_timeout, Duration::from_secs(2));
        assert_eq!(s.simulated_latency, Duration::ZERO);
        assert_eq!(s.workers, None);
        assert_eq!(s.likes_url, ["http://127.0.0.1:5007"]);
        assert_eq!(s.shares_url, ["http://127.0.0.1:5008"]);
        assert_eq!(s.hide_url, ["http://127.0.0.1:5009"]);
        assert_eq!(
            (s.likes_timeout, s.shares_timeout, s.hide_timeout),
            (Duration::from_millis(500), Duration::from_millis(500), Duration::from_millis(500))
        );
        assert_eq!(s.page_deadline, Duration::from_secs(3));
        assert_eq!(s.fanout, Fanout::Concurrent);
        assert!(s.uses_development_secret());
    }

    #[test]
    fn bad_values_are_refused_with_the_setting_named() {
        let err = from(&[("PORT", "http")]).unwrap_err().to_string();
        assert!(err.contains("PORT"), "{err}");
        assert!(from(&[("PAGE_SIZE", "0")]).is_err());
        assert!(from(&[("PAGE_SIZE", "51")]).is_err());
        assert!(from(&[("SECRET_KEY", "short")]).is_err());
        assert!(from(&[("COOKIE_SECURE", "maybe")]).is_err());
        assert!(from(&[("COOKIE_SECURE", "true")]).unwrap().cookie_secure);
        assert!(from(&[("SEARCH_URL", "search:5003")]).is_err());
        assert!(from(&[("SERVICE_TIMEOUT_MS", "5")]).is_err());
        assert_eq!(from(&[("SIMULATED_LATENCY_MS", "60001")]).unwrap_err().name, "SIMULATED_LATENCY_MS");
        assert_eq!(from(&[("WORKERS", "1")]).unwrap().workers, Some(1));
        for bad in ["0", "257", "many"] {
            assert_eq!(from(&[("WORKERS", bad)]).unwrap_err().name, "WORKERS", "{bad}");
        }
        assert!(from(&[("LIKES_URL", "likes:5007")]).is_err());
        assert!(from(&[("PAGE_DEADLINE_MS", "99")]).is_err());
        assert!(from(&[("HIDE_TIMEOUT_MS", "10")]).is_err());
        assert_eq!(from(&[("FANOUT", "sequential")]).unwrap().fanout, Fanout::Sequential);
        assert_eq!(from(&[("FANOUT", "parallel")]).unwrap_err().name, "FANOUT");
        let hides = from(&[("HIDE_URL", "http://a:5009,http://b:5009")]).unwrap();
        assert_eq!(hides.hide_url, ["http://a:5009", "http://b:5009"]);
        let two = from(&[("SEARCH_URL", "http://a:5003,http://b:5003/")]).unwrap();
        assert_eq!(two.search_url, ["http://a:5003", "http://b:5003"]);
    }

    #[test]
    fn the_import_settings_have_their_documented_defaults_and_bounds() {
        let s = from(&[]).unwrap();
        assert_eq!(s.jobs_url, ["http://127.0.0.1:5010"]);
        assert_eq!(s.jobs_timeout, Duration::from_secs(30));
        assert_eq!(s.import_max_bytes, 32 * 1024 * 1024);
        assert!(from(&[("JOBS_URL", "jobs:5010")]).is_err());
        assert!(from(&[("IMPORT_MAX_BYTES", "1024")]).is_err());
        assert!(from(&[("JOBS_TIMEOUT_MS", "0")]).is_err());
        let two = from(&[("JOBS_URL", "http://a:5010,http://b:5010")]).unwrap();
        assert_eq!(two.jobs_url, ["http://a:5010", "http://b:5010"]);
    }
}
