//! Importing files of posts into the `posts` collection.
//!
//! Two halves joined by a small channel, so that parsing and writing overlap
//! on a 2-core machine while memory stays bounded:
//!
//! - a **reader** (a blocking thread) runs the format's reader over each file
//!   ([`read_file`]), normalises every record into a [`Post`], reports
//!   malformed ones as `FILE:LINE: reason`, and cuts the posts into batches;
//! - a **writer** (the calling task) upserts the batches one after the other,
//!   one `update` command per batch ([`crate::db::upsert_batch`]).
//!
//! The formats: [`Format::Jsonl`] (mongoexport extended JSON lines),
//! [`Format::Json`] (a JSON array of posts), [`Format::Listing`] (reddit API
//! listings) and [`Format::StackExchange`] (`Posts.xml`); [`detect_format`]
//! picks one from the extension and the first bytes.
//!
//! Idempotency: posts are upserted by `name`, `_id` only set on insert, so
//! importing a file twice leaves exactly the same documents. `--strict`: the
//! first malformed record stops the import with [`Error::Strict`]; the posts
//! read before it are written (earlier batches and a last partial one), those
//! after it are not read. Nothing written is ever rolled back.

mod format;
mod json;
mod jsonl;
mod stackexchange;

use std::fmt;
use std::io::Read;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use futures::channel::mpsc;
use futures::{SinkExt, StreamExt};
use indicatif::ProgressBar;
use mongodb::Database;

pub use format::{detect_format, Format};
pub use stackexchange::strip_html;

use crate::db;
use crate::error::Error;
use crate::post::Post;
use crate::progress;

/// At most this many problem reports are kept in [`Summary::reports`] (all
/// of them are logged), so a file of garbage cannot eat the memory.
pub const MAX_REPORTS: usize = 100;

/// A batch is also cut when its posts add up to this many bytes, well under
/// the server's 16 MiB command limit (StackOverflow bodies can be large).
const MAX_BATCH_BYTES: usize = 8 * 1024 * 1024;

/// How to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOptions {
    /// The input format, or [`Format::Auto`] to detect it per file.
    pub format: Format,
    /// Stop at the first malformed record (see the module docs).
    pub strict: bool,
    /// Posts per `update` command.
    pub batch_size: usize,
    /// Draw a progress bar on stderr (it stays hidden when stderr is not a
    /// terminal anyway).
    pub progress: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions { format: Format::Auto, strict: false, batch_size: 1000, progress: false }
    }
}

/// What an import did.
///
/// Every record read ends up in exactly one of `written`, `skipped` and
/// `errors` (a StackExchange answer is skipped, a malformed line or a failed
/// write is an error). Blank lines are not records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Records read.
    pub read: u64,
    /// Posts inserted or updated.
    pub written: u64,
    /// Records that are not posts (answers, comments in a listing).
    pub skipped: u64,
    /// Malformed records and failed writes.
    pub errors: u64,
    /// The first [`MAX_REPORTS`] problems, each `FILE:LINE: reason`.
    pub reports: Vec<String>,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "read {}, written {}, skipped {}, errors {}", self.read, self.written, self.skipped, self.errors)
    }
}

impl Summary {
    /// Records a problem report, keeping at most [`MAX_REPORTS`].
    fn report(&mut self, report: String) {
        if self.reports.len() < MAX_REPORTS {
            self.reports.push(report);
        }
    }
}

/// Where a record is in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A line (JSON lines, XML rows), counted from 1.
    Line(u64),
    /// A line and column (a syntax error inside a JSON document).
    LineColumn(u64, u64),
    /// The n-th post of a JSON array or listing, counted from 1.
    Record(u64),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Line(line) => write!(f, "{line}"),
            Place::LineColumn(line, column) => write!(f, "{line}:{column}"),
            Place::Record(n) => write!(f, "record {n}"),
        }
    }
}

/// `FILE:PLACE`, as used in every report.
pub fn location(path: &Path, place: Place) -> String {
    format!("{}:{place}", path.display())
}

/// What a reader found at one place.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// A post, normalised.
    Post(Box<Post>),
    /// Something that is not a post (an answer, a comment); not an error.
    Skipped,
    /// Something that should have been a post but is not usable: the reason.
    Malformed(String),
}

/// Receives each record a reader finds; `ControlFlow::Break` stops the reader.
pub type Sink<'a> = dyn FnMut(Place, Record) -> ControlFlow<()> + 'a;

