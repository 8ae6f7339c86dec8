//! Step 8 of the workshop: the reddit app as **two** programs, a REST API
//! over MongoDB and the web pages as its client.
//!
//! `step08-api` (`src/bin/step08-api.rs`) serves the resources that
//! `domains/reddit.toml` declares with the `mongo-rest` engine: Python Eve's
//! behaviour (envelopes, filtering, paging, ETags, validation) and an
//! operations log. `step08-web` serves step06's pages, but every
//! post, search, recommendation and tag now comes from the API through
//! [`api_client`]; it keeps only the login sessions and users in MongoDB.
//!
//! # Layout
//! - [`api_client`]: the web front's awc client of the API, one per worker.
//! - [`settings`]: the typed configuration, read from environment variables.
//! - [`startup`]: builds the [`startup::Application`]: connects to MongoDB,
//!   binds the listener, wires middleware and routes.
//! - [`db`]: the web front's own MongoDB data: users and the session indexes.
//! - [`session_store`]: an `actix-session` store that keeps sessions in a
//!   MongoDB collection with a TTL index.
//! - [`flash`]: flash messages kept in the session, written only when needed.
//! - [`csrf`]: the synchronizer token that every state-changing form carries.
//! - [`error`]: the crate's one error type and the error pages.
//! - [`routes`]: one module per feature (pages, search, posts, tags, login, browse).
//! - [`views`]: what the templates see: the post view model and the page context.

pub mod api_client;
pub mod csrf;
pub mod db;
pub mod error;
pub mod flash;
pub mod routes;
pub mod session_store;
pub mod settings;
pub mod startup;
pub mod views;
