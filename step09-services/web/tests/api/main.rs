//! Integration tests of step08-rest: one binary, one module per feature.
//! Each test spawns the programs on port 0 with a database of its own:
//! the web front's tests (`pages`, `posts`, `search`, `tags`, `auth`,
//! `database`) run against a real API, `rest_football` and `docs` against
//! the API alone (the engine's own tests are in `mongo-rest/tests/`).

mod auth;
mod browse;
// The engine's JSON test client, shared with mongo-rest's tests.
#[path = "../../../mongo-rest/tests/api/client.rs"]
mod client;
mod database;
mod docs;
mod helpers;
mod pages;
mod posts;
mod rest_football;
mod search;
mod tags;
