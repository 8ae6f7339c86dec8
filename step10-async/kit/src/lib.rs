//! What every step 9 service shares, so that each service's crate holds
//! only its verb.
//!
//! A service is still its own program, build and database: this crate is a
//! library linked into each of them, like `mongo-rest`, not a service they
//! call. It holds the conventions the workshop's laws ask of every
//! service: configuration from the environment, a request id through every
//! hop, the two probes, a client for other services that survives their
//! failures, and both ends of the sync protocol's data types with the
//! target's side of it.
//!
//! # Layout
//! - [`settings`]: reading environment variables with defaults and limits,
//!   and instance lists (`SEARCH_URL=http://a:5003,http://b:5003`).
//! - [`mongo`]: connecting to the service's own database, and recording
//!   which databases the service touches (a test shows it is only its own).
//! - [`rest`]: posts and tags: `mongo-rest` with a recording client and the
//!   step's readiness.
//! - [`server`]: the HTTP server every JSON service runs: request ids, one
//!   log line per request, JSON errors, `/health/live`.
//! - [`health`]: the readiness answer.
//! - [`error`]: how the new services answer and log their errors (the
//!   envelope with `Retry-After`, the cause chain, "unavailable").
//! - [`idempotency`]: `Idempotency-Key` on writes a client may retry (a
//!   middleware and its store in the service's database).
//! - [`openapi`]: what the new services' OpenAPI documents share (the
//!   error envelope, the `Idempotency-Key` header parameter,
//!   `/health/live`, serving the document).
//! - [`latency`]: `SIMULATED_LATENCY_MS`, the teaching delay (mongo-rest's,
//!   so that posts and tags share it).
//! - [`txn`]: transactions that keep a counter in step with what it
//!   counts (retries with jitter, commit, per-key turns): likes and shares.
//! - [`validate`]: what a post id and a user name may be.
//! - [`upstream`]: the client of another service (round robin across its
//!   instances, one timeout over the whole call, request id forwarded).
//! - [`timing`]: the durations of a request's calls, for `Server-Timing`.
//! - [`sync`]: the sync protocol (checkpoint, batches, snapshots) and the
//!   target's side of it: applying a batch with its checkpoint in one
//!   transaction, compare-and-set.

pub mod error;
pub mod health;
pub mod idempotency;
pub mod mongo;
pub mod openapi;
pub mod rest;
pub mod server;
pub mod settings;
pub mod sync;
pub mod timing;
pub mod txn;
pub mod upstream;
pub mod validate;

pub use mongo_rest::latency;
pub use mongo_rest::request_id::{self, RequestId};

/// Starts `env_logger` at `info` unless `RUST_LOG` says otherwise.
pub fn init_logging() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
}
