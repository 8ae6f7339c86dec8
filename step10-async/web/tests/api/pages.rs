//! Home page, recommendations, health, static files and error pages.

use crate::helpers::{dead_url, post, spawn_app, spawn_app_with};

#[actix_web::test]
async fn home_shows_the_search_box_and_the_recommendations_in_workshop_order() {
    let app = spawn_app().await;
    app.seed(vec![
        post("Low score is never recommended", 50, 60, 10, 900),
        post("Loved by all", 300, 310, 10, 5),               // upsanddowns -300
        post("Controversial", 60, 460, 400, 50),             // upsanddowns -60
        post("Also loved, more comments", 300, 310, 10, 40), // -300, more comments
    ])
    .await;
    for path in ["/", "/index"] {
        let page = app.get(path).await;
        page.assert_status(200).assert_contains("Let's search on Reddit");
        let body = &page.body;
        assert!(!body.contains("Low score is never recommended"));
        let order: Vec<usize> = ["Also loved, more comments", "Loved by all", "Controversial"]
            .iter()
            .map(|t| body.find(t).unwrap_or_else(|| panic!("{t} missing")))
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "wrong order: {order:?}");
        // The tile's visual weight is score / 100 (a class: the CSP blocks
        // inline styles).
        assert!(body.contains(r#"class="tile w3""#), "{body}");
        assert!(!body.contains("style="));
    }
}

#[actix_web::test]
async fn the_grid_holds_twelve_posts_and_the_list_page_more() {
    let app = spawn_app().await;
    let posts = (0..20).map(|i| post(&format!("Post number {i}"), 100 + i, 200, 100 - i, i)).collect();
    app.seed(posts).await;
    let home = app.get("/").await;
    assert_eq!(home.body.matches("class=\"tile w").count(), 12);
    let list = app.get("/recommended/").await;
    list.assert_status(200).assert_contains("Recommended posts");
    assert_eq!(list.body.matches("class=\"post\"").count(), 20);
    let redirect = app.get("/recommended").await;
    redirect.assert_status(303);
    assert_eq!(redirect.location(), "/recommended/");
}

#[actix_web::test]
async fn an_empty_database_says_how_to_load_data() {
    let app = spawn_app().await;
    app.get("/").await.assert_status(200).assert_contains("make data");
}

#[actix_web::test]
async fn readiness_needs_the_database_and_posts_and_reports_the_rest() {
    let app = spawn_app().await;
    app.get("/health/live").await.assert_status(200);
    let page = app.get("/health/ready").await;
    page.assert_status(200);
    let json: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!(json["status"], "ready", "{json}");
    assert_eq!(json["checks"]["database"]["status"], "up", "{json}");
    assert_eq!(json["checks"]["posts"]["status"], "up", "{json}");
    assert_eq!(json["checks"]["search"]["reachable"], true, "{json}");
    for service in ["likes", "shares", "hide"] {
        assert_eq!(json["checks"][service]["reachable"], true, "{json}");
    }
    // Its own database only.
    assert_eq!(json["databases"], serde_json::json!([app.settings.mongodb_db]), "{json}");
    // step 08's /health is gone.
    app.get("/health").await.assert_status(404);
}

#[actix_web::test]
async fn readiness_fails_without_posts_but_not_without_search() {
    let app = spawn_app_with(|s| {
        s.posts_url = vec![dead_url()];
        s.search_url = vec![dead_url()];
    })
    .await;
    let page = app.get("/health/ready").await;
    page.assert_status(503);
    let json: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!(json["checks"]["posts"]["status"], "down", "{json}");
    assert_eq!(json["checks"]["search"]["status"], "up", "{json}");
    assert_eq!(json["checks"]["search"]["reachable"], false, "{json}");
    let only_search = spawn_app_with(|s| s.search_url = vec![dead_url()]).await;
    only_search.get("/health/ready").await.assert_status(200);
    // Nor without likes, shares and hide: the pages degrade without them.
    let counts = spawn_app_with(|s| {
        s.likes_url = vec![dead_url()];
        s.shares_url = vec![dead_url()];
        s.hide_url = vec![dead_url()];
    })
    .await;
    let page = counts.get("/health/ready").await;
    page.assert_status(200);
    let json: serde_json::Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!(json["checks"]["hide"]["reachable"], false, "{json}");
}

#[actix_web::test]
async fn unknown_pages_get_the_404_page_and_security_headers() {
    let app = spawn_app().await;
    let page = app.get("/no/such/page").await;
    page.assert_status(404).assert_contains("404 · Not Found").assert_contains("/static/style.css");
    assert_eq!(page.headers.get("content-type").unwrap(), "text/html; charset=utf-8");
    assert_eq!(page.headers.get("x-frame-options").unwrap(), "DENY");
}

#[actix_web::test]
async fn the_stylesheet_is_served_locally() {
    let app = spawn_app().await;
    let css = app.get("/static/style.css").await;
    css.assert_status(200).assert_contains("--accent");
    assert_eq!(css.headers.get("content-type").unwrap(), "text/css; charset=utf-8");
    assert_eq!(css.headers.get("cache-control").unwrap(), "public, max-age=3600");
    assert!(css.headers.get("set-cookie").is_none(), "no session for static files");
}

#[actix_web::test]
async fn a_post_written_through_the_posts_service_is_on_its_page_at_once() {
    let app = spawn_app().await;
    let created = app
        .posts
        .post(
            "/posts",
            &serde_json::json!({
                "name": "t3_fromapi", "author": "curl", "title": "Written through the posts service",
                "created_utc": "Tue, 02 Apr 2013 10:29:13 GMT", "score": 99,
            }),
        )
        .await;
    created.assert_status(201);
    let id = created.body["_id"].as_str().unwrap().to_owned();
    app.get(&format!("/posts/{id}")).await.assert_status(200).assert_contains("Written through the posts service");
}

/// schemathesis found every page answering 404 to a method it does not
/// take (each method was a resource of its own): it is a 405 page naming
/// the methods in `Allow`, an unknown address stays a 404, and the
/// document the fuzz run reads is served.
#[actix_web::test]
async fn a_wrong_method_is_a_405_with_allow_and_the_document_is_served() {
    let app = spawn_app().await;
    let client = awc::Client::builder().disable_redirects().finish();
    for (path, allow) in [("/login", "GET, POST"), ("/search", "POST, GET"), ("/me", "GET"), ("/health/live", "GET")] {
        let method = awc::http::Method::from_bytes(b"TRACE").unwrap();
        let response = client.request(method, format!("{}{path}", app.address)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 405, "{path}");
        let mut methods: Vec<&str> = response.headers().get("allow").unwrap().to_str().unwrap().split(", ").collect();
        let mut expected: Vec<&str> = allow.split(", ").collect();
        methods.sort_unstable();
        expected.sort_unstable();
        assert_eq!(methods, expected, "{path}");
    }
    app.get("/nothing/here").await.assert_status(404);
    let document = app.get("/openapi.json").await;
    document.assert_status(200);
    let json: serde_json::Value = serde_json::from_str(&document.body).unwrap();
    assert!(json["paths"]["/posts/{id}"]["get"].is_object(), "{json}");
}
