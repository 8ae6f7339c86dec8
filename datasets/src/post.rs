//! The canonical post document and the normalisation of raw records into it.
//!
//! Every reader produces a raw BSON [`Document`] (reddit field names, whatever
//! types the source used) and hands it to [`normalise`], which returns a
//! [`Post`]: exactly the fields below, with exactly these BSON types. The web
//! steps can read the collection back with `Collection<Post>`.
//!
//! | field | BSON type | rule |
//! |---|---|---|
//! | `_id` | ObjectId | kept from the input (ObjectId or 24-hex string), else new |
//! | `id` | String | reddit base36 id; from `name` minus its `t3_` prefix if missing |
//! | `name` | String | `t3_<id>` if missing; the unique upsert key |
//! | `author`, `title`, `url`, `domain`, `permalink`, `thumbnail`, `selftext` | String | missing or null → `""`; numbers/booleans → their text |
//! | `is_self`, `over_18` | Boolean | `true`/`false`, `"True"`/`"false"`…, `0`/`1`; missing → `false` (`is_self`: domain starts with `self.`) |
//! | `subreddit` | String | missing → taken from the permalink `/r/<sub>/`, else `""` |
//! | `subreddit_id` | String | as above |
//! | `created_utc` | DateTime | epoch seconds (int, float or numeric string), `$date`, or an RFC 3339 string; **required** |
//! | `score`, `ups`, `downs`, `num_comments` | Int64 | ints, floats (rounded), numeric strings, `$numberLong`; missing → 0, except `ups` → `score + downs` and `score` → `ups - downs` |
//! | `keywords` | Array of String | [`crate::keywords()`] of the title (StackOverflow: plus each tag's keywords) |
//! | `source` | String | `"reddit"` or `"stackexchange"`, set by the reader |
//! | `tags`, `view_count` | Array of String, Int64 | StackOverflow posts only |
//!
//! Small repairs: `title` is trimmed; a relative reddit permalink (`/r/…`) gets
//! `https://www.reddit.com` in front; a missing `domain` is taken from the url
//! (`self.<subreddit>` for self posts); a missing `url` of a self post is the
//! permalink. A record without a usable (non-blank string) `title`, without an
//! `id` or `name`, or without `created_utc` is an error. Any other input field
//! is dropped: the collection keeps one shape, whatever the source carried.

use mongodb::bson::{doc, oid::ObjectId, Bson, DateTime, Document};
use serde::{Deserialize, Serialize};

use crate::keywords::keywords;

/// Where a post came from; stored as the `source` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// reddit exports, reddit API listings and generated posts.
    Reddit,
    /// StackExchange `Posts.xml` dumps (StackOverflow and its sister sites).
    StackExchange,
}

impl Source {
    /// The value stored in the `source` field.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Reddit => "reddit",
            Source::StackExchange => "stackexchange",
        }
    }
}

