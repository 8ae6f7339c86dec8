//! Step 10 through the real services and the web front's pages: a like
//! counted once and shown on the post page and the home page, a hidden
//! post left out of home, search results and `/recommended/` (and back
//! when un-hidden), a share link that redirects and counts its visit, a
//! job import whose posts sync carries to search, and the pages degrading
//! (200 and a notice, never a 5xx) when likes cannot be reached.
//!
//! The web front's own tests check the same pages against stand-ins; these
//! check that the services answer what the stand-ins pretend.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{dead_url, eventually, Browser, System};

/// The bound on a write reaching search and recommend (the 5 s).
const WITHIN: Duration = Duration::from_secs(5);

/// Whether search's API finds the post `id` for `q`.
async fn search_finds(system: &System, q: &str, id: &str) -> bool {
    let page = system.search.get(&format!("/v1/search?q={q}&max_results=50")).await;
    page.status == 200 && page.body["_items"].as_array().is_some_and(|items| items.iter().any(|i| i["_id"] == id))
}

/// Whether recommend's v2 (no topics, 50 items) lists `id`.
async fn recommend_lists(system: &System, id: &str) -> bool {
    let page = system.recommend.get("/v2/recommendations?max_results=50").await;
    page.status == 200 && page.body["_items"].as_array().is_some_and(|items| items.iter().any(|i| i["_id"] == id))
}

/// Creates a post that recommend ranks first (a high score) and waits until
/// sync has carried it to search (for `word`) and recommend; its id.
pub(crate) async fn synced_post(system: &System, title: &str, word: &str) -> String {
    let post = system.create_post(title, 900).await;
    let id = post["_id"].as_str().unwrap().to_owned();
    system.wait_synced(Duration::from_secs(10)).await;
    eventually(WITHIN, "search finds the post", || search_finds(system, word, &id)).await;
    eventually(WITHIN, "recommend lists the post", || recommend_lists(system, &id)).await;
    id
}

#[actix_web::test]
async fn a_like_through_the_form_counts_once_on_the_post_page_and_the_home_page() {
    let system = System::start().await;
    let id = synced_post(&system, "Wombats like the systemtest", "wombats").await;
    let path = format!("/posts/{id}");
    let like = format!("{path}/like");
    let ada = Browser::new(&system.web.address);
    ada.login("ada").await;

    // The same form submitted twice (a double click: the same form key, so
    // the same Idempotency-Key): one like.
    let shown = ada.get(&path).await;
    assert_eq!(shown.status, 200);
    assert!(shown.text.contains("0 likes<"), "{}", shown.text);
    let fields = shown.form(&like).expect("a like form for a logged-in user");
    for _ in 0..2 {
        let answer = ada.submit(&like, &fields).await;
        assert_eq!((answer.status, answer.location()), (303, path.as_str()), "{}", answer.text);
    }
    let count = system.likes.get(&format!("/v1/likes/{id}")).await;
    count.assert_status(200);
    assert_eq!(count.body, json!({ "post_id": id, "count": 1 }));
    let mine = system.likes.get(&format!("/v1/likes?post_ids={id}&user=ada")).await;
    assert_eq!(mine.body["_items"], json!([{ "post_id": id, "count": 1, "liked": true }]));

    // The count on the post page and the home page, for ada and anyone.
    let post_page = ada.get(&path).await;
    assert!(post_page.text.contains("1 like<"), "{}", post_page.text);
    let unlike = post_page.form(&like).expect("an unlike form");
    assert!(unlike.contains(&("action".into(), "unlike".into())), "{unlike:?}");
    for browser in [&ada, &Browser::new(&system.web.address)] {
        let home = browser.get("/").await;
        assert_eq!(home.status, 200);
        assert!(home.text.contains("Wombats like the systemtest"), "{}", home.text);
        assert!(home.text.contains("1 like<"), "the home page does not show the count:\n{}", home.text);
    }

    // A second like with another form key (the home page's form, which
    // offers an unlike, sent as a like) is still one like; then the unlike
    // brings the count back to 0.
    let mut fields = ada.get("/").await.form(&like).expect("a form on the home page");
    assert!(fields.contains(&("action".into(), "unlike".into())), "{fields:?}");
    for (name, value) in &mut fields {
        if name == "action" {
            *value = "like".into();
        }
    }
    let again = ada.submit(&like, &fields).await;
    assert_eq!(again.status, 303);
    assert_eq!(system.likes.get(&format!("/v1/likes/{id}")).await.body["count"], 1);
    ada.submit(&like, &unlike).await;
    assert_eq!(system.likes.get(&format!("/v1/likes/{id}")).await.body["count"], 0);
    assert!(ada.get(&path).await.text.contains("0 likes<"));

    // The service itself: the same Idempotency-Key replays the first 201.
    let key = [("idempotency-key", "system-like-1")];
    let first = system.likes.request("PUT", &format!("/v1/likes/{id}/bob"), &key, None).await;
    first.assert_status(201);
    let replayed = system.likes.request("PUT", &format!("/v1/likes/{id}/bob"), &key, None).await;
    replayed.assert_status(201);
    assert_eq!(replayed.header("idempotent-replayed"), Some("true"));
    assert_eq!(replayed.body, first.body);
    assert_eq!(system.likes.get(&format!("/v1/likes/{id}")).await.body["count"], 1);
}

