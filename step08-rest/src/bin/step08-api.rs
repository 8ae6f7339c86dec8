//! The `step08-api` binary: the reddit domain, served by `mongo_rest`.
//!
//! The REST engine is the `mongo-rest` crate; this program only gives it
//! step 8's defaults (this crate's `domains/reddit.toml`, the `reddit`
//! database, port 5002, the web front as the browser origin), under the
//! same environment variables, which override them.

use mongo_rest::{Application, Settings};

/// Step 8's default for a setting the environment leaves out.
fn default(name: &str) -> Option<&'static str> {
    match name {
        "DOMAIN" => Some(concat!(env!("CARGO_MANIFEST_DIR"), "/domains/reddit.toml")),
        "MONGODB_DB" => Some("reddit"),
        "PORT" => Some("5002"),
        "CORS_ORIGINS" => Some("http://127.0.0.1:5000,http://localhost:5000"),
        "APP_NAME" => Some(env!("CARGO_BIN_NAME")),
        _ => None,
    }
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let settings = Settings::from_lookup(|name| std::env::var(name).ok().or_else(|| default(name).map(Into::into)))?;
    let app = Application::build(settings).await?;
    log::info!("{} listening on http://{}", env!("CARGO_BIN_NAME"), app.address());
    app.run_until_stopped().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_documented_values() {
        let s = Settings::from_lookup(|name| default(name).map(Into::into)).unwrap();
        assert_eq!((s.host.as_str(), s.port), ("127.0.0.1", 5002));
        assert_eq!((s.mongodb_db.as_str(), s.app_name.as_str()), ("reddit", "step08-api"));
        assert!(s.domain.ends_with("domains/reddit.toml"));
        assert_eq!(s.cors_origins, ["http://127.0.0.1:5000", "http://localhost:5000"]);
    }

    #[test]
    fn the_shipped_domains_are_valid() {
        for file in ["reddit.toml", "football.toml"] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("domains").join(file);
            if let Err(e) = mongo_rest::Domain::load(&path) {
                panic!("{file}: {e}");
            }
        }
    }
}