/// Why one record could not become a post. The record is reported with its
/// location and skipped; it never stops a (non-strict) import.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PostError {
    /// The line or element is not valid JSON.
    #[error("invalid JSON: {0}")]
    Json(String),
    /// The JSON value is not an object.
    #[error("expected a JSON object, found {0}")]
    NotAnObject(&'static str),
    /// The object is not valid MongoDB extended JSON (e.g. a bad `$oid`).
    #[error("invalid extended JSON: {0}")]
    ExtJson(String),
    /// A required field is missing, null or blank.
    #[error("missing or empty `{0}`")]
    Missing(&'static str),
    /// A field has a value that cannot be converted to its canonical type.
    #[error("field `{field}`: {reason}")]
    Invalid {
        /// The field name.
        field: &'static str,
        /// What was wrong with it.
        reason: String,
    },
    /// The post is too big to be written (MongoDB documents are at most 16 MiB).
    #[error("post too large ({0} bytes)")]
    TooLarge(usize),
}

/// A post in its canonical form: one document of the `posts` collection.
///
/// [`Post::to_document`] writes it with the exact BSON types of the table in
/// the module docs; `Deserialize` reads such a document back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Post {
    /// MongoDB's `_id`.
    #[serde(rename = "_id")]
    pub oid: ObjectId,
    /// The reddit base36 id (`"1fymy0"`), or `"so<Id>"` for StackOverflow.
    pub id: String,
    /// The unique key: `"t3_<id>"`, or `"so_<Id>"` for StackOverflow.
    pub name: String,
    /// The author's user name.
    pub author: String,
    /// The title, trimmed; never empty.
    pub title: String,
    /// The link (the permalink for self posts).
    pub url: String,
    /// The link's domain, `self.<subreddit>` for self posts.
    pub domain: String,
    /// The absolute URL of the discussion page.
    pub permalink: String,
    /// A thumbnail URL, or `""`.
    pub thumbnail: String,
    /// The text of a self post (HTML removed for StackOverflow), or `""`.
    pub selftext: String,
    /// Whether this is a text post rather than a link.
    pub is_self: bool,
    /// Whether the post is marked NSFW.
    pub over_18: bool,
    /// The subreddit, e.g. `"Python"` (`"stackoverflow"` for StackOverflow).
    pub subreddit: String,
    /// The subreddit's fullname, e.g. `"t5_2qh0y"`, or `""`.
    pub subreddit_id: String,
    /// When the post was created.
    pub created_utc: DateTime,
    /// `ups - downs`.
    pub score: i64,
    /// Up-votes.
    pub ups: i64,
    /// Down-votes.
    pub downs: i64,
    /// Number of comments.
    pub num_comments: i64,
    /// Search keywords: [`crate::keywords()`] of the title (plus tags).
    pub keywords: Vec<String>,
    /// Where the post came from.
    pub source: Source,
    /// StackOverflow tags (absent for reddit posts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// StackOverflow view count (absent for reddit posts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view_count: Option<i64>,
}

impl Post {
    /// The canonical BSON document, fields in the order of the module table.
    ///
    /// Built by hand rather than through serde so that every integer is
    /// certainly an Int64 and the function cannot fail.
    pub fn to_document(&self) -> Document {
        let mut d = doc! {
            "_id": self.oid,
            "id": &self.id,
            "name": &self.name,
            "author": &self.author,
            "title": &self.title,
            "url": &self.url,
            "domain": &self.domain,
            "permalink": &self.permalink,
            "thumbnail": &self.thumbnail,
            "selftext": &self.selftext,
            "is_self": self.is_self,
            "over_18": self.over_18,
            "subreddit": &self.subreddit,
            "subreddit_id": &self.subreddit_id,
            "created_utc": self.created_utc,
            "score": Bson::Int64(self.score),
            "ups": Bson::Int64(self.ups),
            "downs": Bson::Int64(self.downs),
            "num_comments": Bson::Int64(self.num_comments),
            "keywords": &self.keywords,
            "source": self.source.as_str(),
        };
        if let Some(tags) = &self.tags {
            d.insert("tags", tags);
        }
        if let Some(views) = self.view_count {
            d.insert("view_count", Bson::Int64(views));
        }
        d
    }

    /// A cheap over-estimate of the BSON size, used to keep a batch under the
    /// server's 16 MiB command limit without serialising twice.
    pub fn approx_size(&self) -> usize {
        let strings = [
            &self.id,
            &self.name,
            &self.author,
            &self.title,
            &self.url,
            &self.domain,
            &self.permalink,
            &self.thumbnail,
            &self.selftext,
            &self.subreddit,
            &self.subreddit_id,
        ];
        let text: usize = strings.iter().map(|s| s.len() + 16).sum();
        let lists: usize = self.keywords.iter().chain(self.tags.iter().flatten()).map(|k| k.len() + 16).sum();
        text + lists + 256
    }
}

