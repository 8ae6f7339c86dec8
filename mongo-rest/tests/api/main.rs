//! Integration tests of mongo-rest: one binary, one module per feature.
//! Each test serves the crate's test domain (`tests/domain.toml`: posts
//! and tags) on port 0 with a database of its own.

mod client;
mod embed;
mod helpers;
mod openapi_fuzz;
mod probes;
mod rest_read;
mod rest_write;
