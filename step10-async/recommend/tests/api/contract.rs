//! The v1 contract: for the same posts, `/v1/recommendations` answers
//! exactly what step 08's `recommendations` aggregation answers through
//! mongo-rest (the pinned domain `tests/step08-recommendations.toml`).

use mongodb::bson::{doc, oid::ObjectId, Bson, DateTime, Document};
use serde_json::json;

use crate::helpers::{spawn_recommend, spawn_step08};

/// ~40 varied posts: scores around 50, repeated `upsanddowns` and
/// comment counts (tie-breaks), missing and `null` fields, duplicate
/// keywords.
fn posts() -> Vec<Document> {
    let words = ["rust", "python", "async", "web", "flask", "data"];
    (0..42_i64)
        .map(|i| {
            let mut d = doc! {
                "_id": ObjectId::new(),
                "title": format!("post {i}"), "author": format!("user{}", i % 4),
                "url": format!("https://example.com/{i}"), "domain": "example.com",
                "permalink": format!("/r/Python/comments/{i}/"), "is_self": i % 3 == 0,
                "created_utc": DateTime::from_millis(1_364_898_553_000 + i * 86_400_000),
                "score": 44 + (i * 7) % 15, "ups": i % 4, "downs": i % 3, "num_comments": i % 5,
            };
            let kw: Vec<&str> = vec![words[(i % 6) as usize], words[(i / 6 % 6) as usize], words[(i % 6) as usize]];
            d.insert("keywords", kw);
            if i % 7 == 0 {
                d.remove("title");
                d.remove("author");
            }
            if i % 9 == 0 {
                d.remove("num_comments");
            }
            if i % 11 == 0 {
                d.remove("downs");
            }
            if i % 13 == 0 {
                d.remove("keywords");
            }
            if i == 17 || i == 34 {
                d.insert("num_comments", Bson::Null);
                d.insert("url", Bson::Null);
            }
            d
        })
        .collect()
}

#[actix_web::test]
async fn v1_answers_exactly_what_step08s_aggregation_answers() {
    let step08 = spawn_step08().await;
    let recommend = spawn_recommend().await;
    step08.seed("posts", posts()).await;
    // The same posts as the posts API renders them, fed through sync.
    let mut rendered = step08.get("/posts?max_results=50").await.body["_items"].as_array().cloned().unwrap();
    assert_eq!(rendered.len(), 42);
    rendered.sort_by(|a, b| a["_id"].as_str().cmp(&b["_id"].as_str()));
    let apply = json!({ "expect": { "seq": null, "snapshot": null }, "snapshot": { "seq": 0, "posts": rendered, "done": true } });
    recommend.post("/sync/apply", &apply).await.assert_status(200);

    for query in [
        "",
        "?topics=",
        "?topics=rust",
        "?topics=rust,async,web",
        "?topics=rust,rust,async",
        "?topics=unknown,nothing",
        "?max_results=1",
        "?max_results=50&topics=data",
        "?max_results=5&page=2&topics=python,flask",
        "?min_score=55",
        "?page=9",
    ] {
        let want = step08.get(&format!("/aggregations/recommendations{query}")).await;
        let got = recommend.get(&format!("/v1/recommendations{query}")).await;
        want.assert_status(200);
        got.assert_status(200);
        assert_eq!(
            got.body["_items"], want.body["_items"],
            "{query}: v1 differs from step 08\n{:#}\n{:#}",
            got.body, want.body
        );
        assert_eq!(got.body["_meta"], want.body["_meta"], "{query}");
        assert_eq!(got.body["_links"].get("next").is_some(), want.body["_links"].get("next").is_some(), "{query}");
    }
    let sample = recommend.get("/v1/recommendations?max_results=50").await;
    assert!(sample.body["_items"].as_array().unwrap().len() > 10, "the data exercises the ranking");

    for bad in
        ["?topics=a,,b", "?topics=a,", "?max_results=0", "?max_results=51", "?page=0", "?topic=x", "?topics=$title"]
    {
        let want = step08.get(&format!("/aggregations/recommendations{bad}")).await;
        let got = recommend.get(&format!("/v1/recommendations{bad}")).await;
        assert_eq!((got.status, &got.body), (want.status, &want.body), "{bad}");
    }
}
