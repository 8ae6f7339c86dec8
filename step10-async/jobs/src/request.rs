//! Checking a submission at once: what `POST /v1/jobs/{kind}` accepts.
//!
//! A bad request is a 400 or a 422 now, never a job that fails later:
//! - an import is `{"generate": N, "seed": S}` (JSON; 1 ≤ N ≤
//!   [`MAX_GENERATE`], `seed` optional, default `datasets`' 42), or a file
//!   in a format `datasets import` reads, sent as the body with its content
//!   type: `application/x-ndjson` (JSON lines, mongoexport's output),
//!   `application/json` (an array of posts, or reddit listings) or
//!   `application/xml` (a StackExchange `Posts.xml`). The whole file is
//!   parsed here by `datasets`' own readers: a file with a malformed record,
//!   or without a single post, is a 422 naming the first problems (strict,
//!   as `datasets import --strict`: a half-imported file is harder to
//!   reason about than a refused one). Records that are not posts
//!   (StackExchange answers) are fine and counted as skipped.
//! - an export is `{"user": NAME}` (JSON; 1 to 64 characters, tags' limit).
//!
//! Each post of a file is kept as the posts API takes it (the canonical
//! post without `_id`, which posts assigns, and `keywords`, which it
//! computes), cut into chunks of one batch each.

use std::ops::ControlFlow;

use datasets::{
    generate::DEFAULT_SEED,
    import::{Format, Record},
    post::Post,
};
use mongodb::bson::Document;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::JobsError;

/// The most posts one `generate` import makes.
pub const MAX_GENERATE: u64 = 100_000;
/// The longest user name an export takes (tags' own limit).
pub const MAX_USER_CHARS: usize = 64;
/// How many problems a refused file's answer names.
pub const MAX_PROBLEMS_SHOWN: usize = 10;
/// A chunk (a batch sent to posts in one call) is also cut when its posts
/// add up to this many bytes: posts' default `MAX_BODY_BYTES` is 1 MiB.
pub const MAX_BATCH_BYTES: usize = 512 * 1024;

/// A checked import.
#[derive(Debug)]
pub enum Import {
    /// Generated posts.
    Generate {
        /// How many.
        count: u64,
        /// From which seed.
        seed: u64,
    },
    /// A file's posts.
    File {
        /// The format it was read as.
        format: Format,
        /// The posts, as the posts API takes them, one chunk per batch.
        chunks: Vec<Vec<Document>>,
        /// How many posts.
        posts: u64,
        /// Records that are not posts.
        skipped: u64,
    },
}

/// An import of generated posts: `{"generate": N, "seed": S}` (its schema
/// is the one the OpenAPI document shows).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateRequest {
    /// How many posts: 1 to [`MAX_GENERATE`].
    #[schema(minimum = 1, maximum = 100_000)]
    pub generate: u64,
    /// The generator's seed (default `datasets`' 42).
    #[serde(default)]
    pub seed: Option<u64>,
}

/// An export: `{"user": NAME}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportRequest {
    /// Whose tagged posts: 1 to [`MAX_USER_CHARS`] characters, white space
    /// around them left out (so at least one that is not white space).
    #[schema(min_length = 1, max_length = 64, pattern = r"\S")]
    pub user: String,
}

/// The essence of a `Content-Type` (no parameters, lower case).
pub fn essence(content_type: &str) -> String {
    content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

/// The format of a file body, from its content type.
fn format_of(content_type: &str) -> Option<Format> {
    match essence(content_type).as_str() {
        "application/x-ndjson" | "application/jsonl" | "application/x-jsonlines" => Some(Format::Jsonl),
        "application/json" => Some(Format::Json),
        "application/xml" | "text/xml" => Some(Format::StackExchange),
        _ => None,
    }
}

/// Checks an import's body (blocking: a large file takes a while to parse;
/// run it off the server's threads).
pub fn import(content_type: &str, body: &[u8], batch_size: usize) -> Result<Import, JobsError> {
    let format = format_of(content_type).ok_or_else(|| {
        JobsError::UnsupportedMediaType(format!(
            "unsupported content type {content_type:?}: send application/json ({{\"generate\": N, \"seed\": S}} or a \
             JSON array of posts), application/x-ndjson or application/xml"
        ))
    })?;
    if format == Format::Json && first_byte(body) == Some(b'{') {
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| JobsError::BadRequest(format!("the body is not valid JSON: {e}")))?;
        if value.get("generate").is_some() {
            return generate(value);
        }
    }
    file(format, body, batch_size)
}

/// The first byte that is not white space (after a byte-order mark).
fn first_byte(body: &[u8]) -> Option<u8> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    body.iter().copied().find(|b| !b.is_ascii_whitespace())
}

