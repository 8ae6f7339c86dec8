//! The input formats and their detection from a file's name and first bytes.

use std::io::{BufRead, BufReader};
use std::path::Path;

use crate::error::Error;

/// An input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Detect per file with [`detect_format`].
    #[default]
    Auto,
    /// One JSON object per line, MongoDB extended JSON allowed (`mongoexport`).
    Jsonl,
    /// One JSON array of post objects (`mongoexport --jsonArray`); elements
    /// that are reddit listings are expanded.
    Json,
    /// A reddit API listing `{"kind": "Listing", "data": {"children": […]}}`,
    /// or an array of them.
    Listing,
    /// A StackExchange `Posts.xml` dump.
    #[value(name = "stackexchange")]
    StackExchange,
}

/// Guesses the format of `path`:
///
/// - a `.xml` extension, or content starting with `<` → [`Format::StackExchange`];
/// - content starting with `[` → [`Format::Json`] (which also expands listings);
/// - content starting with `{` whose first JSON value is a listing (an object
///   with `data.children`) → [`Format::Listing`];
/// - anything else (including an empty file) → [`Format::Jsonl`].
///
/// Only the first JSON value is parsed, so detection is cheap on big files.
pub fn detect_format(path: &Path) -> Result<Format, Error> {
    let is_xml = path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("xml"));
    if is_xml {
        return Ok(Format::StackExchange);
    }
    let io = |source| Error::Io { path: path.to_owned(), source };
    let mut input = BufReader::new(std::fs::File::open(path).map_err(io)?);
    let first = first_significant_byte(&mut input).map_err(io)?;
    Ok(match first {
        Some(b'<') => Format::StackExchange,
        Some(b'[') => Format::Json,
        Some(b'{') => {
            let mut values = serde_json::Deserializer::from_reader(input).into_iter();
            match values.next() {
                Some(Ok(value)) if is_listing(&value) => Format::Listing,
                _ => Format::Jsonl,
            }
        }
        _ => Format::Jsonl,
    })
}

/// Consumes a UTF-8 byte-order mark and whitespace; returns the next byte
/// without consuming it, or `None` at the end of the input.
pub(crate) fn first_significant_byte(input: &mut impl BufRead) -> std::io::Result<Option<u8>> {
    let mut at_start = true;
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            return Ok(None);
        }
        if at_start && buf.starts_with(b"\xEF\xBB\xBF") {
            input.consume(3);
            at_start = false;
            continue;
        }
        at_start = false;
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => {
                let byte = buf[i];
                input.consume(i);
                return Ok(Some(byte));
            }
            None => {
                let n = buf.len();
                input.consume(n);
            }
        }
    }
}

/// Whether a JSON value is a reddit listing: `{"kind": "Listing", …}` or an
/// object whose `data.children` is an array.
pub(crate) fn is_listing(value: &serde_json::Value) -> bool {
    value.get("kind").and_then(|k| k.as_str()) == Some("Listing")
        || value.get("data").and_then(|d| d.get("children")).is_some_and(|c| c.is_array())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn detect(name: &str, content: &str) -> Format {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(name);
        let mut f = std::fs::File::create(&path).expect("create");
        f.write_all(content.as_bytes()).expect("write");
        detect_format(&path).expect("detects")
    }

    #[test]
    fn detects_each_format() {
        assert_eq!(detect("p.xml", ""), Format::StackExchange);
        assert_eq!(detect("p.txt", "\u{feff}  <?xml version=\"1.0\"?><posts/>"), Format::StackExchange);
        assert_eq!(detect("p.json", "\n [ {\"id\": 1} ]"), Format::Json);
        assert_eq!(detect("p.json", "{\"kind\": \"Listing\",\n \"data\": {\"children\": []}}"), Format::Listing);
        assert_eq!(detect("p.json", "{\"data\": {\"children\": []}}"), Format::Listing);
        assert_eq!(detect("p.jsonl", "{\"id\": \"a\"}\n{\"id\": \"b\"}\n"), Format::Jsonl);
        assert_eq!(detect("p.jsonl", "{not json\n"), Format::Jsonl);
        assert_eq!(detect("p.jsonl", ""), Format::Jsonl);
        assert_eq!(detect("p.jsonl", "garbage"), Format::Jsonl);
    }

    #[test]
    fn missing_file_is_an_io_error() {
        assert!(matches!(detect_format(Path::new("/nonexistent/posts.jsonl")), Err(Error::Io { .. })));
    }
}
