//! One post's page.

use crate::helpers::{post, spawn_app};

#[actix_web::test]
async fn a_post_page_shows_the_post_and_its_image() {
    let app = spawn_app().await;
    let mut doc = post("A picture of a snake", 120, 150, 30, 7);
    doc.insert("url", "https://i.imgur.com/abcdefg.jpg");
    let ids = app.seed(vec![doc]).await;
    let page = app.get(&format!("/posts/{}", ids[0].to_hex())).await;
    page.assert_status(200)
        .assert_contains("A picture of a snake")
        .assert_contains(r#"<img class="full" src="https:&#x2F;&#x2F;i.imgur.com&#x2F;abcdefg.jpg""#)
        .assert_contains("120 points")
        .assert_contains("7 comments")
        .assert_contains("Log in</a> to tag this post");
}

#[actix_web::test]
async fn malformed_and_unknown_ids_get_the_404_page() {
    let app = spawn_app().await;
    for path in ["/posts/not-an-id", "/posts/123", "/posts/%00", "/posts/6b06fd377d780e43480f7f92"] {
        app.get(path).await.assert_status(404).assert_contains("There is no post with this id.");
    }
}

#[actix_web::test]
async fn titles_are_escaped() {
    let app = spawn_app().await;
    let ids = app.seed(vec![post("<script>alert('x')</script> in titles", 80, 90, 10, 1)]).await;
    let page = app.get(&format!("/posts/{}", ids[0].to_hex())).await;
    page.assert_status(200).assert_contains("&lt;script&gt;");
    assert!(!page.body.contains("<script>alert"));
}
