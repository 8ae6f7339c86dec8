//! The search service: posts found by keywords, ranked by score, paged.
//!
//! It keeps its own store (`reddit_search.posts`: what a results list shows
//! of each post, and its keywords), fed only by `step10-sync` through the
//! internal sync endpoints, and never reads the posts service's database.
//! `GET /v1/search` is step 06's search (every keyword present, best score
//! first) in the posts API's envelope.
//!
//! # Layout
//! - [`settings`]: the typed settings (`PORT` 5003, `MONGODB_DB`
//!   `reddit_search`, `PAGE_SIZE`, `MAX_BODY_BYTES`).
//! - [`store`]: the fields kept, the index, the search query.
//! - [`routes`]: `GET /v1/search`, `GET /health/ready`, and the kit's sync
//!   endpoints mounted on the store.
//! - [`openapi`]: `GET /openapi.json`, generated with `utoipa`.
//! - [`error`]: the one error type and its statuses.

pub mod error;
pub mod openapi;
pub mod routes;
pub mod settings;
pub mod store;

use actix_web::web;
use kit::mongo::Mongo;

use crate::{settings::Settings, store::Store};

/// The name the service gives itself in MongoDB's logs.
pub const APP_NAME: &str = "step10-search";

/// A bound, ready-to-run search service.
pub struct Application {
    server: kit::server::Application,
}

impl Application {
    /// Connects (lazily) to the service's database, creates the search
    /// index (or keeps retrying in the background while MongoDB is down),
    /// and binds `HOST:PORT` (`PORT=0` picks a free port, see
    /// [`Application::port`]). Must run inside the actix runtime.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let common = &settings.common;
        let mongo = Mongo::connect(&common.mongodb_uri, &common.mongodb_db, APP_NAME, common.db_timeout).await?;
        let store = Store::new(mongo);
        store.ensure_index_or_retry().await;
        // Made once and shared by every worker (`web::Data` is an `Arc`).
        let target = web::Data::new(store.target.clone());
        let store = web::Data::new(store);
        let document = web::Data::new(openapi::document());
        let max_body_bytes = settings.max_body_bytes;
        let host = common.host.clone();
        let port = common.port;
        let latency = common.simulated_latency;
        let settings = web::Data::new(settings);
        let server = kit::server::Application::bind_with(&host, port, max_body_bytes, latency, move |cfg| {
            cfg.app_data(store.clone())
                .app_data(target.clone())
                .app_data(settings.clone())
                .app_data(document.clone())
                .configure(routes::configure);
        })?;
        Ok(Self { server })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.server.port()
    }

    /// `host:port` as bound.
    pub fn address(&self) -> String {
        self.server.address()
    }

    /// Serves until the process is stopped (Ctrl-C stops it gracefully).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.run_until_stopped().await
    }
}
