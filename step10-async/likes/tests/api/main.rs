//! Integration tests of step10-likes: one binary, one module per feature.
//! Each test spawns the service on port 0 with a database of its own
//! (dropped afterwards).
//!
//! - `likes`: like, unlike, counts, "liked", reconcile, Idempotency-Key.
//! - `concurrency`: counts stay exact under concurrent writes.
//! - `probes`: bad ids, `/health/*`, the databases touched, `/openapi.json`.

// The engine's JSON test client, shared with mongo-rest's tests.
#[path = "../../../../mongo-rest/tests/api/client.rs"]
mod client;
// What step 10's new services' tests share to start them.
mod concurrency;
mod helpers;
mod likes;
mod probes;
#[path = "../../../kit/tests/support/spawn.rs"]
mod spawn;
