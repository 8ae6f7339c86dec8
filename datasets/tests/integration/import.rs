//! `datasets::import` against the server: each format, malformed records,
//! idempotency, `--strict`.

use mongodb::bson::{Bson, Document};

use datasets::import::{import_files, Format, ImportOptions};
use datasets::Error;

use crate::helpers::{fixture, temp_file, TestDb};

/// The keys of a canonical reddit post, sorted.
const CANONICAL: &[&str] = &[
    "_id",
    "author",
    "created_utc",
    "domain",
    "downs",
    "id",
    "is_self",
    "keywords",
    "name",
    "num_comments",
    "over_18",
    "permalink",
    "score",
    "selftext",
    "source",
    "subreddit",
    "subreddit_id",
    "thumbnail",
    "title",
    "ups",
    "url",
];

/// A document's keys, sorted (an upsert's `$set` does not keep the order).
fn keys(d: &Document) -> Vec<&str> {
    let mut keys: Vec<&str> = d.keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

#[tokio::test]
async fn jsonl_malformed_lines_are_reported_and_skipped() {
    let t = TestDb::new().await;
    let path = fixture("posts.jsonl");
    let summary = import_files(&t.db, std::slice::from_ref(&path), &ImportOptions::default()).await.expect("import");
    assert_eq!((summary.read, summary.written, summary.skipped, summary.errors), (5, 3, 0, 2), "{summary:?}");
    let shown = path.display().to_string();
    assert_eq!(summary.reports.len(), 2);
    assert!(summary.reports[0].starts_with(&format!("{shown}:3: invalid JSON")), "{:?}", summary.reports);
    assert_eq!(summary.reports[1], format!("{shown}:6: missing or empty `title`"));

    let posts = t.posts().await;
    assert_eq!(posts.keys().collect::<Vec<_>>(), ["t3_abc1", "t3_abc2", "t3_abc4"]);
    let p1 = &posts["t3_abc1"];
    assert_eq!(keys(p1), CANONICAL);
    assert_eq!(p1.get_object_id("_id").map(|o| o.to_hex()).ok().as_deref(), Some("5f0000000000000000000001"));
    assert_eq!(p1.get("score"), Some(&Bson::Int64(17)));
    assert_eq!(p1.get_bool("is_self").ok(), Some(false));
    assert_eq!(p1.get_str("subreddit").ok(), Some("Python"));
    assert!(matches!(p1.get("created_utc"), Some(Bson::DateTime(d)) if d.timestamp_millis() == 1_400_000_000_000));
    let kws: Vec<&str> = p1.get_array("keywords").expect("keywords").iter().filter_map(Bson::as_str).collect();
    assert_eq!(kws, ["tini", "asyncio", "web", "crawler"]);

    let p2 = &posts["t3_abc2"];
    assert_eq!(keys(p2), CANONICAL);
    assert_eq!(
        (p2.get("score"), p2.get("ups"), p2.get("downs"), p2.get("num_comments")),
        (Some(&Bson::Int64(90)), Some(&Bson::Int64(100)), Some(&Bson::Int64(10)), Some(&Bson::Int64(12)))
    );
    assert_eq!(p2.get_str("permalink").ok(), Some("https://www.reddit.com/r/Python/comments/abc2/pandas_cheat_sheet/"));
    assert_eq!(posts["t3_abc4"].get_bool("is_self").ok(), Some(true));
    t.drop().await;
}

#[tokio::test]
async fn reimport_changes_nothing() {
    let t = TestDb::new().await;
    let paths = [fixture("posts.jsonl"), fixture("listing.json")];
    let first = import_files(&t.db, &paths, &ImportOptions::default()).await.expect("import");
    let before = t.posts().await;
    let second = import_files(&t.db, &paths, &ImportOptions::default()).await.expect("re-import");
    let after = t.posts().await;
    assert_eq!(first, second);
    assert_eq!(t.count().await, 5);
    // Same documents, including the `_id` generated for a line without one.
    assert_eq!(before, after);
    t.drop().await;
}

#[tokio::test]
async fn json_array_listing_and_stackexchange() {
    let t = TestDb::new().await;
    let options = ImportOptions::default();

    let s = import_files(&t.db, &[fixture("posts-array.json")], &options).await.expect("array");
    assert_eq!((s.read, s.written, s.skipped, s.errors), (3, 3, 0, 0));

    let s = import_files(&t.db, &[fixture("listing.json")], &options).await.expect("listing");
    assert_eq!((s.read, s.written, s.skipped, s.errors), (3, 2, 1, 0));

    let s = import_files(&t.db, &[fixture("Posts.xml")], &options).await.expect("xml");
    assert_eq!((s.read, s.written, s.skipped, s.errors), (2, 1, 1, 0));

    let posts = t.posts().await;
    assert_eq!(posts.len(), 6);
    let arr3 = &posts["t3_arr3"];
    assert_eq!(arr3.get("ups"), Some(&Bson::Int64(3)), "missing ups = score + downs");
    assert_eq!(arr3.get_str("url").ok(), Some("https://www.reddit.com/r/Python/comments/arr3/sqlalchemy_or_peewee/"));
    let lst1 = &posts["t3_lst1"];
    assert_eq!(
        lst1.get_str("permalink").ok(),
        Some("https://www.reddit.com/r/Python/comments/lst1/type_hints_in_python_35/")
    );
    assert_eq!(keys(lst1), CANONICAL, "extra fields such as `stickied` are dropped");

    let so = &posts["so_101"];
    assert_eq!(so.get_str("id").ok(), Some("so101"));
    assert_eq!(so.get_str("source").ok(), Some("stackexchange"));
    assert_eq!(so.get_str("author").ok(), Some("user77"));
    assert_eq!(so.get_str("selftext").ok(), Some("How do I share a MongoClient between tokio tasks?"));
    assert_eq!(so.get("view_count"), Some(&Bson::Int64(3456)));
    assert_eq!(so.get("num_comments"), Some(&Bson::Int64(2)));
    let tags: Vec<&str> = so.get_array("tags").expect("tags").iter().filter_map(Bson::as_str).collect();
    assert_eq!(tags, ["rust", "mongodb", "async-await"]);
    let kws: Vec<&str> = so.get_array("keywords").expect("keywords").iter().filter_map(Bson::as_str).collect();
    assert_eq!(kws, ["share", "mongodb", "client", "async", "task", "rust", "await"]);
    t.drop().await;
}

#[tokio::test]
async fn forced_format_and_several_files() {
    let t = TestDb::new().await;
    // A JSON array named .txt: detection looks at the content anyway, and a
    // forced format must agree with it.
    let (_dir, path) = temp_file("posts.txt", &std::fs::read_to_string(fixture("posts-array.json")).expect("read"));
    let options = ImportOptions { format: Format::Json, ..ImportOptions::default() };
    let s =
        import_files(&t.db, &[path, fixture("Posts.xml")], &ImportOptions { format: Format::Auto, ..options.clone() })
            .await
            .expect("import");
    assert_eq!((s.read, s.written, s.skipped, s.errors), (5, 4, 1, 0));
    // Forcing JSON lines on an XML file: every line is malformed, none panics.
    let forced = ImportOptions { format: Format::Jsonl, ..options };
    let s = import_files(&t.db, &[fixture("Posts.xml")], &forced).await.expect("import");
    assert_eq!((s.written, s.errors), (0, 5));
    t.drop().await;
}

#[tokio::test]
async fn strict_stops_at_the_first_malformed_record_keeping_what_was_written() {
    let t = TestDb::new().await;
    let good = |id: &str| format!("{{\"id\":\"{id}\",\"title\":\"Post {id}\",\"created_utc\":1400000000}}\n");
    let content = format!("{}{}{{\"id\": broken\n{}", good("s1"), good("s2"), good("s3"));
    let (_dir, path) = temp_file("strict.jsonl", &content);
    let options = ImportOptions { strict: true, batch_size: 1, ..ImportOptions::default() };
    match import_files(&t.db, std::slice::from_ref(&path), &options).await {
        Err(Error::Strict { location, summary, .. }) => {
            assert_eq!(location, format!("{}:3", path.display()));
            assert_eq!((summary.read, summary.written, summary.errors), (3, 2, 1));
        }
        other => panic!("expected a strict failure, got {other:?}"),
    }
    let posts = t.posts().await;
    assert_eq!(posts.keys().collect::<Vec<_>>(), ["t3_s1", "t3_s2"]);

    // Without --strict the same file imports everything but the bad line.
    let s = import_files(&t.db, &[path], &ImportOptions::default()).await.expect("import");
    assert_eq!((s.read, s.written, s.errors), (4, 3, 1));
    t.drop().await;
}

#[tokio::test]
async fn a_missing_file_is_an_error() {
    let t = TestDb::new().await;
    let result = import_files(&t.db, &[fixture("no-such-file.jsonl")], &ImportOptions::default()).await;
    assert!(matches!(result, Err(Error::Io { .. })), "{result:?}");
    t.drop().await;
}

#[tokio::test]
async fn unreachable_server_names_the_uri_and_make_db() {
    let uri = "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300&connectTimeoutMS=300";
    let err = datasets::db::connect(uri, "x").await.expect_err("nothing listens on port 1");
    let message = err.to_string();
    assert!(message.contains("127.0.0.1:1") && message.contains("make db"), "{message}");
}
