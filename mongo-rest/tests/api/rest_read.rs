//! The API's read side: the envelope, paging links, `where` in both
//! syntaxes and its refusals, `sort`, `projection`, `embedded`, `count`,
//! conditional GETs, HEAD/OPTIONS/CORS, aggregations and the OpenAPI
//! document.

use mongodb::bson::{doc, DateTime, Document};
use serde_json::{json, Value};

use crate::helpers::{post, spawn_api, spawn_api_with, TestApi};

/// 60 posts with scores 1..=60; titles say their score ("post 7"), and every
/// tenth is about flask.
async fn sixty_posts(api: &TestApi) -> Vec<mongodb::bson::oid::ObjectId> {
    let posts: Vec<Document> = (1..=60)
        .map(|i| {
            let title = if i % 10 == 0 { format!("flask post {i}") } else { format!("post {i}") };
            let mut p = post(&title, i, i + 10, 10, 60 - i);
            p.insert("author", if i % 2 == 0 { "even" } else { "odd" });
            p
        })
        .collect();
    api.seed("posts", posts).await
}

fn titles(body: &Value) -> Vec<String> {
    let items = body["_items"].as_array().unwrap_or_else(|| panic!("no _items in {body:#}"));
    items.iter().map(|i| i["title"].as_str().unwrap_or_default().into()).collect()
}

fn enc(text: &str) -> String {
    urlencoding::encode(text).into_owned()
}

#[actix_web::test]
async fn the_home_lists_every_resource() {
    let api = spawn_api().await;
    let home = api.get("/").await;
    home.assert_status(200);
    let children: Vec<&str> =
        home.body["_links"]["child"].as_array().unwrap().iter().map(|c| c["href"].as_str().unwrap()).collect();
    assert_eq!(children, ["oplog", "posts", "tags"]);
    assert_eq!(home.body["_links"]["child"][1], json!({ "href": "posts", "title": "posts" }));
}

#[actix_web::test]
async fn collection_pages_carry_eves_envelope_and_links() {
    let api = spawn_api().await;
    sixty_posts(&api).await;

    let first = api.get("/posts?max_results=25").await;
    first.assert_status(200);
    assert_eq!(first.header("x-total-count"), Some("60"));
    assert_eq!(first.body["_meta"], json!({ "page": 1, "max_results": 25, "total": 60 }));
    let links = &first.body["_links"];
    assert_eq!(links["parent"], json!({ "title": "home", "href": "/" }));
    assert_eq!(links["self"]["href"], "posts?max_results=25");
    assert_eq!(links["next"]["href"], "posts?max_results=25&page=2");
    assert_eq!(links["last"]["href"], "posts?max_results=25&page=3");
    assert!(links.get("prev").is_none());
    // The default sort is the domain's `-score`.
    assert_eq!(titles(&first.body)[..3], ["flask post 60", "post 59", "post 58"]);
    let item = &first.body["_items"][0];
    for meta in ["_id", "_created", "_updated", "_etag"] {
        assert!(item.get(meta).is_some(), "{meta} missing from {item:#}");
    }
    assert_eq!(item["_created"], "Thu, 01 Jan 1970 00:00:00 GMT", "imported documents count as created at the epoch");
    assert_eq!(item["_links"]["self"]["href"], format!("posts/{}", item["_id"].as_str().unwrap()));
    assert_eq!(item["created_utc"], "Sun, 09 Jun 2013 02:54:42 GMT");
    assert!(item.get("keywords").is_none(), "hidden fields stay hidden");

    assert_eq!(titles(&first.body).len(), 25);
    let middle = api.get("/posts?max_results=25&page=2").await;
    middle.assert_status(200);
    let links = &middle.body["_links"];
    assert_eq!(links["prev"]["href"], "posts?max_results=25&page=1");
    assert_eq!(links["next"]["href"], "posts?max_results=25&page=3");
    assert_eq!(links["last"]["href"], "posts?max_results=25&page=3");
    assert_eq!(titles(&middle.body)[0], "post 35");

    let last = api.get("/posts?max_results=25&page=3").await;
    assert_eq!(last.body["_items"].as_array().unwrap().len(), 10);
    assert!(last.body["_links"].get("next").is_none());
    assert!(last.body["_links"].get("last").is_none(), "as Eve: no `last` link on the last page");
    assert_eq!(last.body["_links"]["prev"]["href"], "posts?max_results=25&page=2");
    let only = api.get("/posts?max_results=50&where=%7B%22score%22%3A%7B%22%24gt%22%3A30%7D%7D").await;
    assert_eq!(only.body["_meta"]["total"], 30);
    assert!(only.body["_links"].get("next").is_none() && only.body["_links"].get("last").is_none());

    let beyond = api.get("/posts?max_results=25&page=4").await;
    beyond.assert_status(200);
    assert_eq!(beyond.body["_items"], json!([]));
}

