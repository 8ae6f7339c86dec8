//! Step 10's forms: like/unlike, share and hide/unhide on the listed posts
//! and the post page (CSRF token, form key, safe `next`), hidden posts left
//! out of every list, and the `/s/{code}` share links.

use crate::helpers::{dead_url, post, spawn_app, spawn_app_with, Mode, TestApp};

/// Logs `user` in and tags the post at `path` with `tag` (so that it is on
/// `/me`, and the user's topics include the tag).
async fn tag(app: &TestApp, path: &str, tag: &str) {
    let token = app.get(path).await.csrf_token();
    app.post_form(&format!("{path}/tags"), &[("csrf_token", &token), ("tag", tag)]).await.assert_status(303);
}

#[actix_web::test]
async fn a_user_likes_and_unlikes_and_the_form_needs_its_token() {
    let app = spawn_app().await;
    let ids = app.seed(vec![post("Likeable asyncio post", 300, 310, 10, 5)]).await;
    let id = ids[0].to_hex();
    let path = format!("/posts/{id}");
    let like = format!("{path}/like");

    // Anonymous visitors see the counts, no forms; their POST goes to login.
    let page = app.get(&path).await;
    page.assert_status(200).assert_contains("0 likes").assert_contains("0 shares");
    assert!(page.form(&like).is_none(), "no like form for anonymous visitors");
    let anonymous = app.post_form(&like, &[("csrf_token", "x"), ("idempotency_key", "k")]).await;
    anonymous.assert_status(303);
    assert_eq!(anonymous.location(), format!("/login?next=%2Fposts%2F{id}"));

    app.login("ada", false).await.assert_status(303);
    let fields = app.get(&path).await.form(&like).expect("a like form");
    let key = fields.iter().find(|(k, _)| k == "idempotency_key").unwrap().1.clone();
    assert_eq!(key.len(), 22, "{fields:?}");
    // A double submit of the same form: one like, the same key twice.
    for _ in 0..2 {
        let liked = app.submit(&like, &fields).await;
        liked.assert_status(303);
        assert_eq!(liked.location(), path, "back to the page the form was on");
    }
    assert_eq!(app.likes.like_count(&id), 1);
    assert_eq!(app.likes.idempotency_keys(), [format!("ada.like.{key}"), format!("ada.like.{key}")]);
    let page = app.get(&path).await;
    page.assert_contains("You already like").assert_contains("1 like<");
    // Each page view renders a fresh key.
    let unlike = page.form(&like).expect("an unlike form");
    assert!(unlike.contains(&("action".into(), "unlike".into())), "{unlike:?}");
    assert!(!unlike.contains(&("idempotency_key".into(), key.clone())), "a fresh key per page view");

    // Without the session's token: 403, nothing changed.
    let forged: Vec<(String, String)> = unlike
        .iter()
        .map(|(k, v)| if k == "csrf_token" { (k.clone(), "forged".into()) } else { (k.clone(), v.clone()) })
        .collect();
    app.submit(&like, &forged).await.assert_status(403);
    assert_eq!(app.likes.like_count(&id), 1);
    // A malformed key is a 400; an unknown action too; a missing post a 404.
    let token = app.csrf_token().await;
    app.post_form(&like, &[("csrf_token", &token), ("idempotency_key", "short")]).await.assert_status(400);
    let good_key = "a".repeat(22);
    let with_action = |action: &'static str| {
        vec![("csrf_token", token.clone()), ("idempotency_key", good_key.clone()), ("action", action.to_owned())]
    };
    let bad: Vec<(&str, String)> = with_action("explode");
    let bad: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    app.post_form(&like, &bad).await.assert_status(400);
    let missing: Vec<(&str, String)> = with_action("like");
    let missing: Vec<(&str, &str)> = missing.iter().map(|(k, v)| (*k, v.as_str())).collect();
    app.post_form("/posts/6b06fd377d780e43480f7f92/like", &missing).await.assert_status(404);
    app.post_form("/posts/nope/like", &missing).await.assert_status(404);

    // Unlike; twice is harmless.
    app.submit(&like, &unlike).await.assert_status(303);
    assert_eq!(app.likes.like_count(&id), 0);
    app.get(&path).await.assert_contains("You no longer like").assert_contains("0 likes");
    app.submit(&like, &unlike).await.assert_status(303);
    app.get(&path).await.assert_contains("You did not like");
}

