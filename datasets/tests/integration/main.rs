//! Integration tests of the `datasets` crate against the real server at
//! `MONGODB_URI` (default `mongodb://127.0.0.1:27017`).
//!
//! One test binary (faster to link than one per file); every test gets its
//! own database `test_datasets_<uuid>` and drops it at the end. Fixtures are
//! small hand-written files in `tests/fixtures/`.

mod cli;
mod football;
mod generate;
mod helpers;
mod import;