#[actix_web::test]
async fn paging_parameters_out_of_range_are_refused_with_the_limit_named() {
    let api = spawn_api().await;
    api.get("/posts?max_results=51").await.assert_error(400, "max_results").assert_error(400, "50");
    api.get("/posts?max_results=0").await.assert_error(400, "max_results");
    api.get("/posts?page=0").await.assert_error(400, "page");
    api.get("/posts?page=two").await.assert_error(400, "page");
    api.get("/posts?count=maybe").await.assert_error(400, "count");
    api.get("/posts?max_results=50").await.assert_status(200);
}

#[actix_web::test]
async fn count_none_skips_the_total_and_estimated_uses_metadata() {
    let api = spawn_api().await;
    sixty_posts(&api).await;
    let none = api.get("/posts?max_results=25&count=none").await;
    none.assert_status(200);
    assert_eq!(none.body["_meta"], json!({ "page": 1, "max_results": 25 }));
    assert!(none.header("x-total-count").is_none());
    assert!(none.body["_links"].get("last").is_none());
    assert_eq!(none.body["_links"]["next"]["href"], "posts?max_results=25&count=none&page=2");
    let end = api.get("/posts?max_results=25&count=none&page=3").await;
    assert_eq!(end.body["_items"].as_array().unwrap().len(), 10);
    assert!(end.body["_links"].get("next").is_none());
    let estimated = api.get("/posts?count=estimated").await;
    assert_eq!(estimated.body["_meta"]["total"], 60);
    let filtered = api.get(&format!("/posts?count=estimated&where={}", enc(r#"{"author": "even"}"#))).await;
    assert_eq!(filtered.body["_meta"]["total"], 30, "with a filter the count is exact");
}

#[actix_web::test]
async fn where_accepts_mongo_json_and_python_syntax_alike() {
    let api = spawn_api().await;
    sixty_posts(&api).await;
    let json_where =
        r#"{"$and": [{"score": {"$gt": 50}}, {"$or": [{"author": "even"}, {"num_comments": {"$gte": 8}}]}]}"#;
    let python_where = r#"score > 50 and (author == "even" or num_comments >= 8)"#;
    let a = api.get(&format!("/posts?max_results=50&where={}", enc(json_where))).await;
    let b = api.get(&format!("/posts?max_results=50&where={}", enc(python_where))).await;
    a.assert_status(200);
    b.assert_status(200);
    assert_eq!(titles(&a.body), titles(&b.body));
    // 51..=60: even scores (5), plus num_comments = 60 - score >= 8 only below 53: 51 and 52 → 51 is odd.
    let mut scores: Vec<i64> =
        a.body["_items"].as_array().unwrap().iter().map(|i| i["score"].as_i64().unwrap()).collect();
    scores.sort();
    assert_eq!(scores, [51, 52, 54, 56, 58, 60]);
    assert_eq!(a.body["_meta"]["total"], 6);
}

#[actix_web::test]
async fn ids_and_dates_in_where_are_converted() {
    let api = spawn_api().await;
    let ids = sixty_posts(&api).await;
    let by_id = api.get(&format!("/posts?where={}", enc(&format!(r#"{{"_id": "{}"}}"#, ids[6].to_hex())))).await;
    assert_eq!(titles(&by_id.body), ["post 7"]);
    let python = api.get(&format!("/posts?where={}", enc(&format!(r#"_id == ObjectId("{}")"#, ids[6].to_hex())))).await;
    assert_eq!(titles(&python.body), ["post 7"]);
    let mut late = post("a late post", 1, 1, 0, 0);
    late.insert("created_utc", DateTime::from_millis(1_500_000_000_000));
    api.seed("posts", vec![late]).await;
    let after = r#"{"created_utc": {"$gt": "Sat, 01 Jan 2000 00:00:00 GMT"}}"#;
    let found = api.get(&format!("/posts?where={}", enc(after))).await;
    assert_eq!(found.body["_meta"]["total"], 61, "every post is after 2000");
    let after = r#"{"created_utc": {"$gt": "Fri, 01 Jan 2016 00:00:00 GMT"}}"#;
    let found = api.get(&format!("/posts?where={}", enc(after))).await;
    assert_eq!(titles(&found.body), ["a late post"]);
    api.get(&format!("/posts?where={}", enc(r#"{"_id": "not-an-id"}"#))).await.assert_error(400, "_id");
}

#[actix_web::test]
async fn dangerous_operators_are_refused_at_any_depth() {
    let api = spawn_api().await;
    sixty_posts(&api).await;
    let attacks = [
        r#"{"$where": "sleep(1000) || true"}"#,
        r#"{"$function": {"body": "function() { return true }", "args": [], "lang": "js"}}"#,
        r#"{"$expr": {"$function": {"body": "function() { return true }", "args": [], "lang": "js"}}}"#,
        r#"{"$and": [{"score": 1}, {"$where": "true"}]}"#,
        r#"{"$or": [{"$where": "true"}]}"#,
        r#"{"$nor": [{"$expr": {"$gt": ["$score", 1]}}]}"#,
        r#"{"tags": {"$elemMatch": {"$where": "true"}}}"#,
        r#"{"score": {"$not": {"$where": "true"}}}"#,
        r#"{"$and": [{"$or": [{"$and": [{"score": {"$accumulator": {}}}]}]}]}"#,
        r#"{"score": {"$jsonSchema": {}}}"#,
        r#"{"title": {"$eq": {"$code": "function() {}"}}}"#,
    ];
    for attack in attacks {
        let refused = api.get(&format!("/posts?where={}", enc(attack))).await;
        refused.assert_error(400, "where");
        assert!(
            refused.body["_error"]["message"].as_str().unwrap().contains("not allowed"),
            "{attack}: {:#}",
            refused.body
        );
    }
}

#[actix_web::test]
async fn regex_only_where_the_domain_allows_it_and_unknown_fields_never() {
    let api = spawn_api().await;
    sixty_posts(&api).await;
    let allowed =
        api.get(&format!("/posts?where={}", enc(r#"{"title": {"$regex": "^flask", "$options": "i"}}"#))).await;
    allowed.assert_status(200);
    assert_eq!(allowed.body["_meta"]["total"], 6);
    // Patterns that Rust's regex crate accepts but a server's engine may
    // not (SecantusDB refuses both): a 200 or a 400, never a 500.
    for pattern in [r#"{"title": {"$regex": "(?U)a+"}}"#, r#"{"title": {"$regex": "\\p{Greek}"}}"#] {
        let answer = api.get(&format!("/posts?where={}", enc(pattern))).await;
        match answer.status {
            200 => {}
            _ => {
                answer.assert_error(400, "the database refused the query");
            }
        }
    }
    api.get(&format!("/posts?where={}", enc(r#"{"selftext": {"$regex": "x"}}"#))).await.assert_error(400, "selftext");
    api.get(&format!("/posts?where={}", enc(r#"{"password": "x"}"#))).await.assert_error(400, "password");
    // tags only allow filters on user, post_id and tag.
    api.get(&format!("/tags?where={}", enc(r#"{"_etag": "x"}"#))).await.assert_error(400, "_etag");
    for malformed in [r#"{"score": "#, "score >", "score > 5 and", "((score > 5)"] {
        api.get(&format!("/posts?where={}", enc(malformed))).await.assert_error(400, "where");
    }
}

#[actix_web::test]
async fn sort_accepts_both_syntaxes_and_refuses_bad_keys() {
    let api = spawn_api().await;
    sixty_posts(&api).await;
    let ascending = api.get("/posts?sort=score&max_results=3").await;
    assert_eq!(titles(&ascending.body), ["post 1", "post 2", "post 3"]);
    let eve = api.get(&format!("/posts?sort={}&max_results=3", enc(r#"[("num_comments", -1)]"#))).await;
    assert_eq!(titles(&eve.body), ["post 1", "post 2", "post 3"]);
    let two_keys = api.get("/posts?sort=author,-score&max_results=2").await;
    assert_eq!(titles(&two_keys.body), ["flask post 60", "post 58"]);
    api.get("/posts?sort=score,score").await.assert_error(400, "sort");
    api.get(&format!("/posts?sort={}", enc(r#"[("score", 2)]"#))).await.assert_error(400, "sort");
    api.get("/posts?sort=password").await.assert_error(400, "sort");
}

#[actix_web::test]
async fn projection_keeps_meta_fields_and_can_show_hidden_ones() {
    let api = spawn_api().await;
    let ids = sixty_posts(&api).await;
    let page = api.get(&format!("/posts?max_results=1&projection={}", enc(r#"{"title": 1}"#))).await;
    page.assert_status(200);
    let item = page.body["_items"][0].as_object().unwrap();
    let mut keys: Vec<&str> = item.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["_created", "_etag", "_id", "_links", "_updated", "title"]);
    // The ETag does not depend on the projection.
    let full = api.get(&format!("/posts/{}", item["_id"].as_str().unwrap())).await;
    assert_eq!(full.body["_etag"], item["_etag"]);
    let hidden = api.get(&format!("/posts/{}?projection={}", ids[0].to_hex(), enc(r#"{"keywords": 1}"#))).await;
    assert_eq!(hidden.body["keywords"], json!(datasets::keywords("post 1")));
    let excluded = api.get(&format!("/posts?max_results=1&projection={}", enc(r#"{"selftext": 0}"#))).await;
    assert!(excluded.body["_items"][0].get("selftext").is_none());
    assert!(excluded.body["_items"][0].get("title").is_some());
    api.get(&format!("/posts?projection={}", enc(r#"{"title": 1, "score": 0}"#))).await.assert_error(400, "projection");
    api.get(&format!("/posts?projection={}", enc(r#"{"ghost": 1}"#))).await.assert_error(400, "projection");
    api.get(&format!("/posts?projection={}", enc(r#"{"tags": {"$slice": 1}}"#))).await.assert_error(400, "projection");
}

#[actix_web::test]
async fn embedded_replaces_related_ids_with_documents() {
    let api = spawn_api().await;
    let ids = sixty_posts(&api).await;
    let tag = api.post("/tags", &json!({ "user": "ana", "post_id": ids[4].to_hex(), "tag": "python" })).await;
    tag.assert_status(201);
    let plain = api.get("/tags").await;
    assert_eq!(plain.body["_items"][0]["post_id"], ids[4].to_hex());
    let embedded = api.get(&format!("/tags?embedded={}", enc(r#"{"post_id": 1}"#))).await;
    embedded.assert_status(200);
    assert_eq!(embedded.body["_items"][0]["post_id"]["title"], "post 5");
    assert_eq!(embedded.body["_items"][0]["post_id"]["_id"], ids[4].to_hex());
    let item =
        api.get(&format!("/tags/{}?embedded={}", tag.body["_id"].as_str().unwrap(), enc(r#"{"post_id": 1}"#))).await;
    assert_eq!(item.body["post_id"]["title"], "post 5");
    api.get(&format!("/tags?embedded={}", enc(r#"{"user": 1}"#))).await.assert_error(400, "embedded");
    api.get(&format!("/tags?embedded={}", enc("not json"))).await.assert_error(400, "embedded");
}

#[actix_web::test]
async fn items_have_links_etags_and_answer_conditional_requests() {
    let api = spawn_api().await;
    let ids = sixty_posts(&api).await;
    let path = format!("/posts/{}", ids[0].to_hex());
    let item = api.get(&path).await;
    item.assert_status(200);
    assert_eq!(item.body["title"], "post 1");
    let links = &item.body["_links"];
    assert_eq!(links["self"], json!({ "title": "post", "href": format!("posts/{}", ids[0].to_hex()) }));
    assert_eq!(links["parent"], json!({ "title": "home", "href": "/" }));
    assert_eq!(links["collection"], json!({ "title": "posts", "href": "posts" }));
    let etag = item.etag();
    assert_eq!(item.body["_etag"], etag.as_str());
    assert_eq!(item.header("last-modified"), Some("Thu, 01 Jan 1970 00:00:00 GMT"));

    let quoted = format!("\"{etag}\"");
    let cached = api.request("GET", &path, &[("if-none-match", &quoted)], None).await;
    cached.assert_status(304);
    assert_eq!(cached.body, Value::Null);
    assert_eq!(cached.etag(), etag);
    api.request("GET", &path, &[("if-none-match", "\"other\", *")], None).await.assert_status(304);
    api.request("GET", &path, &[("if-none-match", "\"other\"")], None).await.assert_status(200);
    api.request("GET", &path, &[("if-modified-since", "Thu, 01 Jan 2015 00:00:00 GMT")], None).await.assert_status(304);

    // After a write, `_updated` moves and old validators no longer match.
    let patched = api.request("PATCH", &path, &[("if-match", &quoted)], Some(&json!({ "score": 1000 }))).await;
    patched.assert_status(200);
    api.request("GET", &path, &[("if-none-match", &quoted)], None).await.assert_status(200);
    let fresh = api.get(&path).await;
    let since = fresh.header("last-modified").unwrap().to_owned();
    api.request("GET", &path, &[("if-modified-since", &since)], None).await.assert_status(304);
    api.request("GET", &path, &[("if-modified-since", "Thu, 01 Jan 2015 00:00:00 GMT")], None).await.assert_status(200);
}

#[actix_web::test]
async fn unknown_query_parameters_are_refused_by_name() {
    let api = spawn_api().await;
    let ids = sixty_posts(&api).await;
    api.get(&format!("/posts?wher={}", enc(r#"{"score": 1}"#))).await.assert_error(400, "\"wher\"");
    api.get(&format!("/posts/{}?page=2", ids[0].to_hex())).await.assert_error(400, "\"page\"");
    api.get(&format!("/posts/{}?projection={}", ids[0].to_hex(), enc(r#"{"title": 1}"#))).await.assert_status(200);
}

#[actix_web::test]
async fn read_only_urls_answer_head_and_options_and_refuse_writes() {
    let api = spawn_api().await;
    for path in ["/", "/health", "/openapi.json", "/aggregations/recommendations"] {
        api.request("HEAD", path, &[], None).await.assert_status(200);
        let options = api.request("OPTIONS", path, &[], None).await;
        options.assert_status(200);
        assert_eq!(options.header("allow"), Some("GET, HEAD, OPTIONS"), "{path}");
        let refused = api.request("POST", path, &[], Some(&json!({}))).await;
        refused.assert_error(405, "POST");
        assert_eq!(refused.header("allow"), Some("GET, HEAD, OPTIONS"), "{path}");
    }
}

#[actix_web::test]
async fn unknown_and_malformed_ids_resources_and_urls_are_json_404s() {
    let api = spawn_api().await;
    api.get(&format!("/posts/{}", mongodb::bson::oid::ObjectId::new().to_hex())).await.assert_error(404, "post");
    api.get("/posts/not-an-id").await.assert_error(404, "post");
    api.get("/nothing").await.assert_error(404, "nothing");
    api.get("/posts/a/b/c").await.assert_error(404, "not found");
    api.get("/aggregations/nothing").await.assert_error(404, "nothing");
}

#[actix_web::test]
async fn head_options_and_cors() {
    let origin = "http://127.0.0.1:5000";
    let api = spawn_api_with(|settings| settings.cors_origins = vec![origin.into()]).await;
    let ids = sixty_posts(&api).await;
    let head = api.request("HEAD", "/posts", &[], None).await;
    head.assert_status(200);
    assert_eq!(head.body, Value::Null);
    assert_eq!(head.header("x-total-count"), Some("60"));
    let head_item = api.request("HEAD", &format!("/posts/{}", ids[0].to_hex()), &[], None).await;
    head_item.assert_status(200);
    assert!(head_item.header("etag").is_some());

    let options = api.request("OPTIONS", "/posts", &[], None).await;
    options.assert_status(200);
    assert_eq!(options.header("allow"), Some("GET, HEAD, POST, OPTIONS"));
    let options = api.request("OPTIONS", &format!("/tags/{}", ids[0].to_hex()), &[], None).await;
    assert_eq!(options.header("allow"), Some("GET, HEAD, DELETE, OPTIONS"));
    let not_allowed = api.request("DELETE", "/posts", &[], None).await;
    not_allowed.assert_error(405, "DELETE");
    assert_eq!(not_allowed.header("allow"), Some("GET, HEAD, POST, OPTIONS"));

    let preflight = api
        .request(
            "OPTIONS",
            "/posts",
            &[
                ("origin", origin),
                ("access-control-request-method", "PATCH"),
                ("access-control-request-headers", "if-match"),
            ],
            None,
        )
        .await;
    preflight.assert_status(200);
    assert_eq!(preflight.header("access-control-allow-origin"), Some(origin));
    let simple = api.request("GET", "/posts?max_results=1", &[("origin", origin)], None).await;
    assert_eq!(simple.header("access-control-allow-origin"), Some(origin));
    assert!(simple.header("access-control-expose-headers").unwrap().contains("etag"));
    let stranger = api.request("GET", "/posts?max_results=1", &[("origin", "http://evil.example")], None).await;
    assert!(stranger.header("access-control-allow-origin").is_none());
}

#[actix_web::test]
async fn named_aggregations_take_typed_parameters_and_page() {
    let api = spawn_api().await;
    sixty_posts(&api).await;
    let recommended = api.get("/aggregations/recommendations?max_results=5").await;
    recommended.assert_status(200);
    let items = recommended.body["_items"].as_array().unwrap();
    assert_eq!(items.len(), 5);
    // score > 50, then downs - ups ascending: the highest score first.
    assert_eq!(items[0]["title"], "flask post 60");
    assert_eq!(items[0]["weight"], 6.0);
    assert_eq!(items[0]["_links"]["self"]["href"].as_str().unwrap().split('/').next(), Some("posts"));
    assert_eq!(recommended.body["_links"]["next"]["href"], "aggregations/recommendations?max_results=5&page=2");
    let second = api.get("/aggregations/recommendations?max_results=5&page=2").await;
    assert_eq!(second.body["_items"].as_array().unwrap().len(), 5);
    assert!(second.body["_links"].get("next").is_none());
    // The user's topics come first.
    let plain = api.get("/aggregations/recommendations?max_results=3&min_score=0").await;
    assert_eq!(titles(&plain.body), ["flask post 60", "post 59", "post 58"]);
    let topical = api.get("/aggregations/recommendations?max_results=3&min_score=0&topics=flask").await;
    assert_eq!(titles(&topical.body), ["flask post 60", "flask post 50", "flask post 40"]);
    let low = api.get("/aggregations/recommendations?min_score=58").await;
    assert_eq!(low.body["_items"].as_array().unwrap().len(), 2);

    api.get("/aggregations/recommendations?min_score=x").await.assert_error(400, "min_score");
    api.get("/aggregations/recommendations?topic=flask").await.assert_error(400, "topic");
    api.get("/aggregations/recommendations?topics=$title").await.assert_error(400, "topics");
    api.get("/aggregations/user_tags").await.assert_error(400, "user");
    api.get("/aggregations/recommendations?max_results=51").await.assert_error(400, "max_results");
    api.request("POST", "/aggregations/recommendations", &[], Some(&json!({}))).await.assert_error(405, "POST");
}

#[actix_web::test]
async fn openapi_and_health_describe_the_running_api() {
    let api = spawn_api().await;
    let spec = api.get("/openapi.json").await;
    spec.assert_status(200);
    assert!(spec.body["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(spec.body["info"]["title"], "posts and tags");
    let health = api.get("/health").await;
    health.assert_status(200);
    assert_eq!(health.body, json!({ "status": "ok", "database": "up" }));
}

#[actix_web::test]
async fn documents_written_outside_the_api_keep_a_stable_etag() {
    let api = spawn_api().await;
    let ids = api.seed("posts", vec![post("imported", 5, 6, 1, 0)]).await;
    let path = format!("/posts/{}", ids[0].to_hex());
    let first = api.get(&path).await.etag();
    assert_eq!(api.get(&path).await.etag(), first);
    // Changing the content outside the API changes the ETag.
    api.db
        .collection::<Document>("posts")
        .update_one(doc! { "_id": ids[0] }, doc! { "$set": { "score": 6_i64 } })
        .await
        .unwrap();
    assert_ne!(api.get(&path).await.etag(), first);
}
