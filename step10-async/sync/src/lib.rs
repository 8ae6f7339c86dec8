//! The sync service: a stateless relay from the posts' oplog to each
//! target (search, recommend), with health endpoints and no database.
//!
//! [`Application::build`] binds the server and spawns one loop per target
//! ([`relay`]); the loops report into an in-memory [`status::Status`] that
//! `/health/ready` serves. Everything durable is elsewhere: the oplog in
//! posts, each checkpoint in its target, written with the batch it covers
//! in one transaction (`kit::sync`).
//!
//! # Layout
//! - [`settings`]: the environment variables and their defaults.
//! - [`relay`]: the loops (a cycle: checkpoint, snapshot page or oplog batch, apply).
//! - [`status`]: what each loop last saw, shared with the handlers.
//! - [`routes`]: `/health/ready` and `/openapi.json`.
//! - [`error`]: why a cycle failed, and what the loop does then.

pub mod error;
pub mod relay;
pub mod routes;
pub mod settings;
pub mod status;

pub use settings::Settings;

/// The largest request body the service accepts (it takes none: GETs only).
pub const MAX_BODY_BYTES: usize = 4 << 10;

/// The targets, in the order they are reported.
pub const TARGETS: [&str; 2] = ["recommend", "search"];

/// The bound server, its loops already running.
pub struct Application {
    server: kit::server::Application,
}

impl Application {
    /// Binds `HOST:PORT` and spawns the loops on the current actix runtime.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let status = status::Status::new(&TARGETS);
        let for_routes = status.clone();
        let (host, port, latency) = (&settings.host, settings.port, settings.simulated_latency);
        let server = kit::server::Application::bind_with(host, port, MAX_BODY_BYTES, latency, move |cfg| {
            routes::configure(cfg, for_routes.clone())
        })?;
        relay::spawn(&settings, &status);
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

    /// Serves until the process is stopped (the loops run meanwhile).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.run_until_stopped().await
    }
}
