//! The StackExchange `Posts.xml` reader, streamed with quick-xml.
//!
//! A dump is one `<posts>` element with a `<row …/>` per post, all data in
//! attributes. Questions (`PostTypeId="1"`) become posts; every other row
//! (answers, wiki excerpts…) is [`Record::Skipped`]. The mapping:
//!
//! | post field | from |
//! |---|---|
//! | `id`, `name` | `so<Id>`, `so_<Id>` |
//! | `title` | `Title` |
//! | `score`, `ups` | `Score` (`downs` is 0) |
//! | `num_comments` | `CommentCount` |
//! | `created_utc` | `CreationDate` (UTC) |
//! | `url`, `permalink` | `https://stackoverflow.com/questions/<Id>` |
//! | `domain`, `subreddit`, `is_self` | `stackoverflow.com`, `stackoverflow`, true |
//! | `selftext` | `Body` with the HTML removed ([`strip_html`]) |
//! | `author` | `OwnerDisplayName`, else `user<OwnerUserId>` |
//! | `tags` | `Tags` (`<a><b>` or `|a|b|`), their keywords added to `keywords` |
//! | `view_count` | `ViewCount` |

use std::io::BufRead;
use std::ops::ControlFlow;

use mongodb::bson::{doc, Document};
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use super::{Place, Record, Sink};
use crate::post::{normalise, Source};

/// Reads `input`, passing each row to `sink`. An XML syntax error is reported
/// at its line and ends the file (the rest cannot be trusted).
pub(super) fn read(input: impl BufRead, sink: &mut Sink<'_>) {
    let mut reader = Reader::from_reader(input);
    let mut buf = Vec::new();
    // quick-xml reports byte offsets; lines are counted from the newlines in
    // every event's bytes, which together are the whole file minus the `<`,
    // `>` and `/>` delimiters (never newlines).
    let mut line = 1u64;
    loop {
        buf.clear();
        let event = match reader.read_event_into(&mut buf) {
            Ok(event) => event,
            Err(e) => {
                let _ = sink(Place::Line(line), Record::Malformed(format!("invalid XML: {e}")));
                return;
            }
        };
        let here = line;
        line += newlines(&event);
        let flow = match &event {
            Event::Eof => return,
            Event::Empty(row) | Event::Start(row) if row.local_name().as_ref() == "row" => {
                sink(Place::Line(here), row_record(row))
            }
            _ => ControlFlow::Continue(()),
        };
        if flow.is_break() {
            return;
        }
    }
}

/// Newlines in an event's raw bytes.
fn newlines(event: &Event<'_>) -> u64 {
    event.bytes().filter(|&b| b == b'\n').count() as u64
}

/// One `<row …/>` as a record.
fn row_record(row: &BytesStart<'_>) -> Record {
    let attrs = match attributes(row) {
        Ok(attrs) => attrs,
        Err(reason) => return Record::Malformed(reason),
    };
    let get = |key: &str| attrs.get_str(key).unwrap_or("");
    if get("PostTypeId") != "1" {
        return Record::Skipped;
    }
    let id = get("Id").trim();
    if id.is_empty() {
        return Record::Malformed("row without `Id`".to_owned());
    }
    let url = format!("https://stackoverflow.com/questions/{id}");
    let author = match (get("OwnerDisplayName"), get("OwnerUserId")) {
        (name, _) if !name.is_empty() => name.to_owned(),
        (_, user) if !user.is_empty() => format!("user{user}"),
        _ => String::new(),
    };
    let raw = doc! {
        "id": format!("so{id}"),
        "name": format!("so_{id}"),
        "author": author,
        "title": get("Title"),
        "url": &url,
        "domain": "stackoverflow.com",
        "permalink": &url,
        "thumbnail": "",
        "selftext": strip_html(get("Body")),
        "is_self": true,
        "over_18": false,
        "subreddit": "stackoverflow",
        "subreddit_id": "",
        "created_utc": get("CreationDate"),
        "score": get("Score"),
        "ups": get("Score"),
        "downs": 0_i64,
        "num_comments": get("CommentCount"),
        "tags": get("Tags"),
        "view_count": get("ViewCount"),
    };
    match normalise(&raw, Source::StackExchange) {
        Ok(post) => Record::Post(Box::new(post)),
        Err(e) => Record::Malformed(e.to_string()),
    }
}

/// A row's attributes, unescaped, as a document of strings.
fn attributes(row: &BytesStart<'_>) -> Result<Document, String> {
    let mut attrs = Document::new();
    for attr in row.attributes() {
        let attr = attr.map_err(|e| format!("invalid XML attribute: {e}"))?;
        let key = attr.key.as_ref().to_owned();
        let value = attr.normalized_value(XmlVersion::Implicit1_0).map_err(|e| format!("attribute {key}: {e}"))?;
        attrs.insert(key, value.into_owned());
    }
    Ok(attrs)
}

