//! The JSON document reader: a JSON array of posts, a reddit listing, or an
//! array of listings.
//!
//! A top-level array is streamed element by element (a `mongoexport
//! --jsonArray` file can be large); any other document is parsed whole (a
//! listing page is small). Inside, [`handle_value`] decides what each value is:
//! a listing (its `t3` children are posts, other children are skipped), a
//! `{"kind": "t3", "data": {…}}` thing, or a post object.

use std::io::BufRead;
use std::ops::ControlFlow;

use serde::de::{DeserializeSeed, SeqAccess, Visitor};

use super::format::{first_significant_byte, is_listing};
use super::{json_error, Place, Record, Sink};
use crate::post::{json_kind, normalise_json, Source};

/// Reads one JSON document from `input`, passing each record to `sink`.
/// Records are numbered ([`Place::Record`]); a syntax error is reported at its
/// line and column and ends the file, since the rest cannot be parsed.
pub(super) fn read(mut input: impl BufRead, sink: &mut Sink<'_>) -> std::io::Result<()> {
    let first = first_significant_byte(&mut input)?;
    let mut counter = 0u64;
    let mut next_place = || {
        counter += 1;
        Place::Record(counter)
    };
    let mut de = serde_json::Deserializer::from_reader(input);
    let mut stopped = false;
    let result = if first == Some(b'[') {
        EachElement { place: &mut next_place, sink: &mut *sink, stopped: &mut stopped }.deserialize(&mut de)
    } else {
        serde::Deserialize::deserialize(&mut de).map(|value| {
            if handle_value(value, &mut next_place, sink).is_break() {
                stopped = true;
            }
        })
    };
    if stopped {
        return Ok(());
    }
    match result.and_then(|()| de.end()) {
        Ok(()) => Ok(()),
        Err(e) if e.is_io() => Err(e.into()),
        Err(e) => {
            let place = Place::LineColumn(e.line() as u64, e.column() as u64);
            let reason = json_error(&e);
            // Whatever the sink answers, this file is over.
            let _ = sink(place, Record::Malformed(reason));
            Ok(())
        }
    }
}

/// Feeds each element of a JSON array to [`handle_value`] as it is parsed,
/// so the array never sits in memory whole.
struct EachElement<'a, 'b> {
    /// Numbers the records.
    place: &'a mut dyn FnMut() -> Place,
    /// Receives the records.
    sink: &'a mut Sink<'b>,
    /// Set when the sink asked to stop.
    stopped: &'a mut bool,
}

impl<'de> DeserializeSeed<'de> for EachElement<'_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for EachElement<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of posts or listings")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(value) = seq.next_element::<serde_json::Value>()? {
            if handle_value(value, self.place, self.sink).is_break() {
                *self.stopped = true;
                // Stop parsing here; the caller ignores this error because
                // `stopped` is set.
                return Err(serde::de::Error::custom("stopped"));
            }
        }
        Ok(())
    }
}

/// Turns one JSON value into records: expands listings (and arrays of them),
/// unwraps `{"kind": "t3", "data": …}`, normalises post objects. `place` is
/// called once per record.
pub(super) fn handle_value(
    value: serde_json::Value,
    place: &mut dyn FnMut() -> Place,
    sink: &mut Sink<'_>,
) -> ControlFlow<()> {
    if let serde_json::Value::Array(items) = value {
        for item in items {
            handle_value(item, place, sink)?;
        }
        return ControlFlow::Continue(());
    }
    if is_listing(&value) {
        let mut value = value;
        let children = match value.pointer_mut("/data/children").map(serde_json::Value::take) {
            Some(serde_json::Value::Array(children)) => children,
            _ => Vec::new(),
        };
        for child in children {
            handle_thing(child, place(), sink)?;
        }
        return ControlFlow::Continue(());
    }
    let at = place();
    if value.get("kind").is_some() && value.get("data").is_some_and(|d| d.is_object()) {
        return handle_thing(value, at, sink);
    }
    sink(at, record_of(value))
}

/// A reddit "thing" `{"kind": …, "data": {…}}`: links (`t3`) are posts,
/// anything else (comments, "more") is skipped.
fn handle_thing(thing: serde_json::Value, at: Place, sink: &mut Sink<'_>) -> ControlFlow<()> {
    let serde_json::Value::Object(mut thing) = thing else {
        return sink(at, Record::Malformed(format!("expected a listing child, found {}", json_kind(&thing))));
    };
    match thing.get("kind").and_then(|k| k.as_str()) {
        Some("t3") | None => match thing.remove("data") {
            Some(data) => sink(at, record_of(data)),
            None => sink(at, Record::Malformed("listing child without `data`".to_owned())),
        },
        Some(_) => sink(at, Record::Skipped),
    }
}

/// A post object as a record.
fn record_of(value: serde_json::Value) -> Record {
    match normalise_json(value, Source::Reddit) {
        Ok(post) => Record::Post(Box::new(post)),
        Err(e) => Record::Malformed(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(input: &str) -> Vec<(Place, Result<String, String>)> {
        crate::import::test_records(input, |bytes, sink| read(bytes, sink))
    }

    const A: &str = r#"{"id":"a","title":"A","created_utc":1}"#;
    const B: &str = r#"{"id":"b","title":"B","created_utc":2}"#;

    #[test]
    fn array_of_posts() {
        let got = records(&format!("[{A},\n {B}, {{\"id\":\"c\"}}]"));
        assert_eq!(got[0], (Place::Record(1), Ok("a".into())));
        assert_eq!(got[1], (Place::Record(2), Ok("b".into())));
        assert!(matches!(&got[2], (Place::Record(3), Err(r)) if r.contains("title")));
    }

    #[test]
    fn listing_and_array_of_listings() {
        let listing = format!(
            r#"{{"kind":"Listing","data":{{"after":null,"children":[{{"kind":"t3","data":{A}}},{{"kind":"t1","data":{{}}}},{{"kind":"t3","data":{B}}}]}}}}"#
        );
        let got = records(&listing);
        assert_eq!(
            got.iter().map(|g| g.1.clone()).collect::<Vec<_>>(),
            [Ok("a".into()), Ok("-".into()), Ok("b".into())]
        );
        let got = records(&format!("[{listing}, {listing}]"));
        assert_eq!(got.len(), 6);
        assert_eq!(got[5].0, Place::Record(6));
    }

    #[test]
    fn syntax_error_is_reported_with_line_and_column() {
        let got = records(&format!("[{A},\n{{\"id\": }}]"));
        assert_eq!(got[0].1, Ok("a".into()));
        assert!(matches!(&got[1], (Place::LineColumn(2, 8), Err(_))), "{got:?}");
        assert_eq!(got.len(), 2);
        // Trailing garbage after a whole document.
        let got = records(&format!("{A} {B}"));
        assert_eq!(got[0].1, Ok("a".into()));
        assert!(got[1].1.is_err());
    }

    #[test]
    fn stops_when_asked() {
        let mut n = 0;
        read(format!("[{A},{B},{A}]").as_bytes(), &mut |_, _| {
            n += 1;
            ControlFlow::Break(())
        })
        .expect("reads");
        assert_eq!(n, 1);
    }
}
