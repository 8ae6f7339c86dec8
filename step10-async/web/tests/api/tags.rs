//! Tags: adding, removing, validation, and tags as preferred topics.

use crate::helpers::{post, spawn_app};

#[actix_web::test]
async fn anonymous_visitors_are_sent_to_the_login_page() {
    let app = spawn_app().await;
    let ids = app.seed(vec![post("Async IO in depth", 10, 10, 0, 0)]).await;
    let path = format!("/posts/{}/tags", ids[0].to_hex());
    let response = app.post_form(&path, &[("csrf_token", "x"), ("tag", "async")]).await;
    response.assert_status(303);
    assert_eq!(response.location(), format!("/login?next=%2Fposts%2F{}", ids[0].to_hex()));
}

#[actix_web::test]
async fn a_user_adds_and_removes_tags() {
    let app = spawn_app().await;
    let ids = app.seed(vec![post("Async IO in depth", 10, 10, 0, 0)]).await;
    let post_path = format!("/posts/{}", ids[0].to_hex());
    let tags_path = format!("{post_path}/tags");
    app.login("frank", false).await;
    let token = app.get(&post_path).await.csrf_token();

    let added =
        app.post_form(&tags_path, &[("csrf_token", &token), ("tag", "  Concurrency "), ("action", "add")]).await;
    added.assert_status(303);
    assert_eq!(added.location(), post_path);
    // Adding twice is harmless.
    app.post_form(&tags_path, &[("csrf_token", &token), ("tag", "concurrency")]).await.assert_status(303);
    let page = app.get(&post_path).await;
    page.assert_contains("Tagged “concurrency”.");
    assert_eq!(page.body.matches(r#"<span class="tag">concurrency</span>"#).count(), 1);
    app.get("/me").await.assert_status(200).assert_contains("Async IO in depth").assert_contains("concurrency");

    app.post_form(&tags_path, &[("csrf_token", &token), ("tag", "concurrency"), ("action", "remove")]).await;
    let page = app.get(&post_path).await;
    page.assert_contains("Removed the tag “concurrency”.").assert_contains("You have not tagged this post yet.");
}

#[actix_web::test]
async fn bad_tags_and_forged_forms_are_refused() {
    let app = spawn_app().await;
    let ids = app.seed(vec![post("Testing with pytest", 10, 10, 0, 0)]).await;
    let post_path = format!("/posts/{}", ids[0].to_hex());
    let tags_path = format!("{post_path}/tags");
    app.login("grace", false).await;
    let token = app.get(&post_path).await.csrf_token();
    for (tag, message) in [("   ", "cannot be empty"), ("<b>", "letters, digits"), (&"t".repeat(40)[..], "at most 32")]
    {
        app.post_form(&tags_path, &[("csrf_token", &token), ("tag", tag)]).await.assert_status(303);
        app.get(&post_path).await.assert_contains(message);
    }
    app.post_form(&tags_path, &[("csrf_token", "forged"), ("tag", "ok")]).await.assert_status(403);
    app.post_form(&tags_path, &[("csrf_token", &token), ("tag", "x"), ("action", "explode")]).await.assert_status(400);
    app.post_form("/posts/nope/tags", &[("csrf_token", &token), ("tag", "x")]).await.assert_status(404);
    app.post_form("/posts/6b06fd377d780e43480f7f92/tags", &[("csrf_token", &token), ("tag", "x")])
        .await
        .assert_status(404);
    app.get("/me").await.assert_contains("No tags yet");
}

#[actix_web::test]
async fn tags_become_preferred_topics_for_recommendations() {
    let app = spawn_app().await;
    let ids = app
        .seed(vec![
            post("Generic popular post", 900, 910, 10, 100),
            post("Asyncio event loops explained", 60, 400, 340, 1),
        ])
        .await;
    // Anonymous: the popular post comes first.
    let home = app.get("/").await;
    assert!(home.body.find("Generic popular post").unwrap() < home.body.find("Asyncio event loops").unwrap());

    app.login("heidi", false).await;
    let post_path = format!("/posts/{}", ids[1].to_hex());
    let token = app.get(&post_path).await.csrf_token();
    app.post_form(&format!("{post_path}/tags"), &[("csrf_token", &token), ("tag", "asyncio")]).await;
    let home = app.get("/").await;
    home.assert_contains("Recommended for your topics");
    assert!(home.body.find("Asyncio event loops").unwrap() < home.body.find("Generic popular post").unwrap());
}
