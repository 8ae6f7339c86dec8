//! Step 6 of the workshop: the reddit app as **one** actix-web program.
//!
//! Pages are rendered with Tera, data comes straight from MongoDB (queries and
//! one aggregation), and the login session is stored in MongoDB too. Every
//! concern lives in this one process: that is the point of the step, and the
//! weak points it leaves visible (see `docs/src/step06.md`) are what the later
//! steps take apart.
//!
//! # Layout
//! - [`settings`]: the typed configuration, read from environment variables.
//! - [`startup`]: builds the [`startup::Application`]: connects to MongoDB,
//!   binds the listener, wires middleware and routes.
//! - [`db`]: every MongoDB query the app makes, the indexes they need, and the
//!   recommendations pipeline builder.
//! - [`session_store`]: an `actix-session` store that keeps sessions in a
//!   MongoDB collection with a TTL index.
//! - [`flash`]: flash messages kept in the session, written only when needed.
//! - [`csrf`]: the synchronizer token that every state-changing form carries.
//! - [`error`]: the crate's one error type and the error pages.
//! - [`routes`]: one module per feature (pages, search, posts, tags, login).
//! - [`views`]: what the templates see: the post view model and the page context.

pub mod api;
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
