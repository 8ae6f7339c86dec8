//! Generates, imports and summarises the workshop's reddit-like posts, and
//! generates the football variant's data.
//!
//! Every step of the workshop reads the same MongoDB collection, `posts`, whose
//! documents all have one canonical shape (see [`post`]). This crate is the only
//! place that writes that shape: it turns reddit exports, reddit API listings and
//! StackExchange dumps into canonical posts, makes realistic synthetic posts for
//! load tests, and prints a summary of what a database holds. The web steps reuse
//! [`keywords()`] so that a search query is tokenised exactly like the titles were
//! at import time.
//!
//! The football variant of the REST API (`step08-rest` with
//! `domains/football.toml`) reads four other collections, `competitions`,
//! `teams`, `players` and `matches`; [`football`] fills them with one
//! consistent synthetic season.
//!
//! # Layout
//!
//! - [`mod@keywords`]: title → search keywords (lower-case, stop words dropped,
//!   Snowball-stemmed). Shared by import time and query time.
//! - [`post`]: the canonical post document and the normalisation of raw records
//!   into it.
//! - [`import`]: format detection, the four readers (JSON lines, JSON array,
//!   reddit listing, StackExchange `Posts.xml`) and the batched, idempotent
//!   import pipeline.
//! - [`generate`]: the deterministic synthetic post generator, optionally shaped
//!   like a sample file (`--like`).
//! - [`football`]: the football generator (competitions, teams, players,
//!   matches) for the REST API's football domain, and its writer.
//! - [`stats`]: the summary printed by `datasets stats`.
//! - [`db`]: connecting (with a short timeout), the indexes, batched upserts.
//! - [`cli`]: the command line (clap) and what each subcommand runs.
//! - [`error`]: the crate's error type.
//! - `progress` (private): the stderr progress bars, hidden when stderr is not
//!   a terminal.

pub mod cli;
pub mod db;
pub mod error;
pub mod football;
pub mod generate;
pub mod import;
pub mod keywords;
pub mod post;
pub mod stats;

mod progress;

pub use error::Error;
pub use keywords::keywords;
