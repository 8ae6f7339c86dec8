//! Integration tests of step06-monolith: one binary, one module per feature.
//! Each test spawns the app on port 0 with a database of its own.

mod auth;
mod database;
mod helpers;
mod pages;
mod posts;
mod search;
mod tags;
