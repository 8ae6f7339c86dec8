//! The generator end to end: generated posts import cleanly, `--like`
//! imitates its sample, and `stats` summarises the result.

use std::collections::BTreeSet;

use datasets::generate::{generate, GenerateOptions, Profile};
use datasets::import::{import_files, ImportOptions};

use crate::helpers::{fixture, TestDb};

#[tokio::test]
async fn generated_posts_import_cleanly_and_stats_sees_them() {
    let t = TestDb::new().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("generated.jsonl");
    let mut file = std::fs::File::create(&path).expect("create");
    let options = GenerateOptions { count: 200, ..GenerateOptions::default() };
    assert_eq!(generate(&mut file, &options, None).expect("generate"), 200);
    drop(file);

    let s = import_files(&t.db, &[path], &ImportOptions::default()).await.expect("import");
    assert_eq!((s.read, s.written, s.skipped, s.errors), (200, 200, 0, 0));
    assert_eq!(t.count().await, 200);

    let stats = datasets::stats::collect(&t.db).await.expect("stats");
    assert_eq!(stats.total, 200);
    assert_eq!(stats.by_source, [("reddit".to_owned(), 200)]);
    let score = stats.score.expect("scores");
    assert!(score.min <= score.p50 && score.p50 <= score.p90 && score.p90 <= score.p99 && score.p99 <= score.max);
    assert_eq!(stats.buckets.iter().map(|b| b.1).sum::<u64>(), 200);
    assert_eq!(stats.top_domains.len(), 10);
    assert!(stats.top_keywords.len() == 10 && stats.top_keywords[0].1 >= stats.top_keywords[9].1);
    let text = stats.to_string();
    assert!(text.contains("score > 50") && text.contains("top domains"), "{text}");
    t.drop().await;
}

#[test]
fn like_imitates_the_sample() {
    let sample = fixture("like-sample.jsonl");
    let profile = Profile::learn(&sample).expect("learn");
    assert_eq!(profile.len(), 8);
    let sample_domains: BTreeSet<&str> = profile.domains().into_iter().collect();
    assert_eq!(sample_domains, ["crates-showcase.io", "ferris-blog.dev", "i.imgur.com", "rustacean-notes.org"].into());

    let mut out = Vec::new();
    let options = GenerateOptions { count: 400, seed: 5, progress: false };
    generate(&mut out, &options, Some(&profile)).expect("generate");
    let posts: Vec<serde_json::Value> =
        String::from_utf8(out).expect("utf-8").lines().map(|l| serde_json::from_str(l).expect("json line")).collect();
    assert_eq!(posts.len(), 400);

    let sample_words: BTreeSet<String> = std::fs::read_to_string(&sample)
        .expect("read")
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["title"].as_str().map(str::to_owned))
        .flat_map(|t| t.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .collect();
    let mut selfs = 0;
    for p in &posts {
        let domain = p["domain"].as_str().expect("domain");
        if p["is_self"] == true {
            selfs += 1;
            assert_eq!(domain, "self.rust");
        } else {
            assert!(sample_domains.contains(domain), "{domain} is not from the sample");
        }
        assert_eq!(p["subreddit"], "rust");
        assert_eq!(p["subreddit_id"], "t5_2s7lj");
        let score = p["score"].as_i64().expect("score");
        assert!((12..=900).contains(&score), "score {score} outside the sample's range");
        let created = p["created_utc"].as_i64().expect("date");
        assert!((1_500_000_000..=1_500_700_000).contains(&created));
        for word in p["title"].as_str().expect("title").split_whitespace() {
            assert!(sample_words.contains(word), "{word} is not a sample title word");
        }
    }
    // 2 self posts out of 8 in the sample.
    assert!((60..=140).contains(&selfs), "{selfs} self posts");
}

#[test]
fn like_on_an_empty_sample_is_an_error() {
    let (_dir, path) = crate::helpers::temp_file("empty.jsonl", "\n{\"id\": 1}\n");
    assert!(matches!(Profile::learn(&path), Err(datasets::Error::EmptySample { .. })));
}

#[test]
fn the_shipped_dataset_is_what_the_readme_command_makes() {
    // `cargo run -q -p datasets -- generate --count 1000 --seed 42 -o datasets/reddit-1000.jsonl`
    let shipped = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/reddit-1000.jsonl")).expect("shipped dataset");
    let mut generated = Vec::new();
    let options = GenerateOptions { count: 1000, seed: 42, progress: false };
    generate(&mut generated, &options, None).expect("generate");
    assert!(shipped == generated, "datasets/reddit-1000.jsonl is stale: re-run the command in datasets/README.md");
}
