//! The jobs service: long work answered at once with where to look.
//!
//! `POST /v1/jobs/{kind}` checks the request, stores a job in MongoDB and
//! answers 202 with the job's address; workers inside the same process
//! (and in every other instance: they share only the database) claim jobs
//! with a lease, run them in batches, record their progress, and finish
//! them; clients poll the job until a 303 sends them to its result. Two
//! kinds: `import` (posts through the posts API, generated or from a file,
//! so that sync carries them to search and recommend as any write) and
//! `export` (a user's tagged posts as JSON lines).
//!
//! # Layout
//! - [`settings`]: the typed settings (`PORT` 5010, `MONGODB_DB`
//!   `reddit_jobs`, `POSTS_URL`, `TAGS_URL`, `JOBS_*`, `MAX_BODY_BYTES`).
//! - [`job`]: the job document, its statuses, and the body the API shows.
//! - [`request`]: what a submission must be, checked at once.
//! - [`store`]: the collections, and each atomic step of a job's life
//!   (claim, renew, advance, finish, requeue, cancel).
//! - [`worker`]: the workers' loop, leases, retries, and the work itself.
//! - [`routes`]: the job resource and `GET /health/ready`.
//! - [`openapi`]: `GET /openapi.json`, generated with `utoipa`.
//! - [`error`]: the one error type and its statuses.

pub mod error;
pub mod job;
pub mod openapi;
pub mod request;
pub mod routes;
pub mod settings;
pub mod store;
pub mod worker;

use std::sync::Arc;

use actix_web::web;
use kit::{mongo::Mongo, upstream::Instances};
use tokio::sync::Notify;

use crate::{routes::health::PostsProbe, settings::Settings, store::Store, worker::Worker};

/// The name the service gives itself in MongoDB's logs.
pub const APP_NAME: &str = "step10-jobs";

/// A process's workers, detached from its server.
pub struct Workers(Vec<actix_web::rt::task::JoinHandle<()>>);

impl Workers {
    /// Stops the workers at their next `.await`: the jobs they hold stay
    /// `running` until their leases run out, then other workers take them.
    pub fn stop(self) {
        for worker in self.0 {
            worker.abort();
        }
    }
}

/// A bound, ready-to-run jobs service, its workers started.
pub struct Application {
    server: kit::server::Application,
    workers: Vec<actix_web::rt::task::JoinHandle<()>>,
}

impl Application {
    /// Connects (lazily) to the service's database, creates the indexes
    /// (or keeps retrying in the background while MongoDB is down), starts
    /// `JOBS_WORKERS` workers, and binds `HOST:PORT` (`PORT=0` picks a free
    /// port, see [`Application::port`]). Must run inside the actix runtime.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let common = &settings.common;
        let mongo = Mongo::connect(&common.mongodb_uri, &common.mongodb_db, APP_NAME, common.db_timeout).await?;
        let store = Store::new(mongo);
        store.ensure_indexes_or_retry().await;
        let posts = Instances::new("posts", settings.posts_urls.clone());
        let tags = Instances::new("tags", settings.tags_urls.clone());
        let wake = Arc::new(Notify::new());
        let shared = Arc::new(settings.clone());
        // Workers are named after this process (a random id: two processes
        // on two machines never share a name) and their number.
        let process = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
        let workers = (0..settings.workers)
            .map(|k| {
                let worker = Worker::new(
                    store.clone(),
                    shared.clone(),
                    format!("{process}/{k}"),
                    wake.clone(),
                    posts.clone(),
                    tags.clone(),
                );
                actix_web::rt::spawn(worker.run())
            })
            .collect();
        let idempotency = web::Data::new(store.idempotency.clone());
        let store = web::Data::new(store);
        let wake = web::Data::new(wake);
        let document = web::Data::new(openapi::document());
        let max_body_bytes = settings.max_body_bytes;
        let host = common.host.clone();
        let (port, latency) = (common.port, common.simulated_latency);
        let settings = web::Data::new(settings);
        let server = kit::server::Application::bind_with(&host, port, max_body_bytes, latency, move |cfg| {
            cfg.app_data(store.clone())
                .app_data(idempotency.clone())
                .app_data(wake.clone())
                .app_data(settings.clone())
                .app_data(document.clone())
                // One client per server worker (an awc::Client is not Send).
                .app_data(web::Data::new(PostsProbe::new(posts.clone())))
                .configure(routes::configure);
        })?;
        Ok(Self { server, workers })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.server.port()
    }

    /// `host:port` as bound.
    pub fn address(&self) -> String {
        self.server.address()
    }

    /// Takes the handles of this process's workers (they keep running):
    /// [`Workers::stop`] then stops them where they are, as a killed
    /// process would. What the tests use to kill a worker mid-job.
    pub fn detach_workers(&mut self) -> Workers {
        Workers(std::mem::take(&mut self.workers))
    }

    /// Serves until the process is stopped (Ctrl-C stops it gracefully).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Self { server, workers } = self;
        let served = server.run_until_stopped().await;
        for worker in workers {
            worker.abort();
        }
        served
    }
}