/// A `{"generate": N, "seed": S}` request.
fn generate(value: Value) -> Result<Import, JobsError> {
    let request: GenerateRequest = serde_json::from_value(value).map_err(|e| {
        JobsError::Invalid(format!(
            "expected {{\"generate\": N, \"seed\": S}} with whole numbers (N from 1 to {MAX_GENERATE}; S optional): {e}"
        ))
    })?;
    if !(1..=MAX_GENERATE).contains(&request.generate) {
        return Err(JobsError::Invalid(format!(
            "generate is {}; expected a whole number from 1 to {MAX_GENERATE}",
            request.generate
        )));
    }
    Ok(Import::Generate { count: request.generate, seed: request.seed.unwrap_or(DEFAULT_SEED) })
}

/// A file's posts, read by `datasets`' reader for `format`.
fn file(format: Format, body: &[u8], batch_size: usize) -> Result<Import, JobsError> {
    let mut chunks: Vec<Vec<Document>> = Vec::new();
    let mut chunk: Vec<Document> = Vec::new();
    let mut chunk_bytes = 0;
    let (mut posts, mut skipped, mut malformed) = (0u64, 0u64, 0u64);
    let mut problems = Vec::new();
    let mut sink = |place: datasets::import::Place, record: Record| -> ControlFlow<()> {
        match record {
            Record::Post(post) => {
                let size = post.approx_size();
                if !chunk.is_empty() && (chunk.len() >= batch_size || chunk_bytes + size > MAX_BATCH_BYTES) {
                    chunks.push(std::mem::take(&mut chunk));
                    chunk_bytes = 0;
                }
                chunk.push(api_document(&post));
                chunk_bytes += size;
                posts += 1;
            }
            Record::Skipped => skipped += 1,
            Record::Malformed(reason) => {
                malformed += 1;
                if problems.len() < MAX_PROBLEMS_SHOWN {
                    problems.push(format!("{place}: {reason}"));
                }
            }
        }
        ControlFlow::Continue(())
    };
    // `datasets` reads files (its readers are private to it): the body goes
    // to a temporary file first, deleted when `spool` is dropped. The
    // teaching shortcut: a reader over the bytes would spare the disk.
    let spool = Spool::write(body).map_err(|e| JobsError::Internal(format!("cannot spool the body: {e}")))?;
    let progress = indicatif::ProgressBar::hidden();
    datasets::import::read_file(&spool.0, format, &progress, &mut sink)
        .map_err(|e| JobsError::BadRequest(format!("the body cannot be read: {e}")))?;
    if !chunk.is_empty() {
        chunks.push(chunk);
    }
    if malformed > 0 {
        return Err(JobsError::Invalid(format!(
            "the file has {malformed} malformed record(s) (nothing was imported); the first: {}",
            problems.join("; ")
        )));
    }
    if posts == 0 {
        return Err(JobsError::Invalid(format!(
            "the file holds no post ({skipped} record(s) that are not posts); nothing to import"
        )));
    }
    Ok(Import::File { format, chunks, posts, skipped })
}

/// A temporary file holding a request body, deleted when dropped.
struct Spool(std::path::PathBuf);

