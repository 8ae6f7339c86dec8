//! Search: the form, the results page, its paging and its edge cases.

use crate::helpers::{post, spawn_app, spawn_app_with};

#[actix_web::test]
async fn an_empty_query_redirects_home_with_a_message() {
    let app = spawn_app().await;
    for q in ["", "   ", "\t\n"] {
        let response = app.post_form("/search", &[("q", q)]).await;
        response.assert_status(303);
        assert_eq!(response.location(), "/");
        app.get("/").await.assert_contains("Please type something to search for.");
        // A flash message is shown once.
        assert!(!app.get("/").await.body.contains("Please type something"));
    }
}

#[actix_web::test]
async fn a_query_redirects_to_its_results_page() {
    let app = spawn_app().await;
    let response = app.post_form("/search", &[("q", "  django rest ")]).await;
    response.assert_status(303);
    assert_eq!(response.location(), "/search_results/django%20rest");
    let too_long = app.post_form("/search", &[("q", &"a".repeat(201))]).await;
    assert_eq!(too_long.location(), "/");
}

#[actix_web::test]
async fn results_need_every_keyword_and_are_ranked_by_score() {
    let app = spawn_app().await;
    app.seed(vec![
        post("Django tips for beginners", 10, 12, 2, 1),
        post("Deploying Django with Docker", 500, 600, 100, 30),
        post("Docker for data science", 900, 1000, 100, 50),
        post("Flask or Django?", 40, 50, 10, 3),
    ])
    .await;
    let page = app.get("/search_results/django").await;
    page.assert_status(200);
    let body = &page.body;
    assert!(!body.contains("Docker for data science"));
    let a = body.find("Deploying Django with Docker").unwrap();
    let b = body.find("Flask or Django?").unwrap();
    let c = body.find("Django tips for beginners").unwrap();
    assert!(a < b && b < c, "not ranked by score");
    // Stemming: "deployed" finds "Deploying"; every keyword must match.
    let both = app.get("/search_results/deployed%20dockers").await;
    both.assert_contains("Deploying Django with Docker");
    assert!(!both.body.contains("Docker for data science"));
}

#[actix_web::test]
async fn no_results_and_stop_word_queries_say_so() {
    let app = spawn_app().await;
    app.seed(vec![post("Python packaging", 10, 10, 0, 0)]).await;
    app.get("/search_results/haskell").await.assert_status(200).assert_contains("No results for “haskell”");
    app.get("/search_results/the").await.assert_status(200).assert_contains("only very common words");
}

#[actix_web::test]
async fn awkward_queries_work() {
    let app = spawn_app().await;
    app.seed(vec![
        post("Café naïve unicode in Python 3", 10, 10, 0, 0),
        post("100% coverage with pytest", 10, 10, 0, 0),
    ])
    .await;
    for (path, expect) in [
        ("/search_results/caf%C3%A9", "Café naïve unicode"),
        ("/search_results/100%25%20coverage", "100% coverage"),
        ("/search_results/%22pytest%22", "100% coverage"),
        ("/search_results/python%2Funicode", "Café naïve unicode"),
        ("/search_results/a/b/c", "No results"),
        ("/search_results/%27%3B%20db.dropDatabase()", "No results"),
        ("/search_results/%24where", "No results"),
    ] {
        app.get(path).await.assert_status(200).assert_contains(expect);
    }
    // The query is echoed escaped.
    let page = app.get("/search_results/%3Cb%3Ebold%3C%2Fb%3E").await;
    page.assert_status(200).assert_contains("&lt;b&gt;bold");
}

#[actix_web::test]
async fn results_are_paginated() {
    let app = spawn_app_with(|s| s.page_size = 2).await;
    app.seed((0..5).map(|i| post(&format!("Pandas trick {i}"), 100 - i, 100, 0, 0)).collect()).await;
    let first = app.get("/search_results/pandas").await;
    first.assert_contains("Pandas trick 0").assert_contains("Pandas trick 1").assert_contains("?page=2\">Next");
    assert!(!first.body.contains("rel=\"prev\""));
    let last = app.get("/search_results/pandas?page=3").await;
    last.assert_contains("Pandas trick 4").assert_contains("?page=2\">← Previous");
    assert!(!last.body.contains("rel=\"next\""));
    app.get("/search_results/pandas?page=4").await.assert_status(200).assert_contains("on page 4");
}

#[actix_web::test]
async fn bad_page_numbers_and_long_queries_get_400_pages() {
    let app = spawn_app().await;
    for page in ["0", "-1", "abc", "501", "1e3"] {
        app.get(&format!("/search_results/python?page={page}"))
            .await
            .assert_status(400)
            .assert_contains("The page number must be a whole number");
    }
    app.get(&format!("/search_results/{}", "a".repeat(201))).await.assert_status(400);
}

#[actix_web::test]
async fn oversized_and_non_form_bodies_are_refused_with_pages() {
    let app = spawn_app().await;
    let big = "a".repeat(20 * 1024);
    app.post_form("/search", &[("q", &big)]).await.assert_status(413);
    let get = app.get("/search").await;
    get.assert_status(303);
    assert_eq!(get.location(), "/");
}
