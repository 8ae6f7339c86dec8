//! The crate's error type: everything that stops a command.
//!
//! A bad *record* is not an [`Error`]: it is a [`crate::post::PostError`],
//! reported with its location and skipped (unless `--strict`). An [`Error`] ends
//! the run and makes the binary exit with status 1.

use std::path::PathBuf;

use crate::import::Summary;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The MongoDB URI could not be parsed.
    #[error("invalid MongoDB URI {uri}: {source}")]
    BadUri {
        /// The URI as given, with any password hidden.
        uri: String,
        /// What the driver said.
        source: mongodb::error::Error,
    },

    /// No server answered at the URI (within the server selection timeout).
    #[error("cannot reach MongoDB at {uri} ({reason}); is it running? Start it with `make db`")]
    Unreachable {
        /// The URI as given, with any password hidden.
        uri: String,
        /// A short reason, e.g. "no server answered within 5s".
        reason: String,
    },

    /// A database command failed (not a per-document write error, which is
    /// counted in the summary instead).
    #[error("database error: {0}")]
    Db(#[from] mongodb::error::Error),

    /// A file could not be opened or read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },

    /// Writing the output (generated posts, a summary) failed, e.g. a full
    /// disk. A closed pipe is not reported: `datasets generate | head` is fine.
    #[error("cannot write output: {0}")]
    Output(std::io::Error),

    /// `--strict` import met a malformed record. Batches written before it stay
    /// written; `summary` says how far the import got.
    #[error("{location}: {reason} (stopped by --strict)")]
    Strict {
        /// `FILE:LINE` (or `FILE:record N`) of the malformed record.
        location: String,
        /// Why the record was rejected.
        reason: String,
        /// Counts up to and including the malformed record.
        summary: Summary,
    },

    /// The server refused generated documents (`datasets football`), e.g. a
    /// team name that an earlier run with another seed left under a unique
    /// index.
    #[error("{collection}: the server rejected {count} document(s), the first {first}; rerun with --drop to replace an earlier run")]
    Rejected {
        /// The collection written to.
        collection: String,
        /// How many documents of the batch were rejected.
        count: usize,
        /// The first rejected document's `_id` and the server's message.
        first: String,
    },

    /// A `--like` sample held no usable post to learn from.
    #[error("{}: no usable post in the sample", path.display())]
    EmptySample {
        /// The sample file.
        path: PathBuf,
    },

    /// A background task died (a bug, not bad input).
    #[error("internal error: {0}")]
    Internal(String),
}