/// Turns a raw record (reddit field names, loose types) into a canonical
/// [`Post`], following the rules of the module table.
pub fn normalise(raw: &Document, source: Source) -> Result<Post, PostError> {
    let oid = match raw.get("_id") {
        Some(Bson::ObjectId(oid)) => *oid,
        Some(Bson::String(s)) => ObjectId::parse_str(s).unwrap_or_else(|_| ObjectId::new()),
        // Any other `_id` cannot be stored as an ObjectId: the post gets a new
        // one (a re-import keeps the first, see the import's `$setOnInsert`).
        _ => ObjectId::new(),
    };

    let mut id = string_field(raw, "id")?.trim().to_owned();
    let mut name = string_field(raw, "name")?.trim().to_owned();
    if id.is_empty() {
        // A fullname is `<kind>_<id>`: `t3_1fymy0`.
        id = name.split_once('_').map_or(name.as_str(), |(_, rest)| rest).to_owned();
    }
    if id.is_empty() {
        return Err(PostError::Missing("id"));
    }
    if name.is_empty() {
        name = format!("t3_{id}");
    }

    let title = string_field(raw, "title")?.trim().to_owned();
    if title.is_empty() {
        return Err(PostError::Missing("title"));
    }

    let created_utc = datetime_field(raw, "created_utc")?.ok_or(PostError::Missing("created_utc"))?;

    let mut permalink = string_field(raw, "permalink")?;
    if permalink.starts_with('/') && source == Source::Reddit {
        permalink = format!("https://www.reddit.com{permalink}");
    }
    let mut subreddit = string_field(raw, "subreddit")?;
    if subreddit.is_empty() {
        subreddit = subreddit_from_permalink(&permalink).unwrap_or_default();
    }

    let mut domain = string_field(raw, "domain")?;
    let is_self = bool_field(raw, "is_self")?.unwrap_or_else(|| domain.starts_with("self."));
    let mut url = string_field(raw, "url")?;
    if url.is_empty() && is_self {
        url = permalink.clone();
    }
    if domain.is_empty() {
        domain = if is_self && !subreddit.is_empty() { format!("self.{subreddit}") } else { domain_of(&url) };
    }

    let downs = int_field(raw, "downs")?.unwrap_or(0);
    let ups_in = int_field(raw, "ups")?;
    let score = match int_field(raw, "score")? {
        Some(score) => score,
        None => ups_in.unwrap_or(0).saturating_sub(downs),
    };
    let ups = ups_in.unwrap_or_else(|| score.saturating_add(downs).max(0));

    let (tags, view_count) = match source {
        Source::Reddit => (None, None),
        Source::StackExchange => (Some(tags_field(raw)?), int_field(raw, "view_count")?),
    };
    let mut kws = keywords(&title);
    for tag in tags.iter().flatten() {
        for k in keywords(tag) {
            if !kws.contains(&k) {
                kws.push(k);
            }
        }
    }

    Ok(Post {
        oid,
        id,
        name,
        author: string_field(raw, "author")?,
        title,
        url,
        domain,
        permalink,
        thumbnail: string_field(raw, "thumbnail")?,
        selftext: string_field(raw, "selftext")?,
        is_self,
        over_18: bool_field(raw, "over_18")?.unwrap_or(false),
        subreddit,
        subreddit_id: string_field(raw, "subreddit_id")?,
        created_utc,
        score,
        ups,
        downs,
        num_comments: int_field(raw, "num_comments")?.unwrap_or(0),
        keywords: kws,
        source,
        tags,
        view_count,
    })
}

/// Parses one JSON value as MongoDB extended JSON (`$oid`, `$date`,
/// `$numberLong`… are understood) and normalises it.
pub fn normalise_json(value: serde_json::Value, source: Source) -> Result<Post, PostError> {
    let serde_json::Value::Object(map) = value else {
        return Err(PostError::NotAnObject(json_kind(&value)));
    };
    let raw = Document::try_from(map).map_err(|e| PostError::ExtJson(e.to_string()))?;
    normalise(&raw, source)
}

/// A JSON value's kind, for error messages.
pub(crate) fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// The subreddit named in a permalink such as
/// `http://www.reddit.com/r/Python/comments/1fymy0/slug/`.
pub fn subreddit_from_permalink(permalink: &str) -> Option<String> {
    let (_, rest) = permalink.split_once("/r/")?;
    let sub = rest.split('/').next()?;
    (!sub.is_empty()).then(|| sub.to_owned())
}

