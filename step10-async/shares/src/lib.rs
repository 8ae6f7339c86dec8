//! The shares service: a user shares a post and gets a short link,
//! `/s/{code}`, that leads to the post and counts its visits.
//!
//! A share is a document per (post, user) whose `_id` is its random code,
//! so a user sharing a post again gets the same link; each post has a
//! counter (shares and visits) changed in the same transaction as its
//! shares, so counts stay exact under concurrency and the counts of a page
//! of posts are one query. Before making a link it asks the posts service
//! (through the kit's client) whether the post exists. `POST /v1/shares`
//! takes an `Idempotency-Key` (records in `reddit_shares.idempotency`).
//! The web front serves `/s/{code}` itself: it calls
//! `POST /v1/shares/visits/{code}` and redirects.
//!
//! # Layout
//! - [`settings`]: the typed settings (`PORT` 5008, `MONGODB_DB`
//!   `reddit_shares`, `POSTS_URL`, `POSTS_TIMEOUT_MS`, `MAX_BODY_BYTES`).
//! - [`store`]: the shares and counters, codes, the transactions and
//!   reconcile.
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
use kit::{
    idempotency,
    mongo::Mongo,
    upstream::{Instances, Upstream},
};

use crate::{settings::Settings, store::Store};

/// The name the service gives itself in MongoDB's logs.
pub const APP_NAME: &str = "step10-shares";

/// A bound, ready-to-run shares service.
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
        // Made once and shared by every worker (`web::Data` is an `Arc`);
        // the posts client is made per worker (an `awc::Client` is not `Send`).
        let store = web::Data::new(store);
        let keys = web::Data::new(idempotency::Store::new(&mongo.db));
        let document = web::Data::new(openapi::document());
        let posts = Instances::new("posts", settings.posts.clone());
        let timeout = settings.posts_timeout;
        let server = kit::server::Application::bind_with(
            &common.host,
            common.port,
            settings.max_body_bytes,
            common.simulated_latency,
            move |cfg| {
                cfg.app_data(store.clone())
                    .app_data(keys.clone())
                    .app_data(document.clone())
                    .app_data(web::Data::new(Upstream::new(posts.clone(), timeout)))
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
