//! The tags service: users' tags on posts, and the topics they imply.
//!
//! `mongo-rest` serving `domains/tags.toml` in the service's own database,
//! `reddit_tags`. A tag carries the post's id, not a copy of the post: the
//! posts stay the posts service's data, and the web front asks it for
//! them. The user's distinct tags, the posts they tagged, and their
//! topics (the search keywords of their tags) are named aggregations.

/// The service's default for a setting the environment leaves out.
pub fn default(name: &str) -> Option<&'static str> {
    match name {
        "DOMAIN" => Some(concat!(env!("CARGO_MANIFEST_DIR"), "/domains/tags.toml")),
        "MONGODB_DB" => Some("reddit_tags"),
        "PORT" => Some("5005"),
        "APP_NAME" => Some("step09-tags"),
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
        assert_eq!((s.host.as_str(), s.port, s.mongodb_db.as_str()), ("127.0.0.1", 5005, "reddit_tags"));
        assert!(mongo_rest::Domain::load(&s.domain).is_ok());
    }
}
