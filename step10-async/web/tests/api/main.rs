//! Integration tests of step10-web: one binary, one module per feature.
//! Each test spawns the web front on port 0 with a database of its own, in
//! front of the real posts and tags services (each on its own fresh
//! database) and stand-ins for search, recommend, likes, shares and hide
//! (see `helpers`).

mod auth;
// The engine's JSON test client, shared with mongo-rest's tests.
#[path = "../../../../mongo-rest/tests/api/client.rs"]
mod client;
mod demo;
mod fanout;
mod helpers;
mod import;
mod pages;
mod posts;
mod reactions;
mod resilience;
mod search;
mod tags;
