//! The sync service's settings, read from the environment with documented
//! defaults (through the kit's [`Env`], so that a bad value is refused with
//! its variable's name).

use std::time::Duration;

use kit::settings::{Env, SettingsError};

/// The default port.
pub const DEFAULT_PORT: u16 = 5006;
/// The most entries one batch may ask for: the posts API's page limit
/// (`max_results_limit` in `posts/domains/posts.toml`).
pub const MAX_BATCH: u64 = 50;

/// Everything the sync service reads.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `HOST`: the address to bind (default `127.0.0.1`).
    pub host: String,
    /// `PORT`: the port of the health endpoints (default 5006; `0` picks one).
    pub port: u16,
    /// `POSTS_URL`: the posts service's instances (default `http://127.0.0.1:5002`).
    pub posts: Vec<String>,
    /// `SEARCH_URL`: the search service's instances (default `http://127.0.0.1:5003`).
    pub search: Vec<String>,
    /// `RECOMMEND_URL`: the recommend service's instances (default `http://127.0.0.1:5004`).
    pub recommend: Vec<String>,
    /// `POLL_MS`: how long a loop waits when there is nothing new (default
    /// 500 ms, from 10 ms to 60 s).
    pub poll: Duration,
    /// `REVALIDATE_MS`: how long an idle loop trusts the target's
    /// checkpoint it last read, asking posts only for what follows it
    /// (default 5,000 ms, from 0, every cycle reads it, to 10 min). It is
    /// also how late a target whose database was dropped, or a posts
    /// database reset below a checkpoint, is noticed while nothing is written.
    pub revalidate: Duration,
    /// `BATCH`: the most oplog entries (or snapshot posts) per batch
    /// (default and most [`MAX_BATCH`]).
    pub batch: usize,
    /// `BACKOFF_MAX_MS`: the longest wait after failures in a row (default
    /// 10,000 ms, from 10 ms to 10 min).
    pub backoff_max: Duration,
    /// `TIMEOUT_MS`: the whole-call timeout of every call (default 5,000 ms,
    /// from 100 ms to 60 s).
    pub timeout: Duration,
    /// `SIMULATED_LATENCY_MS`: a delay added to every request to the
    /// service's endpoints but `/health/*` (default 0, off; at most
    /// 60,000 ms; see `kit::latency`). The loops are not delayed.
    pub simulated_latency: Duration,
}

impl Settings {
    /// Reads the settings from `env`.
    pub fn read<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, SettingsError> {
        Ok(Self {
            host: env.text("HOST", "127.0.0.1"),
            port: env.port(DEFAULT_PORT)?,
            posts: env.urls("POSTS_URL", "http://127.0.0.1:5002")?,
            search: env.urls("SEARCH_URL", "http://127.0.0.1:5003")?,
            recommend: env.urls("RECOMMEND_URL", "http://127.0.0.1:5004")?,
            poll: env.millis("POLL_MS", 500, 10, 60_000)?,
            revalidate: env.millis("REVALIDATE_MS", 5_000, 0, 600_000)?,
            batch: env.number("BATCH", MAX_BATCH, 1, MAX_BATCH)? as usize,
            backoff_max: env.millis("BACKOFF_MAX_MS", 10_000, 10, 600_000)?,
            timeout: env.millis("TIMEOUT_MS", 5_000, 100, 60_000)?,
            simulated_latency: env.simulated_latency()?,
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
    use std::collections::HashMap;

    fn read(pairs: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::read(&Env(move |name: &str| map.get(name).cloned()))
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let s = read(&[]).unwrap();
        assert_eq!((s.host.as_str(), s.port), ("127.0.0.1", 5006));
        assert_eq!(s.posts, ["http://127.0.0.1:5002"]);
        assert_eq!(s.search, ["http://127.0.0.1:5003"]);
        assert_eq!(s.recommend, ["http://127.0.0.1:5004"]);
        assert_eq!(s.poll, Duration::from_millis(500));
        assert_eq!(s.batch, 50);
        assert_eq!(s.revalidate, Duration::from_secs(5));
        assert_eq!(s.backoff_max, Duration::from_secs(10));
        assert_eq!(s.timeout, Duration::from_secs(5));
        assert_eq!(s.simulated_latency, Duration::ZERO);
    }

    #[test]
    fn instance_lists_and_numbers_are_read() {
        let s = read(&[("SEARCH_URL", "http://a:5003,http://b:5103/"), ("BATCH", "7"), ("POLL_MS", "20")]).unwrap();
        assert_eq!(s.search, ["http://a:5003", "http://b:5103"]);
        assert_eq!((s.batch, s.poll), (7, Duration::from_millis(20)));
    }

    #[test]
    fn bad_values_are_refused_by_name() {
        for (name, value) in [
            ("BATCH", "51"),
            ("BATCH", "0"),
            ("POLL_MS", "x"),
            ("REVALIDATE_MS", "600001"),
            ("POSTS_URL", "ftp://x"),
            ("PORT", "-1"),
            ("SIMULATED_LATENCY_MS", "60001"),
        ] {
            let err = read(&[(name, value)]).unwrap_err();
            assert_eq!(err.name, name, "{name}={value}");
        }
    }
}