/// The host of a URL, without `www.` (as reddit shows domains), or `""`.
pub fn domain_of(url: &str) -> String {
    let Some((_, rest)) = url.split_once("://") else {
        return String::new();
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    // Drop credentials and port: `user@host:8080` → `host`.
    let host = host.rsplit('@').next().unwrap_or(host);
    let host = host.split(':').next().unwrap_or(host);
    host.strip_prefix("www.").unwrap_or(host).to_lowercase()
}

/// A string field: missing or null → `""`, scalars → their text.
fn string_field(raw: &Document, field: &'static str) -> Result<String, PostError> {
    match raw.get(field) {
        None | Some(Bson::Null) => Ok(String::new()),
        Some(Bson::String(s)) => Ok(s.clone()),
        Some(Bson::Int32(n)) => Ok(n.to_string()),
        Some(Bson::Int64(n)) => Ok(n.to_string()),
        Some(Bson::Double(x)) => Ok(x.to_string()),
        Some(Bson::Boolean(b)) => Ok(b.to_string()),
        Some(other) => Err(invalid(field, format!("expected a string, found {other}"))),
    }
}

/// A boolean field: booleans, `"true"`/`"False"` (any case), `"0"`/`"1"`,
/// `0`/`1`; missing or null → `None`.
fn bool_field(raw: &Document, field: &'static str) -> Result<Option<bool>, PostError> {
    let value = match raw.get(field) {
        None | Some(Bson::Null) => return Ok(None),
        Some(v) => v,
    };
    let parsed = match value {
        Bson::Boolean(b) => Some(*b),
        Bson::Int32(n) => int_to_bool(i64::from(*n)),
        Bson::Int64(n) => int_to_bool(*n),
        Bson::Double(x) if *x == 0.0 || *x == 1.0 => Some(*x == 1.0),
        Bson::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Some(true),
            "false" | "0" | "" => Some(false),
            _ => None,
        },
        _ => None,
    };
    parsed.map(Some).ok_or_else(|| invalid(field, format!("expected a boolean, found {value}")))
}

/// `0` → false, `1` → true, anything else is not a boolean.
fn int_to_bool(n: i64) -> Option<bool> {
    match n {
        0 => Some(false),
        1 => Some(true),
        _ => None,
    }
}

/// An integer field: ints, finite floats (rounded), numeric strings;
/// missing, null or `""` → `None`.
fn int_field(raw: &Document, field: &'static str) -> Result<Option<i64>, PostError> {
    match raw.get(field) {
        None | Some(Bson::Null) => Ok(None),
        Some(Bson::Int32(n)) => Ok(Some(i64::from(*n))),
        Some(Bson::Int64(n)) => Ok(Some(*n)),
        Some(Bson::Double(x)) => {
            float_to_int(*x).map(Some).ok_or_else(|| invalid(field, format!("{x} is not a usable integer")))
        }
        Some(Bson::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Bson::String(s)) => {
            let s = s.trim();
            s.parse::<i64>()
                .ok()
                .or_else(|| s.parse::<f64>().ok().and_then(float_to_int))
                .map(Some)
                .ok_or_else(|| invalid(field, format!("{s:?} is not a number")))
        }
        Some(other) => Err(invalid(field, format!("expected a number, found {other}"))),
    }
}

/// A float as an integer, if it is finite and within `i64`.
fn float_to_int(x: f64) -> Option<i64> {
    // 9.2e18 keeps the cast away from i64's edges, where it would saturate.
    (x.is_finite() && x.abs() < 9.2e18).then(|| x.round() as i64)
}

/// A date field: epoch seconds (int, float or numeric string), a BSON date
/// (`$date`), or an RFC 3339 / ISO 8601 string (UTC when it has no offset).
fn datetime_field(raw: &Document, field: &'static str) -> Result<Option<DateTime>, PostError> {
    let seconds = |x: f64| -> Result<Option<DateTime>, PostError> {
        let millis = x * 1000.0;
        if x.is_finite() && millis.abs() < 9.2e18 {
            Ok(Some(DateTime::from_millis(millis.round() as i64)))
        } else {
            Err(invalid(field, format!("{x} is not a usable timestamp")))
        }
    };
    match raw.get(field) {
        None | Some(Bson::Null) => Ok(None),
        Some(Bson::DateTime(d)) => Ok(Some(*d)),
        Some(Bson::Int32(n)) => seconds(f64::from(*n)),
        Some(Bson::Int64(n)) => seconds(*n as f64),
        Some(Bson::Double(x)) => seconds(*x),
        Some(Bson::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Bson::String(s)) => {
            let s = s.trim();
            if let Ok(x) = s.parse::<f64>() {
                return seconds(x);
            }
            parse_date_string(s).map(Some).ok_or_else(|| invalid(field, format!("{s:?} is not a date")))
        }
        Some(other) => Err(invalid(field, format!("expected a date, found {other}"))),
    }
}

