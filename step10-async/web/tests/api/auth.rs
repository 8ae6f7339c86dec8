//! Login, logout, sessions in MongoDB, expiry and CSRF.

use std::time::Duration;

use mongodb::bson::{doc, Document};

use crate::helpers::{spawn_app, spawn_app_with};

#[actix_web::test]
async fn login_sets_a_safe_cookie_stores_the_session_and_greets() {
    let app = spawn_app().await;
    let response = app.login("alice", false).await;
    response.assert_status(303);
    assert_eq!(response.location(), "/");
    let cookie = response.headers.get("set-cookie").unwrap().to_str().unwrap().to_ascii_lowercase();
    assert!(cookie.contains("httponly"), "{cookie}");
    assert!(cookie.contains("samesite=lax"), "{cookie}");
    let home = app.get("/").await;
    home.assert_contains("Welcome, alice!").assert_contains(r#"<a href="/me">alice</a>"#);
    let sessions = app.db.collection::<Document>("sessions");
    assert_eq!(sessions.count_documents(doc! {}).await.unwrap(), 1);
    let users = app.db.collection::<Document>("users");
    assert!(users.find_one(doc! { "_id": "alice" }).await.unwrap().is_some());
}

#[actix_web::test]
async fn login_follows_next_but_only_to_this_site() {
    let app = spawn_app().await;
    let token = app.csrf_token().await;
    let ok = app.post_form("/login", &[("csrf_token", &token), ("username", "bob"), ("next", "/me")]).await;
    assert_eq!(ok.location(), "/me");
    let token = app.csrf_token().await;
    let evil =
        app.post_form("/login", &[("csrf_token", &token), ("username", "bob"), ("next", "//evil.example/")]).await;
    assert_eq!(evil.location(), "/");
}

#[actix_web::test]
async fn logout_ends_the_session() {
    let app = spawn_app().await;
    app.login("carol", false).await;
    let before = app.session_cookie().unwrap();
    let token = app.get("/").await.csrf_token();
    let response = app.post_form("/logout", &[("csrf_token", &token)]).await;
    response.assert_status(303);
    let home = app.get("/").await;
    home.assert_contains("You have been logged out.").assert_contains(r#"<a href="/login">Log in</a>"#);
    assert_ne!(app.session_cookie(), Some(before));
    let sessions = app.db.collection::<Document>("sessions");
    assert_eq!(sessions.count_documents(doc! { "state.user": { "$exists": true } }).await.unwrap(), 0);
}

#[actix_web::test]
async fn invalid_usernames_are_refused_with_a_message() {
    let app = spawn_app().await;
    for (name, message) in [
        ("", "Please enter a username."),
        ("   ", "Please enter a username."),
        ("<script>", "letters, digits, - and _ only"),
        (&"x".repeat(33), "at most 32 characters"),
    ] {
        let token = app.csrf_token().await;
        let page = app.post_form("/login", &[("csrf_token", &token), ("username", name)]).await;
        page.assert_status(400).assert_contains(message);
        assert!(!page.body.contains("<script>\""));
    }
    assert!(!app.get("/").await.body.contains("/me"));
}

#[actix_web::test]
async fn forms_without_the_right_csrf_token_are_refused() {
    let app = spawn_app().await;
    app.get("/login").await; // a session with a token exists
    for token in ["", "forged"] {
        app.post_form("/login", &[("csrf_token", token), ("username", "mallory")])
            .await
            .assert_status(403)
            .assert_contains("This form has expired");
    }
    // A form without the field at all is a malformed form.
    app.post_form("/login", &[("username", "mallory")]).await.assert_status(400);
    // A token from another visitor's session does not work either.
    let other = spawn_app().await;
    let foreign = other.csrf_token().await;
    app.post_form("/login", &[("csrf_token", &foreign), ("username", "mallory")]).await.assert_status(403);
    app.login("dave", false).await;
    app.post_form("/logout", &[("csrf_token", "forged")]).await.assert_status(403);
    app.get("/").await.assert_contains(r#"<a href="/me">dave</a>"#);
}

#[actix_web::test]
async fn a_session_expires_unless_remembered() {
    let app = spawn_app_with(|s| s.session_ttl = Duration::from_secs(1)).await;
    app.login("erin", false).await;
    app.get("/me").await.assert_status(200);
    actix_web::rt::time::sleep(Duration::from_millis(1_500)).await;
    let expired = app.get("/me").await;
    expired.assert_status(303);
    assert_eq!(expired.location(), "/login?next=%2Fme");

    app.clear_cookies();
    app.login("erin", true).await;
    actix_web::rt::time::sleep(Duration::from_millis(1_500)).await;
    app.get("/me").await.assert_status(200).assert_contains("erin");
    let session = app
        .db
        .collection::<Document>("sessions")
        .find_one(doc! { "state.user": "\"erin\"", "state.remember": { "$exists": true } })
        .await
        .unwrap()
        .expect("the remembered session is stored");
    let expires = session.get_datetime("expires_at").unwrap().timestamp_millis();
    let days = (expires - mongodb::bson::DateTime::now().timestamp_millis()) / 86_400_000;
    assert!((29..=30).contains(&days), "remember me lasts 30 days, got {days}");
}

#[actix_web::test]
async fn the_me_page_needs_a_login() {
    let app = spawn_app().await;
    let response = app.get("/me").await;
    response.assert_status(303);
    assert_eq!(response.location(), "/login?next=%2Fme");
    app.get("/login?next=%2Fme").await.assert_contains("Please log in to see your tags.");
}
