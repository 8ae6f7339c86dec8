//! The recommend service: recommendations served from memory.
//!
//! Step 06's chapter named the bottleneck: the recommendations aggregation
//! ran on every page view. Here sync feeds the posts into this service's
//! own store, the candidates (`score > 50`) are loaded into memory when the
//! store changes, and a request only ranks them: no query runs per request.
//! `GET /v1/recommendations` answers exactly what step 08's aggregation
//! answered (a contract test pins it) and is deprecated in favour of
//! `GET /v2/recommendations`, whose items say why they were chosen.
//!
//! # Layout
//! - [`settings`]: the environment variables.
//! - [`candidates`]: the store sync feeds, and the candidates in memory.
//! - [`rank`]: v1 and v2 ranking, parameters and pages.
//! - [`routes`]: the endpoints.
//! - [`openapi`]: the generated OpenAPI document.
//! - [`error`]: the service's error type.

pub mod candidates;
pub mod error;
pub mod openapi;
pub mod rank;
pub mod routes;
pub mod settings;

use std::sync::Arc;

use actix_web::web;
use kit::{mongo::Mongo, sync::Target};

pub use settings::Settings;

/// The name the service gives itself in MongoDB's logs.
pub const APP_NAME: &str = "step10-recommend";

/// The bound service, with its candidates kept fresh in the background.
pub struct Application {
    server: kit::server::Application,
    candidates: Arc<candidates::Candidates>,
}

impl Application {
    /// Connects (lazily), creates the index (retried in the background
    /// while the database is down), starts the refresh loop (whose first
    /// tick loads the candidates, retried while the database is down), and
    /// binds the server. Must run inside actix's runtime.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let common = &settings.common;
        let mongo = Mongo::connect(&common.mongodb_uri, &common.mongodb_db, APP_NAME, common.db_timeout).await?;
        let target = Target::new(&mongo, candidates::COLLECTION, candidates::FIELDS);
        let candidates = Arc::new(candidates::Candidates::new(target.clone()));
        candidates.ensure_index().await;
        candidates.clone().keep_fresh(settings.refresh);
        let (mongo, target, shared) =
            (web::Data::new(mongo), web::Data::new(target), web::Data::from(candidates.clone()));
        let (max_body_bytes, latency) = (settings.max_body_bytes, common.simulated_latency);
        let server =
            kit::server::Application::bind_with(&common.host, common.port, max_body_bytes, latency, move |cfg| {
                cfg.app_data(mongo.clone())
                    .app_data(target.clone())
                    .app_data(shared.clone())
                    .configure(routes::configure);
            })?;
        Ok(Self { server, candidates })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.server.port()
    }

    /// `host:port` as bound.
    pub fn address(&self) -> String {
        self.server.address()
    }

    /// The candidates (tests look at them).
    pub fn candidates(&self) -> Arc<candidates::Candidates> {
        self.candidates.clone()
    }

    /// Serves until the process is stopped.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.run_until_stopped().await
    }
}
