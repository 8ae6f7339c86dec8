//! The recommend service's integration tests: one binary (see `helpers`).

// mongo-rest's test client, shared by path (dev-only helpers may be shared).
#[path = "../../../../mongo-rest/tests/api/client.rs"]
mod client;
mod contract;
mod helpers;
mod recommend;
