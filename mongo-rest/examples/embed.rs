//! Embedding `mongo-rest` in a service of one's own: the engine serves
//! `examples/domain.toml` (authors and books), and the service adds a
//! `/version` route beside the generic ones.
//!
//! ```text
//! cargo run -p mongo-rest --example embed
//! curl http://127.0.0.1:5002/books
//! curl http://127.0.0.1:5002/version
//! ```
//!
//! MongoDB is expected at `MONGODB_URI` (default `mongodb://127.0.0.1:27017`),
//! a replica set for writes; every setting of `mongo_rest::Settings` applies.

// ANCHOR: embed
use actix_web::{web, HttpResponse};
use mongo_rest::{Application, Settings};

/// A route of the service's own.
async fn version() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "version": env!("CARGO_PKG_VERSION") }))
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    // The environment first, then this example's own defaults.
    let settings = Settings::from_lookup(|name| {
        std::env::var(name).ok().or_else(|| match name {
            "DOMAIN" => Some(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/domain.toml").into()),
            "MONGODB_DB" => Some("library".into()),
            _ => None,
        })
    })?;
    let app = Application::builder(settings)
        .routes(|cfg| {
            cfg.route("/version", web::get().to(version));
        })
        .build()
        .await?;
    log::info!("library API listening on http://{}", app.address());
    app.run_until_stopped().await?;
    Ok(())
}
// ANCHOR_END: embed
