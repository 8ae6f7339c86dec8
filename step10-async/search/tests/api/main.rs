//! Integration tests of step10-search: one binary, one module per feature.
//! Each test spawns the service on port 0 with a database of its own
//! (dropped afterwards) and fills it the only way the service is filled:
//! through `POST /sync/apply`, as `step10-sync` does.
//!
//! - `search`: the verb (every keyword, ranking, paging, rendering).
//! - `sync`: the store follows the oplog (PATCH, DELETE, replays, 409, 422).
//! - `probes`: bad queries, `/health/ready`, request ids, `/openapi.json`.

// The engine's JSON test client, shared with mongo-rest's tests.
#[path = "../../../../mongo-rest/tests/api/client.rs"]
mod client;
mod helpers;
mod probes;
mod search;
mod sync;
