//! The posts service: the master data.
//!
//! It is the step 08 API with only the posts left in its domain
//! (`domains/posts.toml`): Eve's envelope, ETags, validation, and the
//! oplog with a gapless `seq` that `step09-sync` carries to search and
//! recommend. It is the only writer of posts; `make data` and
//! `datasets import` fill its database, `reddit`.

/// The service's default for a setting the environment leaves out.
pub fn default(name: &str) -> Option<&'static str> {
    match name {
        "DOMAIN" => Some(concat!(env!("CARGO_MANIFEST_DIR"), "/domains/posts.toml")),
        "MONGODB_DB" => Some("reddit"),
        "PORT" => Some("5002"),
        "APP_NAME" => Some("step09-posts"),
        _ => None,
    }
}

/// The settings: the environment over [`default`].
pub fn settings() -> Result<mongo_rest::Settings, mongo_rest::SettingsError> {
    kit::rest::settings(default)
}

/// Builds the service (see `kit::rest`).
pub use kit::rest::build;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_documented_values() {
        let s = mongo_rest::Settings::from_lookup(|name| default(name).map(Into::into)).unwrap();
        assert_eq!((s.host.as_str(), s.port, s.mongodb_db.as_str()), ("127.0.0.1", 5002, "reddit"));
        assert!(mongo_rest::Domain::load(&s.domain).is_ok());
    }
}
