//! Integration tests of step10-jobs: one binary, one module per feature.
//! Each test runs the real posts service (and tags, for exports)
//! in-process on port 0, and the jobs service against them, every one with
//! a database of its own, dropped afterwards.
//!
//! - `lifecycle`: submit → 202 → poll → 303 → result; re-imports; files;
//!   exports; expiry.
//! - `workers`: the queue's bound, cancel, a killed worker's job resumed,
//!   attempts capped.
//! - `killed`: the `step10-jobs` binary as a child process, SIGKILLed
//!   mid-import, and its job finished by the next one.
//! - `probes`: bad requests, `/health/ready`, `/openapi.json`.

// The engine's JSON test client, shared with mongo-rest's tests.
#[path = "../../../../mongo-rest/tests/api/client.rs"]
mod client;
// What step 10's new services' tests share to start them.
#[path = "../../../kit/tests/support/spawn.rs"]
mod spawn;
// The mongo-rest services (posts, tags) they call.
mod helpers;
mod killed;
mod lifecycle;
mod probes;
#[path = "../../../kit/tests/support/rest.rs"]
mod rest;
mod workers;
