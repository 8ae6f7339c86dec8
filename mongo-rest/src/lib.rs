//! `mongo-rest`: Python Eve's REST behaviour over MongoDB, generic over a
//! [`Domain`] read from a TOML file.
//!
//! A domain file declares resources (collection, schema, methods, filters,
//! sort, indexes, page limits, relations) and named aggregations; the engine
//! serves them with Eve's envelopes, filtering, paging, ETags, validation
//! and an operations log. Nothing about any particular data set lives in
//! Rust: the domain file is the whole difference between two APIs.
//!
//! ```no_run
//! use actix_web::{web, HttpResponse};
//! use mongo_rest::{Application, Settings};
//!
//! #[actix_web::main]
//! async fn main() -> anyhow::Result<()> {
//!     // DOMAIN, HOST, PORT, MONGODB_URI, MONGODB_DB... (see `Settings`).
//!     let settings = Settings::from_env()?;
//!     let app = Application::builder(settings)
//!         // A route of the service's own, beside the generic ones.
//!         .routes(|cfg| {
//!             cfg.route("/version", web::get().to(|| async { HttpResponse::Ok().body("1.0") }));
//!         })
//!         .build()
//!         .await?;
//!     println!("listening on http://{}", app.address());
//!     app.run_until_stopped().await?;
//!     Ok(())
//! }
//! ```
//!
//! # Layout
//! - [`domain`]: the domain file: resources, schemas, relations, aggregations.
//! - [`convert`]: BSON ⇄ JSON the way Eve writes it (hex ids, RFC 1123 dates).
//! - [`query`]: the query string: `where` (JSON and Python syntax, checked
//!   against an operator whitelist), `sort`, `projection`, `embedded`.
//! - [`validate`]: schema validation of `POST`/`PUT`/`PATCH` bodies.
//! - [`store`]: every MongoDB operation: pages, counts, conditional writes
//!   in transactions with their oplog entries.
//! - [`aggregate`]: named aggregations with typed parameters.
//! - [`routes`]: the endpoints, one handler per URL dispatching on the method.
//! - [`openapi`]: the OpenAPI 3 document generated from the domain.
//! - [`error`]: the API's error type and Eve's JSON error envelope.
//! - [`latency`]: `SIMULATED_LATENCY_MS`, a delay for teaching (off by
//!   default).
//! - [`request_id`]: the `X-Request-Id` middleware (kept, or made, and echoed).
//! - [`settings`]: the environment variables the server reads.
//! - [`startup`]: builds and binds the server (CORS, method override,
//!   logging), with the embedding service's own routes if it has any.

pub mod aggregate;
pub mod convert;
pub mod domain;
pub mod error;
pub mod latency;
pub mod openapi;
pub mod query;
pub mod request_id;
pub mod routes;
pub mod settings;
pub mod startup;
pub mod store;
pub mod validate;

pub use domain::Domain;
pub use settings::{Settings, SettingsError};
pub use startup::{Application, Builder};

/// The README's code blocks, compiled as doctests so that the embedding
/// example it shows cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
