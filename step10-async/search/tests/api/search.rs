//! The verb: every keyword present, best score first then newest `_id`,
//! paged with `next` only when there is a next page, items rendered as the
//! posts API renders them.

use serde_json::json;

use crate::helpers::{id, post, spawn_app, CREATED};

#[actix_web::test]
async fn every_keyword_of_the_query_must_be_in_a_post() {
    let app = spawn_app().await;
    app.snapshot(
        10,
        vec![
            post(1, "Rust async runtimes compared", 10),
            post(2, "Rust web frameworks", 20),
            post(3, "Python async for beginners", 30),
        ],
    )
    .await;
    assert_eq!(app.found("rust async", "").await, [id(1)]);
    assert_eq!(app.found("rust", "").await, [id(2), id(1)]);
    // Query words are stemmed like the titles: "runtime" finds "runtimes".
    assert_eq!(app.found("Runtime", "").await, [id(1)]);
    assert!(app.found("rust haskell", "").await.is_empty());
    // Only stop words: no keywords, so nothing is found (not an error).
    let page = app.search("the and of", "").await;
    page.assert_status(200);
    assert_eq!(page.body["_items"], json!([]));
    assert!(page.body["_links"].get("next").is_none());
}

#[actix_web::test]
async fn results_are_ranked_by_score_then_newest_id() {
    let app = spawn_app().await;
    app.snapshot(3, vec![post(1, "flask tips", 10), post(2, "flask tricks", 50), post(3, "flask again", 50)]).await;
    assert_eq!(app.found("flask", "").await, [id(3), id(2), id(1)]);
}

#[actix_web::test]
async fn items_are_rendered_as_the_posts_api_renders_them() {
    let app = spawn_app().await;
    app.snapshot(1, vec![post(7, "Tokio internals", 42)]).await;
    let page = app.search("tokio", "").await;
    page.assert_status(200);
    assert_eq!(
        page.body["_items"],
        json!([{
            "_id": id(7),
            "title": "Tokio internals",
            "url": "https://example.com/7",
            "permalink": "/r/test/comments/7/",
            "domain": "example.com",
            "author": "alice",
            "thumbnail": "default",
            "created_utc": CREATED,
            "score": 42,
            "num_comments": 3,
            "is_self": false,
        }]),
        "hex id, RFC 1123 date, only the result fields (no keywords, _seq or what search does not keep)"
    );
    assert_eq!(page.body["_meta"], json!({ "page": 1, "max_results": 20 }));
    assert_eq!(page.body["_links"]["self"], json!({ "title": "search", "href": "v1/search?q=tokio" }));
    assert_eq!(page.body["_links"]["parent"], json!({ "title": "home", "href": "/" }));
}

#[actix_web::test]
async fn pages_have_next_only_when_there_is_a_next_page() {
    let app = spawn_app().await;
    app.snapshot(5, (1..=5).map(|n| post(n, "paging test", i64::from(n))).collect()).await;
    let first = app.search("paging", "&max_results=2").await;
    first.assert_status(200);
    let ids: Vec<&str> = first.body["_items"].as_array().unwrap().iter().map(|i| i["_id"].as_str().unwrap()).collect();
    assert_eq!(ids, [id(5), id(4)]);
    assert_eq!(first.body["_meta"], json!({ "page": 1, "max_results": 2 }));
    assert_eq!(first.body["_links"]["next"]["href"], "v1/search?q=paging&max_results=2&page=2");
    assert!(first.body["_links"].get("prev").is_none());

    assert_eq!(app.found("paging", "&max_results=2&page=2").await, [id(3), id(2)]);
    let last = app.search("paging", "&max_results=2&page=3").await;
    assert_eq!(last.body["_items"].as_array().unwrap().len(), 1);
    assert!(last.body["_links"].get("next").is_none(), "{:#}", last.body);
    assert_eq!(last.body["_links"]["prev"]["href"], "v1/search?q=paging&max_results=2&page=2");
    // Exactly a page's worth: no next page.
    let exact = app.search("paging", "&max_results=5").await;
    assert_eq!(exact.body["_items"].as_array().unwrap().len(), 5);
    assert!(exact.body["_links"].get("next").is_none());
    // Past the end: an empty page, not an error.
    assert!(app.found("paging", "&max_results=2&page=9").await.is_empty());
}
