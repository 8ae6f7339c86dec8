//! Steps 9 and 10 of the workshop: the web front, step 08's pages as a client of
//! the services whose verbs they use.
//!
//! Every post comes from posts, every search from search, every
//! recommendation from recommend and every tag from tags, through
//! [`services`]; the web front keeps only the login sessions and users, in
//! its own database (`reddit_web`), so any number of instances can serve
//! the same visitor. When a service is down the pages degrade (a notice, a
//! hidden form, a 503 page) instead of failing, and every page says in its
//! `Server-Timing` header and its footer which calls it made.
//!
//! Step 10 makes the pages wait well: each page calls the services it
//! needs concurrently, in as few dependent rounds as it can (the home
//! page: topics and hidden posts; then recommend; then likes and shares),
//! each call under its own timeout and the whole under `PAGE_DEADLINE_MS`;
//! and it adds likes, shares (with the `/s/{code}` links) and hidden posts,
//! with forms on every post it lists.
//!
//! # Layout
//! - [`services`]: the clients of posts, search, recommend, tags, likes,
//!   shares and hide (one per worker), and the per-request
//!   [`services::Services`] extractor with the page's deadline.
//! - [`jobs`]: the client of the jobs service (submit an import, follow a
//!   job through its 303 to the result, cancel), one per worker.
//! - [`fanout`]: `FANOUT`, how a page waits for a round's calls: at once
//!   (the default) or one after another (the teaching switch).
//! - [`settings`]: the typed configuration, read from environment variables.
//! - [`startup`]: builds the [`startup::Application`]: connects to MongoDB,
//!   binds the listener, wires middleware and routes.
//! - [`db`]: the web front's own MongoDB data: users and the session indexes.
//! - [`session_store`]: an `actix-session` store that keeps sessions in a
//!   MongoDB collection with a TTL index.
//! - [`flash`]: flash messages kept in the session, written only when needed.
//! - [`csrf`]: the synchronizer token that every state-changing form carries.
//! - [`reactions`]: likes, shares and hidden posts on the pages: what the
//!   lists leave out, the counts and the forms' keys, and the notices when
//!   one of those services is down.
//! - [`error`]: the crate's one error type and the error pages.
//! - [`openapi`]: `GET /openapi.json`, generated with `utoipa`.
//! - [`routes`]: one module per feature (pages, search, posts, tags, the
//!   like/share/hide forms and share links, login, the import and job
//!   pages, readiness).
//! - [`views`]: what the templates see: the post view model, the page
//!   context, and the timed render.

pub mod csrf;
pub mod db;
pub mod error;
pub mod fanout;
pub mod flash;
pub mod jobs;
pub mod openapi;
pub mod reactions;
pub mod routes;
pub mod services;
pub mod session_store;
pub mod settings;
pub mod startup;
pub mod views;
