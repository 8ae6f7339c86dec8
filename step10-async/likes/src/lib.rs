//! The likes service: one like per user per post, with exact counts.
//!
//! A like is a document whose `_id` is `{post, user}`, so a second like is
//! a duplicate key ("already liked"); each post has a counter changed in
//! the same transaction as its likes, so counts stay exact under any
//! concurrency and the counts of a page of posts are one query. Likes does
//! not call the posts service: a post id is any 24 hex digits (the web
//! front only shows buttons on posts it got from posts). Its writes take
//! an `Idempotency-Key` (the kit's middleware, records in
//! `reddit_likes.idempotency`).
//!
//! # Layout
//! - [`settings`]: the typed settings (`PORT` 5007, `MONGODB_DB`
//!   `reddit_likes`, `MAX_BODY_BYTES`).
//! - [`store`]: the likes and counters, the transactions and reconcile.
//! - [`validate`]: what a post id and a user name may be.
//! - [`routes`]: the endpoints, and `GET /health/ready`.
//! - [`openapi`]: `GET /openapi.json`, generated with `utoipa`.
//! - [`error`]: the one error type and its statuses.

pub mod error;
pub mod openapi;
pub mod routes;
pub mod settings;
pub mod store;
pub mod validate;

use actix_web::web;
use kit::{idempotency, mongo::Mongo};

use crate::{settings::Settings, store::Store};

/// The name the service gives itself in MongoDB's logs.
pub const APP_NAME: &str = "step10-likes";

/// A bound, ready-to-run likes service.
pub struct Application {
    server: kit::server::Application,
}

impl Application {
    /// Connects (lazily) to the service's database, creates the indexes
    /// (or keeps retrying in the background while MongoDB is down), and
    /// binds `HOST:PORT` (`PORT=0` picks a free port, see
    /// [`Application::port`]). Must run inside the actix runtime.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let common = &settings.common;
        let mongo = Mongo::connect(&common.mongodb_uri, &common.mongodb_db, APP_NAME, common.db_timeout).await?;
        let store = Store::new(mongo.clone());
        store.ensure_indexes_or_retry().await;
        let keys = idempotency::Store::new(&mongo.db);
        // Made once and shared by every worker (`web::Data` is an `Arc`).
        let store = web::Data::new(store);
        let keys = web::Data::new(keys);
        let document = web::Data::new(openapi::document());
        let server = kit::server::Application::bind_with(
            &common.host,
            common.port,
            settings.max_body_bytes,
            common.simulated_latency,
            move |cfg| {
                cfg.app_data(store.clone())
                    .app_data(keys.clone())
                    .app_data(document.clone())
                    .configure(routes::configure);
            },
        )?;
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