/// Removes HTML tags and decodes the common entities, leaving readable text:
/// enough for StackExchange bodies, not a general HTML parser.
///
/// ```
/// assert_eq!(
///     datasets::import::strip_html("<p>Use <code>Vec&lt;T&gt;</code> &amp; co.</p>"),
///     "Use Vec<T> & co."
/// );
/// ```
pub fn strip_html(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        text.push_str(&rest[..open]);
        match rest[open..].find('>') {
            Some(close) => {
                // Block-level tags end a line of text; inline ones vanish.
                let tag = rest[open + 1..open + close].trim_start_matches('/').to_ascii_lowercase();
                let name = tag.split(|c: char| !c.is_ascii_alphanumeric()).next().unwrap_or("");
                if matches!(name, "p" | "br" | "li" | "pre" | "div" | "h1" | "h2" | "h3" | "blockquote" | "tr")
                    && !text.ends_with('\n')
                    && !text.is_empty()
                {
                    text.push('\n');
                }
                rest = &rest[open + close + 1..];
            }
            None => {
                // A lone `<` is text.
                text.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    text.push_str(rest);
    decode_entities(text.trim())
}

/// Decodes `&lt;`, `&gt;`, `&amp;`, `&quot;`, `&apos;`, `&nbsp;` and numeric
/// references; unknown entities are left as they are.
fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let decoded = after.find(';').filter(|&end| end <= 10).and_then(|end| {
            let entity = &after[..end];
            let c = match entity {
                "lt" => Some('<'),
                "gt" => Some('>'),
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .or_else(|| entity.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                    .and_then(char::from_u32),
            }?;
            Some((c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DUMP: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<posts>
  <row Id="4" PostTypeId="1" AcceptedAnswerId="7" CreationDate="2008-07-31T21:42:52.667" Score="5" ViewCount="10" Body="&lt;p&gt;How do I &lt;em&gt;borrow&lt;/em&gt;?&lt;/p&gt;&#xA;&#xA;&lt;pre&gt;&lt;code&gt;let x = &amp;amp;y;&lt;/code&gt;&lt;/pre&gt;" OwnerUserId="8" Title="Borrowing in Rust" Tags="&lt;rust&gt;&lt;borrow-checker&gt;" AnswerCount="1" CommentCount="3" />
  <row Id="7" PostTypeId="2" ParentId="4" CreationDate="2008-07-31T22:17:57.883" Score="2" Body="&lt;p&gt;Like this.&lt;/p&gt;" OwnerDisplayName="ann" CommentCount="0" />
  <row Id="9" PostTypeId="1" CreationDate="2008-08-01T00:00:00.000" Score="-1" Body="" OwnerDisplayName="bob" Tags="|mongodb|" CommentCount="0" />
</posts>
"#;

    #[test]
    fn questions_become_posts_answers_are_skipped() {
        let mut got = Vec::new();
        read(DUMP.as_bytes(), &mut |place, record| {
            got.push((place, record));
            ControlFlow::Continue(())
        });
        assert_eq!(got.len(), 3);
        let (place, Record::Post(post)) = &got[0] else {
            panic!("first row should be a post: {got:?}");
        };
        assert_eq!(*place, Place::Line(3));
        assert_eq!((post.id.as_str(), post.name.as_str()), ("so4", "so_4"));
        assert_eq!(post.title, "Borrowing in Rust");
        assert_eq!((post.score, post.ups, post.downs, post.num_comments), (5, 5, 0, 3));
        assert_eq!(post.view_count, Some(10));
        assert_eq!(post.author, "user8");
        assert_eq!(post.url, "https://stackoverflow.com/questions/4");
        assert_eq!(post.selftext, "How do I borrow?\n\n\nlet x = &y;");
        assert_eq!(post.tags.as_deref(), Some(&["rust".to_owned(), "borrow-checker".to_owned()][..]));
        assert_eq!(post.keywords, ["borrow", "rust", "checker"]);
        assert_eq!(post.created_utc.timestamp_millis(), 1_217_540_572_667);
        assert!(post.is_self);
        assert_eq!(got[1], (Place::Line(4), Record::Skipped));
        // A question without a title is malformed, reported at its line.
        assert!(matches!(&got[2], (Place::Line(5), Record::Malformed(r)) if r.contains("title")));
    }

    #[test]
    fn broken_xml_is_reported_not_panicked() {
        let mut got = Vec::new();
        read("<posts>\n<row Id=\"1\" PostTypeId=\"1\" Title=\"x\n".as_bytes(), &mut |place, record| {
            got.push((place, record));
            ControlFlow::Continue(())
        });
        assert_eq!(got.len(), 1);
        assert!(matches!(&got[0].1, Record::Malformed(r) if r.starts_with("invalid XML")));
    }

    #[test]
    fn strips_html() {
        assert_eq!(strip_html("<p>a</p><p>b &lt; c</p>"), "a\nb < c");
        assert_eq!(strip_html("x < y and &bogus; &#65;&#x42;"), "x < y and &bogus; AB");
        assert_eq!(strip_html(""), "");
        assert_eq!(strip_html("<unclosed"), "<unclosed");
    }
}