/// Parses `2013-06-09T02:54:42Z`, `2013-06-09T02:54:42.667+02:00` or the
/// offset-less `2008-07-31T21:42:52.667` of StackExchange dumps (taken as UTC).
pub fn parse_date_string(s: &str) -> Option<DateTime> {
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(DateTime::from_millis(d.timestamp_millis()));
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|fmt| chrono::NaiveDateTime::parse_from_str(s, fmt).ok())
        .map(|naive| DateTime::from_millis(naive.and_utc().timestamp_millis()))
}

/// StackOverflow tags: an array of strings, or the dump's `<a><b>` or
/// `|a|b|` string.
fn tags_field(raw: &Document) -> Result<Vec<String>, PostError> {
    match raw.get("tags") {
        None | Some(Bson::Null) => Ok(Vec::new()),
        Some(Bson::String(s)) => Ok(parse_tags(s)),
        Some(Bson::Array(items)) => items
            .iter()
            .map(|item| match item {
                Bson::String(s) => Ok(s.clone()),
                other => Err(invalid("tags", format!("expected strings, found {other}"))),
            })
            .collect(),
        Some(other) => Err(invalid("tags", format!("expected tags, found {other}"))),
    }
}

/// Splits a StackExchange tag string: `<rust><mongodb>` or `|rust|mongodb|`.
pub fn parse_tags(s: &str) -> Vec<String> {
    s.split(['<', '>', '|']).map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect()
}