#[actix_web::test]
async fn the_forms_go_back_only_to_a_page_of_this_site() {
    let app = spawn_app().await;
    let ids = app.seed(vec![post("Where to next", 300, 310, 10, 5)]).await;
    let path = format!("/posts/{}", ids[0].to_hex());
    app.login("bob", false).await;
    // The home page's forms come back home.
    let home = app.get("/").await;
    let fields = home.form(&format!("{path}/like")).expect("a like form on the grid");
    assert!(fields.contains(&("next".into(), "/".into())), "{fields:?}");
    for (next, expected) in [("/recommended/", "/recommended/"), ("//evil.example", "/"), ("https://evil.example", "/")]
    {
        let mut fields = app.get(&path).await.form(&format!("{path}/like")).unwrap();
        fields.retain(|(k, _)| k != "next");
        fields.push(("next".into(), next.into()));
        let answer = app.submit(&format!("{path}/like"), &fields).await;
        answer.assert_status(303);
        assert_eq!(answer.location(), expected, "{next}");
    }
}

#[actix_web::test]
async fn hidden_posts_are_left_out_of_every_list() {
    let app = spawn_app().await;
    let ids = app
        .seed(vec![post("Hidden asyncio secrets", 300, 310, 10, 5), post("Visible asyncio basics", 200, 210, 10, 5)])
        .await;
    let (hidden, visible) = (format!("/posts/{}", ids[0].to_hex()), format!("/posts/{}", ids[1].to_hex()));
    app.login("cleo", false).await;
    tag(&app, &hidden, "asyncio").await;
    tag(&app, &visible, "asyncio").await;
    let lists = ["/", "/recommended/", "/search_results/asyncio", "/me"];
    for list in lists {
        app.get(list).await.assert_status(200).assert_contains("Hidden asyncio secrets");
    }
    // Hide it from the search results' form: back to the results.
    let search = app.get("/search_results/asyncio").await;
    let fields = search.form(&format!("{hidden}/hide")).expect("a hide form");
    let answer = app.submit(&format!("{hidden}/hide"), &fields).await;
    answer.assert_status(303);
    assert_eq!(answer.location(), "/search_results/asyncio?page=1");
    assert_eq!(app.hide.hidden_of("cleo"), [ids[0].to_hex()]);
    assert!(app.hide.idempotency_keys()[0].starts_with("cleo.hide."), "{:?}", app.hide.idempotency_keys());
    // The results again, with the message (which names the post).
    app.get(answer.location()).await.assert_contains("is left out of your lists");
    for list in lists {
        let page = app.get(list).await;
        page.assert_status(200).assert_contains("Visible asyncio basics");
        // `/me` lists the hidden posts apart, with their unhide forms.
        let (listed, apart) = page.body.split_once("<h2>Hidden posts</h2>").unwrap_or((&page.body, ""));
        assert!(!listed.contains("Hidden asyncio secrets"), "{list} lists a hidden post:\n{}", page.body);
        assert_eq!(apart.contains("Hidden asyncio secrets"), list == "/me", "{list}:\n{}", page.body);
    }
    let me = app.get("/me").await;
    let unhide = me.form(&format!("{hidden}/hide")).expect("an unhide form on /me");
    assert!(unhide.contains(&("action".into(), "unhide".into())), "{unhide:?}");
    // Its own page still shows it, with the way back.
    let page = app.get(&hidden).await;
    page.assert_status(200).assert_contains("You hid this post");
    let unhide = page.form(&format!("{hidden}/hide")).unwrap();
    assert!(unhide.contains(&("action".into(), "unhide".into())), "{unhide:?}");
    app.submit(&format!("{hidden}/hide"), &unhide).await.assert_status(303);
    assert!(app.hide.hidden_of("cleo").is_empty());
    app.get("/").await.assert_contains("Hidden asyncio secrets");
    // Another user's lists never left it out.
    app.clear_cookies();
    app.get("/").await.assert_contains("Hidden asyncio secrets");
}