/// Reads one file in `format` (detecting it for [`Format::Auto`]) and passes
/// every record to `sink`, in file order. `progress` is advanced by the bytes
/// read.
///
/// A file that cannot be opened or read is an [`Error::Io`]; everything wrong
/// *inside* the file is a [`Record::Malformed`] (a syntax error that makes the
/// rest of a JSON or XML document unreadable ends that file).
pub fn read_file(path: &Path, format: Format, progress: &ProgressBar, sink: &mut Sink<'_>) -> Result<(), Error> {
    let format = match format {
        Format::Auto => detect_format(path)?,
        other => other,
    };
    log::debug!("{}: reading as {format:?}", path.display());
    let io = |source| Error::Io { path: path.to_owned(), source };
    let file = std::fs::File::open(path).map_err(io)?;
    let input = std::io::BufReader::with_capacity(256 * 1024, Counting { inner: file, progress: progress.clone() });
    match format {
        Format::Jsonl | Format::Auto => jsonl::read(input, sink).map_err(io),
        Format::Json | Format::Listing => json::read(input, sink).map_err(io),
        Format::StackExchange => {
            stackexchange::read(input, sink);
            Ok(())
        }
    }
}

/// A reader that advances a progress bar by the bytes it reads.
struct Counting<R> {
    /// The file.
    inner: R,
    /// The bar to advance.
    progress: ProgressBar,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.inc(n as u64);
        Ok(n)
    }
}

/// A batch on its way from the reader to the writer, with each post's origin
/// (file index, place) for reporting write errors.
struct Batch {
    /// The posts.
    posts: Vec<Post>,
    /// Where each post came from.
    origins: Vec<(usize, Place)>,
}

/// What the reader thread counted.
#[derive(Default)]
struct ReadOutcome {
    /// Counts and reports (its `written` stays 0: the writer counts that).
    summary: Summary,
    /// Set when `--strict` stopped the import: location and reason.
    strict_stop: Option<(String, String)>,
}