/// Shorthand for [`PostError::Invalid`].
fn invalid(field: &'static str, reason: String) -> PostError {
    PostError::Invalid { field, reason }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::{self, Bson};
    use serde_json::json;

    /// The real line quoted in the crate's brief (one record of a mongoexport).
    fn export_line() -> serde_json::Value {
        json!({"_id":{"$oid":"55a8c847bb6df3bce60b1ee0"},"author":"thegnome54","author_flair_css_class":"","created_utc":1.370746482e+09,"distinguished":"","domain":"i.imgur.com","downs":201,"edited":"False","id":"1fymy0","is_self":"False","link_flair_css_class":"","link_flair_text":"","name":"t3_1fymy0","num_comments":49,"over_18":"False","permalink":"http://www.reddit.com/r/Python/comments/1fymy0/i_got_a_funny_error_trying_to_open_a_file_and/","score":1003,"selftext":"","subreddit_id":"t5_2qh0y","thumbnail":"","title":"I got a funny error trying to open a file, and decided to illustrate it.","ups":1204,"url":"http://i.imgur.com/To3DQ6J.jpg"})
    }

    #[test]
    fn mongoexport_line_becomes_canonical() {
        let post = normalise_json(export_line(), Source::Reddit).expect("valid");
        let d = post.to_document();
        assert_eq!(d.get_object_id("_id").map(|o| o.to_hex()).ok().as_deref(), Some("55a8c847bb6df3bce60b1ee0"));
        assert_eq!(d.get_str("id").ok(), Some("1fymy0"));
        assert_eq!(d.get_str("name").ok(), Some("t3_1fymy0"));
        assert_eq!(d.get_str("subreddit").ok(), Some("Python"));
        assert_eq!(d.get_bool("is_self").ok(), Some(false));
        assert_eq!(d.get_bool("over_18").ok(), Some(false));
        assert_eq!(d.get("score"), Some(&Bson::Int64(1003)));
        assert_eq!(d.get("ups"), Some(&Bson::Int64(1204)));
        assert_eq!(d.get("downs"), Some(&Bson::Int64(201)));
        assert_eq!(d.get("num_comments"), Some(&Bson::Int64(49)));
        assert_eq!(d.get_datetime("created_utc").map(|t| t.timestamp_millis()).ok(), Some(1_370_746_482_000));
        assert_eq!(d.get_str("source").ok(), Some("reddit"));
        // Extra fields are dropped.
        assert!(d.get("edited").is_none() && d.get("distinguished").is_none());
        let kws: Vec<&str> =
            d.get_array("keywords").map(|a| a.iter().filter_map(Bson::as_str).collect()).unwrap_or_default();
        assert_eq!(kws, ["got", "funni", "error", "tri", "open", "file", "decid", "illustr"]);
        // Exactly the canonical fields, no more.
        let keys: Vec<&str> = d.keys().map(String::as_str).collect();
        assert_eq!(keys.len(), 21, "{keys:?}");
    }

    #[test]
    fn document_round_trips_through_serde() {
        let post = normalise_json(export_line(), Source::Reddit).expect("valid");
        let back: Post = bson::from_document(post.to_document()).expect("deserialises");
        assert_eq!(back, post);
    }

    #[test]
    fn loose_types_are_accepted() {
        let v = json!({
            "name": "t3_abc", "title": "  Hello  ", "created_utc": {"$date": "2014-01-02T03:04:05Z"},
            "score": "12", "ups": 14.0, "downs": {"$numberLong": "2"}, "num_comments": {"$numberInt": "7"},
            "is_self": 1, "over_18": "TRUE", "domain": "self.learnpython",
        });
        let p = normalise_json(v, Source::Reddit).expect("valid");
        assert_eq!((p.id.as_str(), p.name.as_str(), p.title.as_str()), ("abc", "t3_abc", "Hello"));
        assert_eq!((p.score, p.ups, p.downs, p.num_comments), (12, 14, 2, 7));
        assert!(p.is_self && p.over_18);
        assert_eq!(p.created_utc.timestamp_millis(), 1_388_631_845_000);
        assert_eq!(p.author, "");
        // A new ObjectId when the input has none.
        assert_ne!(p.oid, ObjectId::from_bytes([0; 12]));
    }

    #[test]
    fn derived_fields_fill_gaps() {
        let v = json!({"id": "x1", "title": "T", "created_utc": 1400000000,
            "permalink": "/r/learnpython/comments/x1/t/", "ups": 10, "downs": 3, "is_self": true});
        let p = normalise_json(v, Source::Reddit).expect("valid");
        assert_eq!(p.name, "t3_x1");
        assert_eq!(p.permalink, "https://www.reddit.com/r/learnpython/comments/x1/t/");
        assert_eq!(p.subreddit, "learnpython");
        assert_eq!(p.domain, "self.learnpython");
        assert_eq!(p.url, p.permalink);
        assert_eq!(p.score, 7);
    }

    #[test]
    fn bad_records_are_errors_not_panics() {
        let cases = [
            (json!({"id": "a", "created_utc": 1}), PostError::Missing("title")),
            (json!({"id": "a", "title": "   ", "created_utc": 1}), PostError::Missing("title")),
            (json!({"title": "t", "created_utc": 1}), PostError::Missing("id")),
            (json!({"id": "a", "title": "t"}), PostError::Missing("created_utc")),
        ];
        for (v, want) in cases {
            assert_eq!(normalise_json(v, Source::Reddit).err(), Some(want));
        }
        for v in [
            json!({"id": "a", "title": "t", "created_utc": 1, "score": "lots"}),
            json!({"id": "a", "title": "t", "created_utc": 1, "is_self": "maybe"}),
            json!({"id": "a", "title": "t", "created_utc": "yesterday"}),
            json!({"id": "a", "title": ["t"], "created_utc": 1}),
            json!({"id": "a", "title": "t", "created_utc": 1e300}),
            json!({"_id": {"$oid": "nothex"}, "id": "a", "title": "t", "created_utc": 1}),
            json!([1, 2]),
        ] {
            assert!(normalise_json(v, Source::Reddit).is_err());
        }
    }

    #[test]
    fn stackoverflow_keeps_tags_and_views() {
        let raw = doc! {"id": "so5", "name": "so_5", "title": "Borrow checker and closures",
        "created_utc": DateTime::from_millis(0), "tags": "<rust><closures>", "view_count": "42"};
        let p = normalise(&raw, Source::StackExchange).expect("valid");
        assert_eq!(p.tags.as_deref(), Some(&["rust".to_owned(), "closures".to_owned()][..]));
        assert_eq!(p.view_count, Some(42));
        assert_eq!(p.keywords, ["borrow", "checker", "closur", "rust"]);
        assert_eq!(p.to_document().get_str("source").ok(), Some("stackexchange"));
    }

    #[test]
    fn helpers() {
        assert_eq!(domain_of("https://www.GitHub.com:443/a?b"), "github.com");
        assert_eq!(domain_of("not a url"), "");
        assert_eq!(subreddit_from_permalink("http://x/r/Python/comments/1/"), Some("Python".into()));
        assert_eq!(subreddit_from_permalink("http://x/comments/"), None);
        assert_eq!(parse_tags("|a|b-c|"), ["a", "b-c"]);
        assert!(parse_date_string("2008-07-31T21:42:52.667").is_some());
        assert!(parse_date_string("31/07/2008").is_none());
    }
}