#[actix_web::test]
async fn the_grid_still_shows_twelve_posts_when_some_are_hidden() {
    let app = spawn_app().await;
    let posts = (0..14).map(|i| post(&format!("Grid post {i}"), 100 + i, 200, 100 - i, i)).collect();
    let ids = app.seed(posts).await;
    app.login("dana", false).await;
    let first = app.get("/").await;
    assert_eq!(first.body.matches("class=\"tile w").count(), 12);
    // Hide two of the twelve shown (recommend ranks the last seeded first).
    for id in &ids[12..] {
        let action = format!("/posts/{}/hide", id.to_hex());
        let fields = app.get("/").await.form(&action).expect("a hide form on the grid");
        app.submit(&action, &fields).await.assert_status(303);
    }
    let page = app.get("/").await;
    assert_eq!(page.body.matches("class=\"tile w").count(), 12, "recommend was asked for 12 + 2");
    for id in &ids[12..] {
        assert!(!page.body.contains(&id.to_hex()), "a hidden post on the grid");
    }
    // The two that were thirteenth and fourteenth fill the grid.
    for id in &ids[..2] {
        assert!(page.body.contains(&id.to_hex()), "the grid is filled up");
    }
}

#[actix_web::test]
async fn a_share_link_redirects_to_the_post_and_counts_its_visits() {
    let app = spawn_app().await;
    let ids = app.seed(vec![post("Worth sharing", 300, 310, 10, 5)]).await;
    let id = ids[0].to_hex();
    let path = format!("/posts/{id}");
    let share = format!("{path}/share");
    app.login("eve", false).await;
    let fields = app.get(&path).await.form(&share).expect("a share form");
    app.submit(&share, &fields).await.assert_status(303);
    let code = app.shares.code_of(&id, "eve").expect("a share");
    let page = app.get(&path).await;
    assert!(page.text().contains(&format!("Your link to “Worth sharing”: /s/{code}")), "{}", page.text());
    page.assert_contains("1 share · 0 visits");
    // Sharing again hands out the same link.
    let fields = page.form(&share).unwrap();
    app.submit(&share, &fields).await.assert_status(303);
    assert!(app.get(&path).await.text().contains(&format!("/s/{code}")));
    assert!(app.shares.idempotency_keys().iter().all(|k| k.starts_with("eve.share.")));

    // Anyone following it lands on the post, one visit each.
    app.clear_cookies();
    for visits in 1..=2 {
        let visit = app.get(&format!("/s/{code}")).await;
        visit.assert_status(302);
        assert_eq!(visit.location(), path);
        assert_eq!(app.shares.visits_of(&code), visits);
    }
    app.get(&path).await.assert_contains("1 share · 2 visits");
    // Unknown and malformed codes: the 404 page, shares not even asked for
    // the malformed one.
    let calls = app.shares.calls();
    app.get("/s/nope").await.assert_status(404).assert_contains("There is no share link at this address.");
    app.get("/s/bad%20code").await.assert_status(404);
    app.get(&format!("/s/{}", "x".repeat(65))).await.assert_status(404);
    assert_eq!(app.shares.calls(), calls + 1);
    // Shares down: the 503 page.
    app.shares.set_mode(Mode::Unavailable);
    let down = app.get(&format!("/s/{code}")).await;
    down.assert_status(503).assert_contains("The shares service is unavailable right now");
    let dead = spawn_app_with(|s| s.shares_url = vec![dead_url()]).await;
    dead.get("/s/c1").await.assert_status(503);
}

#[actix_web::test]
async fn a_write_to_a_service_that_is_down_is_a_message_not_an_error() {
    let app = spawn_app().await;
    let ids = app.seed(vec![post("Writes that fail", 300, 310, 10, 5)]).await;
    let path = format!("/posts/{}", ids[0].to_hex());
    app.login("finn", false).await;
    let page = app.get(&path).await;
    let (like, share, hide) = (format!("{path}/like"), format!("{path}/share"), format!("{path}/hide"));
    let forms = [page.form(&like).unwrap(), page.form(&share).unwrap(), page.form(&hide).unwrap()];
    app.likes.set_mode(Mode::Unavailable);
    app.shares.set_mode(Mode::Unavailable);
    app.hide.set_mode(Mode::Unavailable);
    for ((action, fields), message) in [like, share, hide].iter().zip(&forms).zip([
        "Likes are unavailable right now: nothing was changed.",
        "Sharing is unavailable right now.",
        "Hiding is unavailable right now: nothing was changed.",
    ]) {
        let answer = app.submit(action, fields).await;
        answer.assert_status(303);
        let back = app.get(&path).await;
        back.assert_status(200).assert_contains(message);
    }
}