/// Imports `paths` into the `posts` collection of `db`: creates the indexes,
/// then reads, normalises and upserts every post (see the module docs).
///
/// Returns the counts. Malformed records are counted and reported, not fatal,
/// unless `options.strict`, which turns the first one into [`Error::Strict`].
/// An unreadable file or a failing database ends the import with an error;
/// batches written before stay written.
pub async fn import_files(db: &Database, paths: &[PathBuf], options: &ImportOptions) -> Result<Summary, Error> {
    db::ensure_indexes(db).await?;

    let total: u64 = paths.iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum();
    let bar = progress::bytes(total, options.progress);
    // Capacity 1: the reader can prepare the next batch while the writer
    // sends one, and no more, so memory stays at about three batches.
    let (tx, mut rx) = mpsc::channel::<Batch>(1);
    let reader = {
        let paths = paths.to_vec();
        let options = options.clone();
        let bar = bar.clone();
        tokio::task::spawn_blocking(move || read_all(&paths, &options, &bar, tx))
    };

    let mut written = 0;
    let mut write_errors = Summary::default();
    let mut failure = None;
    while let Some(batch) = rx.next().await {
        match db::upsert_batch(db, &batch.posts).await {
            Ok(outcome) => {
                written += outcome.written;
                for (index, message) in outcome.errors {
                    let origin = batch
                        .origins
                        .get(index)
                        .map_or_else(|| "?".to_owned(), |&(file, place)| location(&paths[file], place));
                    let report = format!("{origin}: write failed: {message}");
                    bar.suspend(|| log::warn!("{report}"));
                    write_errors.errors += 1;
                    write_errors.report(report);
                }
                bar.set_message(format!("{written} written"));
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    // Closing the channel tells the reader to stop, if it is still going.
    drop(rx);
    let outcome = reader.await.map_err(|e| Error::Internal(format!("reader thread: {e}")))?;
    bar.finish_and_clear();
    if let Some(e) = failure {
        return Err(e);
    }
    let outcome = outcome?;

    let mut summary = outcome.summary;
    summary.written = written;
    summary.errors += write_errors.errors;
    for report in write_errors.reports {
        summary.report(report);
    }
    match outcome.strict_stop {
        Some((location, reason)) => Err(Error::Strict { location, reason, summary }),
        None => Ok(summary),
    }
}

/// The reader thread: reads every file, sends batches, counts.
fn read_all(
    paths: &[PathBuf],
    options: &ImportOptions,
    bar: &ProgressBar,
    mut tx: mpsc::Sender<Batch>,
) -> Result<ReadOutcome, Error> {
    let batch_size = options.batch_size.max(1);
    let mut outcome = ReadOutcome::default();
    let mut batch = Batch { posts: Vec::with_capacity(batch_size), origins: Vec::with_capacity(batch_size) };
    let mut batch_bytes = 0;
    // Set when the writer has gone away (it failed): stop reading.
    let mut writer_gone = false;

    // Sends the batch and starts a new one; false if the writer is gone.
    let mut send = |batch: &mut Batch| -> bool {
        let full = std::mem::replace(
            batch,
            Batch { posts: Vec::with_capacity(batch_size), origins: Vec::with_capacity(batch_size) },
        );
        futures::executor::block_on(tx.send(full)).is_ok()
    };

    for (file_index, path) in paths.iter().enumerate() {
        let mut sink = |place: Place, record: Record| -> ControlFlow<()> {
            outcome.summary.read += 1;
            match record {
                Record::Post(post) => {
                    let size = post.approx_size();
                    if size > MAX_BATCH_BYTES {
                        let reason = crate::post::PostError::TooLarge(size).to_string();
                        return malformed(&mut outcome, bar, options, path, place, reason);
                    }
                    if batch_bytes + size > MAX_BATCH_BYTES && !batch.posts.is_empty() {
                        if !send(&mut batch) {
                            writer_gone = true;
                            return ControlFlow::Break(());
                        }
                        batch_bytes = 0;
                    }
                    batch.posts.push(*post);
                    batch.origins.push((file_index, place));
                    batch_bytes += size;
                    if batch.posts.len() >= batch_size {
                        if !send(&mut batch) {
                            writer_gone = true;
                            return ControlFlow::Break(());
                        }
                        batch_bytes = 0;
                    }
                    ControlFlow::Continue(())
                }
                Record::Skipped => {
                    outcome.summary.skipped += 1;
                    ControlFlow::Continue(())
                }
                Record::Malformed(reason) => malformed(&mut outcome, bar, options, path, place, reason),
            }
        };
        if let Err(e) = read_file(path, options.format, bar, &mut sink) {
            // Write what was read before the unreadable file, then fail.
            if !writer_gone && !batch.posts.is_empty() {
                send(&mut batch);
            }
            return Err(e);
        }
        if writer_gone || outcome.strict_stop.is_some() {
            break;
        }
    }
    // The last partial batch; under --strict, the posts before the bad record.
    if !writer_gone && !batch.posts.is_empty() {
        send(&mut batch);
    }
    Ok(outcome)
}

/// Counts and reports a malformed record; under `--strict`, stops the import.
fn malformed(
    outcome: &mut ReadOutcome,
    bar: &ProgressBar,
    options: &ImportOptions,
    path: &Path,
    place: Place,
    reason: String,
) -> ControlFlow<()> {
    let at = location(path, place);
    let report = format!("{at}: {reason}");
    bar.suspend(|| log::warn!("{report}"));
    outcome.summary.errors += 1;
    outcome.summary.report(report);
    if options.strict {
        outcome.strict_stop = Some((at, reason));
        return ControlFlow::Break(());
    }
    ControlFlow::Continue(())
}

/// A serde_json error as `reason (column N)`, without serde's own
/// "at line 1 column N" suffix, which is wrong for a line of a bigger file.
pub(crate) fn json_error(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    match full.strip_suffix(&suffix) {
        Some(reason) => format!("invalid JSON at column {}: {reason}", e.column()),
        None => format!("invalid JSON: {full}"),
    }
}

/// Test helper for the readers: every record of `input` with its place, as
/// the post's id (`"-"` for a skipped record) or the malformation's reason.
#[cfg(test)]
pub(crate) fn test_records(
    input: &str,
    read: impl Fn(&[u8], &mut Sink<'_>) -> std::io::Result<()>,
) -> Vec<(Place, Result<String, String>)> {
    let mut out = Vec::new();
    read(input.as_bytes(), &mut |place, record| {
        out.push((
            place,
            match record {
                Record::Post(p) => Ok(p.id),
                Record::Skipped => Ok("-".to_owned()),
                Record::Malformed(r) => Err(r),
            },
        ));
        std::ops::ControlFlow::Continue(())
    })
    .expect("reads");
    out
}
