//! The JSON lines reader: one JSON object per line (mongoexport's output).
//!
//! Each line is parsed on its own, so a bad line is reported with its number
//! and the next line is read normally. A line holding a reddit listing is
//! expanded like in a JSON array.

use std::io::BufRead;

use super::{json, json_error, Place, Record, Sink};

/// Reads `input` line by line, passing each record to `sink`.
pub(super) fn read(mut input: impl BufRead, sink: &mut Sink<'_>) -> std::io::Result<()> {
    let mut line = Vec::new();
    let mut number = 0u64;
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        number += 1;
        let mut text: &[u8] = &line;
        if number == 1 {
            text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
        }
        if text.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let place = Place::Line(number);
        let flow = match serde_json::from_slice::<serde_json::Value>(text) {
            Ok(value) => json::handle_value(value, &mut || place, sink),
            Err(e) => sink(place, Record::Malformed(json_error(&e))),
        };
        if flow.is_break() {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ops::ControlFlow;

    fn records(input: &str) -> Vec<(Place, Result<String, String>)> {
        crate::import::test_records(input, |bytes, sink| read(bytes, sink))
    }

    #[test]
    fn numbers_lines_and_skips_blanks() {
        let input =
            "{\"id\":\"a\",\"title\":\"A\",\"created_utc\":1}\n\n{\"id\":\"b\",\"title\":\"B\",\"created_utc\":2}\r\n";
        let got = records(input);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], (Place::Line(1), Ok("a".to_owned())));
        assert_eq!(got[1], (Place::Line(3), Ok("b".to_owned())));
    }

    #[test]
    fn bad_lines_are_reported_and_reading_goes_on() {
        let input = "{\"id\":\"a\",\"title\":\"A\",\"created_utc\":1}\n{\"id\": oops}\n\"just a string\"\n{\"id\":\"c\",\"created_utc\":1}\n{\"id\":\"d\",\"title\":\"D\",\"created_utc\":4}";
        let got = records(input);
        assert_eq!(got.len(), 5);
        assert!(matches!(&got[1], (Place::Line(2), Err(r)) if r.starts_with("invalid JSON at column 8")), "{got:?}");
        assert!(matches!(&got[2], (Place::Line(3), Err(r)) if r.contains("found a string")));
        assert!(matches!(&got[3], (Place::Line(4), Err(r)) if r.contains("title")));
        assert_eq!(got[4], (Place::Line(5), Ok("d".to_owned())));
    }

    #[test]
    fn invalid_utf8_is_a_bad_line() {
        let mut input = b"{\"id\":\"a\",\"title\":\"\xff\",\"created_utc\":1}\n".to_vec();
        input.extend_from_slice(b"{\"id\":\"b\",\"title\":\"B\",\"created_utc\":1}\n");
        let mut n = (0, 0);
        read(&input[..], &mut |_, r| {
            match r {
                Record::Post(_) => n.0 += 1,
                _ => n.1 += 1,
            }
            ControlFlow::Continue(())
        })
        .expect("reads");
        assert_eq!(n, (1, 1));
    }
}
