//! A change written in posts reaches search, recommend and the pages:
//! created, changed and deleted through the posts API, each visible within
//! 5 s everywhere it should be, and nowhere it should not.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{eventually, page, System};

/// The bound on how long a write may take to reach the targets.
const WITHIN: Duration = Duration::from_secs(5);

/// Whether search finds the post `id` for `q`.
async fn search_finds(system: &System, q: &str, id: &str) -> bool {
    let page = system.search.get(&format!("/v1/search?q={q}")).await;
    page.status == 200 && page.body["_items"].as_array().is_some_and(|items| items.iter().any(|i| i["_id"] == id))
}

/// Whether recommend's v1 and v2 (no topics, 50 items) both list `id`.
async fn recommend_lists(system: &System, id: &str) -> bool {
    let mut listed = true;
    for version in ["v1", "v2"] {
        let page = system.recommend.get(&format!("/{version}/recommendations?max_results=50")).await;
        listed &= page.status == 200
            && page.body["_items"].as_array().is_some_and(|items| items.iter().any(|i| i["_id"] == id));
    }
    listed
}

#[actix_web::test]
async fn a_post_is_found_changed_and_gone_in_search_and_recommend_within_5_seconds() {
    let system = System::start().await;
    system.wait_synced(Duration::from_secs(10)).await;

    // Created: a unique word, a score that makes it the first candidate.
    let post = system.create_post("Zyzzyvas of the systemtest kind", 900).await;
    let id = post["_id"].as_str().unwrap().to_owned();
    let took = eventually(WITHIN, "search finds the new post", || search_finds(&system, "zyzzyvas", &id)).await;
    eprintln!("created → search: {took:?}");
    eventually(WITHIN, "recommend lists the new post", || recommend_lists(&system, &id)).await;

    // Changed: a new title (new keywords), a score under the threshold.
    let etag = post["_etag"].as_str().unwrap().to_owned();
    let if_match = format!("\"{etag}\"");
    let patch = json!({ "title": "Quokkas of the systemtest kind", "score": 7 });
    let patched =
        system.posts.request("PATCH", &format!("/posts/{id}"), &[("if-match", &if_match)], Some(&patch)).await;
    patched.assert_status(200);
    eventually(WITHIN, "search finds the new title", || search_finds(&system, "quokkas", &id)).await;
    assert!(!search_finds(&system, "zyzzyvas", &id).await, "the old title still matches");
    eventually(WITHIN, "recommend drops a post under the threshold", || async { !recommend_lists(&system, &id).await })
        .await;

    // Deleted: gone from search (recommend had already dropped it).
    let etag = patched.body["_etag"].as_str().unwrap().to_owned();
    let if_match = format!("\"{etag}\"");
    system.posts.request("DELETE", &format!("/posts/{id}"), &[("if-match", &if_match)], None).await.assert_status(204);
    eventually(WITHIN, "search forgets the deleted post", || async { !search_finds(&system, "quokkas", &id).await })
        .await;

    // Every entry applied once: the checkpoints equal the oplog's head (3).
    system.wait_synced(WITHIN).await;
    for target in [&system.search, &system.recommend] {
        let checkpoint = target.get("/sync/checkpoint").await;
        assert_eq!((checkpoint.body["seq"].clone(), checkpoint.body["applied"].clone()), (json!(3), json!(3)));
    }
}

#[actix_web::test]
async fn the_pages_show_what_the_services_hold() {
    let system = System::start().await;
    let post = system.create_post("Capybaras rule the systemtest", 800).await;
    let id = post["_id"].as_str().unwrap().to_owned();
    system.wait_synced(WITHIN).await;
    eventually(WITHIN, "search finds it", || search_finds(&system, "capybaras", &id)).await;
    eventually(WITHIN, "recommend lists it", || recommend_lists(&system, &id)).await;

    let web = &system.web.address;
    let home = page(&format!("{web}/")).await;
    assert_eq!(home.status, 200);
    assert!(home.header("server-timing").contains("recommend;") && home.header("server-timing").contains("render;"));
    let results = page(&format!("{web}/search_results/capybaras")).await;
    assert_eq!(results.status, 200);
    assert!(results.header("server-timing").contains("search;"), "{}", results.header("server-timing"));
    let post_page = page(&format!("{web}/posts/{id}")).await;
    assert_eq!(post_page.status, 200);
    assert!(post_page.header("server-timing").contains("posts;"));
    for (what, html) in [("home", &home), ("search", &results), ("post", &post_page)] {
        assert!(html.text.contains(&format!("/posts/{id}")) || what == "post", "{what} does not link the post");
        assert!(html.text.contains("Capybaras rule the systemtest"), "{what} does not show the title");
        // One request id per page view, echoed to the browser.
        assert!(kit::request_id::is_sane(html.header("x-request-id")), "{what}");
    }
}