/// Whether the page at `path` (as `browser` sees it) lists `title`, after
/// asserting that it is a 200.
async fn lists(browser: &Browser, path: &str, title: &str) -> bool {
    let page = browser.get(path).await;
    assert_eq!(page.status, 200, "{path}:\n{}", page.text);
    page.shown().contains(title)
}

#[actix_web::test]
async fn a_hidden_post_leaves_home_search_and_recommended_and_comes_back_unhidden() {
    let system = System::start().await;
    let title = "Axolotls hide in the systemtest";
    let id = synced_post(&system, title, "axolotls").await;
    let path = format!("/posts/{id}");
    let hide = format!("{path}/hide");
    let pages = ["/", "/recommended/", "/search_results/axolotls"];
    let cleo = Browser::new(&system.web.address);
    cleo.login("cleo").await;
    for list in pages {
        assert!(lists(&cleo, list, title).await, "{list} does not list the post before it is hidden");
    }

    // Hidden from the home page's form: back home, with a message naming
    // the post (read here, so that the lists below are without it).
    let answer = cleo.submit_form_on("/", &hide).await;
    assert_eq!((answer.status, answer.location()), (303, "/"), "{}", answer.text);
    let flashed = cleo.get("/").await;
    assert!(flashed.shown().contains("is left out of your lists"), "{}", flashed.text);
    let hidden = system.hide.get("/v1/hidden/cleo").await;
    hidden.assert_status(200);
    assert_eq!(hidden.body, json!({ "user": "cleo", "post_ids": [id] }));
    for list in pages {
        assert!(!lists(&cleo, list, title).await, "{list} lists a hidden post");
    }
    // Another visitor still sees it everywhere.
    let anyone = Browser::new(&system.web.address);
    for list in pages {
        assert!(lists(&anyone, list, title).await, "{list} hides the post from another visitor");
    }

    // Its own page offers the way back; un-hidden, it is listed again.
    let answer = cleo.submit_form_on(&path, &hide).await;
    assert_eq!(answer.status, 303, "{}", answer.text);
    let flashed = cleo.get(answer.location()).await;
    assert!(flashed.shown().contains("is shown in your lists again"), "{}", flashed.text);
    assert_eq!(system.hide.get("/v1/hidden/cleo").await.body["post_ids"], json!([]));
    for list in pages {
        assert!(lists(&cleo, list, title).await, "{list} does not list the un-hidden post");
    }
}

#[actix_web::test]
async fn a_share_link_redirects_to_the_post_and_counts_the_visit() {
    let system = System::start().await;
    let post = system.create_post("Pangolins share the systemtest", 500).await;
    let id = post["_id"].as_str().unwrap().to_owned();
    let path = format!("/posts/{id}");
    let eve = Browser::new(&system.web.address);
    eve.login("eve").await;

    let answer = eve.submit_form_on(&path, &format!("{path}/share")).await;
    assert_eq!((answer.status, answer.location()), (303, path.as_str()), "{}", answer.text);
    let shown = eve.get(&path).await.shown();
    let link = shown.split("Your link to “Pangolins share the systemtest”: ").nth(1).expect("the link is flashed");
    let link: String = link.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '/' || *c == '_').collect();
    assert!(link.starts_with("/s/") && link.len() > 3, "{link:?}");
    // The shares service hands eve the same link again.
    let again = system.shares.post("/v1/shares", &json!({ "post_id": id, "user": "eve" })).await;
    again.assert_status(200);
    assert_eq!(again.body["url"], link.as_str());

    // Anyone following it lands on the post; the visit is counted.
    let visit = Browser::new(&system.web.address).get(&link).await;
    assert_eq!((visit.status, visit.location()), (302, path.as_str()), "{}", visit.text);
    let counts = system.shares.get(&format!("/v1/shares/{id}")).await;
    counts.assert_status(200);
    assert_eq!(
        (counts.body["count"].clone(), counts.body["visits"].clone()),
        (json!(1), json!(1)),
        "{:#}",
        counts.body
    );
    // The post page shows both.
    let page = eve.get(&path).await;
    assert!(page.text.contains("1 share · 1 visit"), "{}", page.text);
    // An unknown code is the 404 page, and counts nothing.
    let unknown = Browser::new(&system.web.address).get("/s/zZ9zZ9zZ").await;
    assert_eq!(unknown.status, 404, "{}", unknown.text);
    assert_eq!(system.shares.get(&format!("/v1/shares/{id}")).await.body["visits"], 1);
}

