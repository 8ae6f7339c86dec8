//! Integration tests of step10-hide: one binary, one module per feature.
//! Each test spawns the service on port 0 with a database of its own
//! (dropped afterwards).
//!
//! - `hidden`: hide, un-hide, list, the limit, concurrency.
//! - `probes`: bad input, `/health/*`, request ids, `/openapi.json`,
//!   the simulated latency, a database that is down.

// The engine's JSON test client, shared with mongo-rest's tests.
#[path = "../../../../mongo-rest/tests/api/client.rs"]
mod client;
// What step 10's new services' tests share to start them.
mod helpers;
mod hidden;
mod probes;
#[path = "../../../kit/tests/support/spawn.rs"]
mod spawn;
