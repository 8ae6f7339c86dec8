//! The kit's integration tests: one binary (each test binary links
//! actix-web and the driver, and costs its size on disk), one module per
//! part of the kit.
//!
//! - `mongo`: the recording client.
//! - `upstream`: the service client against real HTTP servers.
//! - `idempotency`: `Idempotency-Key` against a real server and database.

mod idempotency;
mod mongo;
mod upstream;
