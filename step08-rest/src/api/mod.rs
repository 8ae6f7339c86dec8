//! The REST API program (`step08-api`): Eve's behaviour over MongoDB,
//! generic over a [`domain::Domain`] read from a TOML file.
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
//! - [`settings`]: the API program's environment variables.
//! - [`startup`]: builds and binds the server (CORS, method override, logging).

pub mod aggregate;
pub mod convert;
pub mod domain;
pub mod error;
pub mod openapi;
pub mod query;
pub mod routes;
pub mod settings;
pub mod startup;
pub mod store;
pub mod validate;