impl Spool {
    /// Writes `body` to a fresh file of the temporary directory.
    fn write(body: &[u8]) -> std::io::Result<Self> {
        let path = std::env::temp_dir().join(format!("step10-jobs-{}.body", uuid::Uuid::new_v4().simple()));
        std::fs::write(&path, body)?;
        Ok(Self(path))
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// What reddit shows for a deleted account: an export leaves its `author`
/// empty (30 of the workshop's 1,000 real r/Python posts), posts' schema
/// requires one (`minlength = 1`), and `datasets generate` writes this too.
pub const DELETED_AUTHOR: &str = "[deleted]";

/// A post as the posts API takes it: the canonical document without `_id`
/// (posts assigns it) and `keywords` (posts computes them), an empty author
/// written as [`DELETED_AUTHOR`].
pub fn api_document(post: &Post) -> Document {
    let mut document = post.to_document();
    document.remove("_id");
    document.remove("keywords");
    if post.author.trim().is_empty() {
        document.insert("author", DELETED_AUTHOR);
    }
    document
}

/// Checks an export's body: the user.
pub fn export(content_type: &str, body: &[u8]) -> Result<String, JobsError> {
    if essence(content_type) != "application/json" {
        return Err(JobsError::UnsupportedMediaType(format!(
            "unsupported content type {content_type:?}: send application/json ({{\"user\": NAME}})"
        )));
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| JobsError::BadRequest(format!("the body is not valid JSON: {e}")))?;
    let request: ExportRequest =
        serde_json::from_value(value).map_err(|e| JobsError::Invalid(format!("expected {{\"user\": NAME}}: {e}")))?;
    let user = request.user.trim();
    let chars = user.chars().count();
    if chars == 0 || chars > MAX_USER_CHARS {
        return Err(JobsError::Invalid(format!("user must have 1 to {MAX_USER_CHARS} characters; it has {chars}")));
    }
    Ok(user.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str =
        r#"{"id": "1fymy0", "title": "Async in Rust", "author": "ann", "created_utc": 1370746482, "score": 3}"#;

    #[test]
    fn generate_requests_are_checked() {
        let ok = import("application/json", br#"{"generate": 5, "seed": 7}"#, 100).unwrap();
        assert!(matches!(ok, Import::Generate { count: 5, seed: 7 }), "{ok:?}");
        let default = import("application/json; charset=utf-8", br#"{"generate": 1}"#, 100).unwrap();
        assert!(matches!(default, Import::Generate { count: 1, seed: 42 }));
        for bad in [
            r#"{"generate": 0}"#,
            r#"{"generate": 100001}"#,
            r#"{"generate": "x"}"#,
            r#"{"generate": 5, "x": 1}"#,
            r#"{"generate": -1}"#,
        ] {
            assert!(matches!(import("application/json", bad.as_bytes(), 100), Err(JobsError::Invalid(_))), "{bad}");
        }
        assert!(matches!(import("application/json", b"{not json", 100), Err(JobsError::BadRequest(_))));
        assert!(matches!(import("text/plain", b"{}", 100), Err(JobsError::UnsupportedMediaType(_))));
    }

    #[test]
    fn files_are_parsed_and_cut_into_batches() {
        let body: String = (0..5).map(|n| LINE.replace("1fymy0", &format!("a{n}")) + "\n").collect();
        let Import::File { chunks, posts, skipped, .. } = import("application/x-ndjson", body.as_bytes(), 2).unwrap()
        else {
            panic!("a file");
        };
        assert_eq!((posts, skipped), (5, 0));
        assert_eq!(chunks.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2, 1]);
        let first = &chunks[0][0];
        assert_eq!(first.get_str("name").unwrap(), "t3_a0");
        assert!(!first.contains_key("_id") && !first.contains_key("keywords"));
        let array = format!("[{LINE}]");
        assert!(matches!(import("application/json", array.as_bytes(), 2), Ok(Import::File { posts: 1, .. })));
    }

    #[test]
    fn a_deleted_account_becomes_the_deleted_author() {
        let body = LINE.replace(r#""author": "ann""#, r#""author": """#);
        let Import::File { chunks, .. } = import("application/x-ndjson", body.as_bytes(), 2).unwrap() else {
            panic!("a file");
        };
        assert_eq!(chunks[0][0].get_str("author").unwrap(), DELETED_AUTHOR);
        let Import::File { chunks, .. } = import("application/x-ndjson", LINE.as_bytes(), 2).unwrap() else {
            panic!("a file");
        };
        assert_eq!(chunks[0][0].get_str("author").unwrap(), "ann");
    }

    #[test]
    fn a_file_with_a_bad_record_or_no_post_is_refused() {
        let body = format!("{LINE}\n{{broken\n");
        let Err(JobsError::Invalid(message)) = import("application/x-ndjson", body.as_bytes(), 100) else {
            panic!("refused");
        };
        assert!(message.contains("1 malformed") && message.contains("2:"), "{message}");
        assert!(matches!(import("application/x-ndjson", b"\n\n", 100), Err(JobsError::Invalid(_))));
        assert!(matches!(import("application/json", b"[]", 100), Err(JobsError::Invalid(_))));
    }

    #[test]
    fn exports_name_a_user() {
        assert_eq!(export("application/json", br#"{"user": " ann "}"#).unwrap(), "ann");
        for bad in [r#"{"user": ""}"#, r#"{}"#, r#"{"user": 3}"#, r#"{"user": "a", "b": 1}"#] {
            assert!(matches!(export("application/json", bad.as_bytes()), Err(JobsError::Invalid(_))), "{bad}");
        }
        let long = format!(r#"{{"user": "{}"}}"#, "a".repeat(65));
        assert!(matches!(export("application/json", long.as_bytes()), Err(JobsError::Invalid(_))));
        assert!(matches!(export("application/json", b"nope"), Err(JobsError::BadRequest(_))));
        assert!(matches!(export("text/plain", b"{}"), Err(JobsError::UnsupportedMediaType(_))));
    }
}