/// A query that finds a post titled `title`: the title's words (ASCII
/// letters and digits, so that they need no escaping in a URL), when
/// search would extract keywords from them (`datasets::keywords`, its own
/// extractor: a title of stop words alone finds nothing); else `None`.
fn keyword(title: &str) -> Option<String> {
    let words: Vec<&str> = title.split(|c: char| !c.is_ascii_alphanumeric()).filter(|word| !word.is_empty()).collect();
    let q = words.join(" ");
    (!datasets::keywords(&q).is_empty()).then(|| words.join("%20"))
}

#[actix_web::test]
async fn an_imported_job_is_polled_to_its_result_and_its_posts_become_searchable() {
    let system = System::start().await;
    let submitted = system.jobs.post("/v1/jobs/import", &json!({ "generate": 20, "seed": 1 })).await;
    submitted.assert_status(202);
    let location = submitted.header("location").expect("a Location").to_owned();
    assert_eq!(location, format!("/v1/jobs/{}", submitted.body["id"].as_str().unwrap()));
    assert!(submitted.header("retry-after").is_some());

    // Polled until the 303 that points to the result.
    let mut polls = 0;
    let result_at = loop {
        let job = system.jobs.get(&location).await;
        polls += 1;
        match job.status {
            303 => break job.header("location").expect("the result's address").to_owned(),
            200 => {
                assert!(["queued", "running"].contains(&job.body["status"].as_str().unwrap()), "{:#}", job.body);
                assert!(job.header("retry-after").is_some(), "no Retry-After while {}", job.body["status"]);
            }
            other => panic!("{other} while polling: {:#}", job.body),
        }
        assert!(polls < 300, "the import did not finish in 30 s");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(result_at, format!("{location}/result"));
    let result = system.jobs.get(&result_at).await;
    result.assert_status(200);
    assert_eq!(
        (result.body["read"].clone(), result.body["written"].clone()),
        (json!(20), json!(20)),
        "{:#}",
        result.body
    );
    // Still there on a second read.
    system.jobs.get(&result_at).await.assert_status(200);

    // The posts, as posts serves them; sync carries them to search.
    let posts = system.posts.get("/posts?max_results=50").await;
    posts.assert_status(200);
    let items: Vec<Value> = posts.body["_items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 20, "{:#}", posts.body);
    let wanted: Vec<(String, String)> = items
        .iter()
        .filter_map(|post| Some((post["_id"].as_str()?.to_owned(), keyword(post["title"].as_str()?)?)))
        .collect();
    assert!(wanted.len() >= 10, "too few titles with a keyword: {wanted:?}");
    let started = std::time::Instant::now();
    loop {
        let mut missing = Vec::new();
        for (id, word) in &wanted {
            if !search_finds(&system, word, id).await {
                missing.push((id, word));
            }
        }
        if missing.is_empty() {
            break;
        }
        if started.elapsed() > WITHIN {
            let some = system.search.get(&format!("/v1/search?q={}", missing[0].1)).await;
            panic!("search does not find {missing:?} within {WITHIN:?}; e.g. {:#}", some.body);
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!("import finished → searchable: {:?}", started.elapsed());
}

#[actix_web::test]
async fn likes_out_of_reach_degrade_the_pages_with_a_notice_never_a_5xx() {
    let system = System::start().await;
    let id = synced_post(&system, "Tapirs endure the systemtest", "tapirs").await;
    let path = format!("/posts/{id}");
    let address = system.another_web(&[("LIKES_URL", dead_url())]).await;
    let notice = "Like counts are unavailable right now.";

    let zoe = Browser::new(&address);
    for logged_in in [false, true] {
        if logged_in {
            zoe.login("zoe").await;
        }
        for page in ["/", "/recommended/", "/search_results/tapirs", path.as_str()] {
            let html = zoe.get(page).await;
            assert_eq!(html.status, 200, "{page} (logged in: {logged_in}):\n{}", html.text);
            assert!(html.text.contains(notice), "{page} has no notice:\n{}", html.text);
            assert!(html.shown().contains("Tapirs endure the systemtest"), "{page} lost the post");
            // Shares still answer: their counts are shown.
            assert!(html.text.contains("0 shares"), "{page}:\n{}", html.text);
        }
    }
    // No like form without likes; a like posted anyway is a flash.
    let shown = zoe.get(&path).await;
    assert!(shown.form(&format!("{path}/like")).is_none(), "a like form while likes is down");
    let token = shown.csrf_token();
    let key = "k".repeat(22);
    let form = [("csrf_token", token.as_str()), ("idempotency_key", key.as_str()), ("action", "like")];
    let answer = zoe.post_form(&format!("{path}/like"), &form).await;
    assert_eq!(answer.status, 303, "{}", answer.text);
    let flashed = zoe.get(answer.location()).await;
    assert!(flashed.text.contains("Likes are unavailable right now"), "{}", flashed.text);
    // The first web front, wired to likes, shows the counts as before.
    let home = crate::helpers::page(&format!("{}/", system.web.address)).await;
    assert!(home.status == 200 && !home.text.contains(notice) && home.text.contains("0 likes<"), "{}", home.text);
}
