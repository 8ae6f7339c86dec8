//! The hide service: the posts each user chose not to see.
//!
//! `PUT /v1/hidden/{user}/{post_id}` hides a post (201, then 200),
//! `DELETE` un-hides it (204, or 404 when it was not hidden), and
//! `GET /v1/hidden/{user}` lists them, so that the web front leaves them out
//! of every list it shows. One document per (user, post), whose `_id` is
//! the pair, keeps it exact under concurrency; a per-user count, written
//! in the same transaction, bounds how many one user may hide
//! (`MAX_HIDDEN_PER_USER`, 1,000; one more is a 422).
//!
//! # Layout
//! - [`settings`]: the typed settings (`PORT` 5009, `MONGODB_DB`
//!   `reddit_hide`, `MAX_HIDDEN_PER_USER`, `MAX_BODY_BYTES`).
//! - [`store`]: the documents, the index, the transactions.
//! - [`routes`]: the verbs and `GET /health/ready`.
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
pub const APP_NAME: &str = "step10-hide";

/// A bound, ready-to-run hide service.
pub struct Application {
    server: kit::server::Application,
}

impl Application {
    /// Connects (lazily) to the service's database, creates the index (or
    /// keeps retrying in the background while MongoDB is down), and binds
    /// `HOST:PORT` (`PORT=0` picks a free port, see [`Application::port`]).
    /// Must run inside the actix runtime.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let common = &settings.common;
        let mongo = Mongo::connect(&common.mongodb_uri, &common.mongodb_db, APP_NAME, common.db_timeout).await?;
        let store = Store::new(mongo, settings.max_hidden);
        store.ensure_index_or_retry().await;
        // Made once and shared by every worker (`web::Data` is an `Arc`).
        let idempotency = web::Data::new(store.idempotency.clone());
        let store = web::Data::new(store);
        let document = web::Data::new(openapi::document());
        let (max_body_bytes, latency) = (settings.max_body_bytes, common.simulated_latency);
        let server =
            kit::server::Application::bind_with(&common.host, common.port, max_body_bytes, latency, move |cfg| {
                cfg.app_data(store.clone())
                    .app_data(idempotency.clone())
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
