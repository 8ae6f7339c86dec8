//! Integration tests of step10-shares: one binary, one module per feature.
//! Each test spawns the service on port 0 with a database of its own
//! (dropped afterwards), and the real posts service beside it, on a
//! database of its own too.
//!
//! - `shares`: share, the same link again, visits, counts, reconcile,
//!   Idempotency-Key, concurrency.
//! - `probes`: bad input, posts down, `/health/*`, the databases touched,
//!   `/openapi.json`.

// The engine's JSON test client, shared with mongo-rest's tests.
#[path = "../../../../mongo-rest/tests/api/client.rs"]
mod client;
// What step 10's new services' tests share to start them.
#[path = "../../../kit/tests/support/spawn.rs"]
mod spawn;
// The mongo-rest services (posts, tags) they call.
mod helpers;
mod probes;
#[path = "../../../kit/tests/support/rest.rs"]
mod rest;
mod shares;
