//! The REST API program (`step08-api`): Eve's behaviour over MongoDB,
//! generic over a [`domain::Domain`] read from a TOML file.
//!
//! # Layout
//! - [`domain`]: the domain file: resources, schemas, relations, aggregations.
//! - [`convert`]: BSON ⇄ JSON the way Eve writes it (hex ids, RFC 1123 dates).
//! - [`query`]: the query string: `where` (JSON and Python syntax, checked
//!   against an operator whitelist), `sort`, `projection`, `embedded`.
//! - [`validate`]: schema validation of `POST`/`PUT`/`PATCH` bodies.

pub mod convert;
pub mod domain;
pub mod query;
pub mod validate;
