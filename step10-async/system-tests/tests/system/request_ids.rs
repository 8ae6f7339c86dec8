//! One request id through the whole system: a logged-in home page view
//! sent with a known `X-Request-Id` is found in the access logs of web,
//! tags, hide, recommend, likes and shares (each service logs one line per
//! request with `mongo_rest::request_id::LOG_FORMAT`, which starts with
//! the request's `X-Request-Id`; the web front forwards its own on every
//! call). The lines are told apart by their request lines' paths, since
//! every service of the test runs in this one process.

use std::time::{Duration, Instant};

use crate::{
    helpers::{AccessLog, Browser, System},
    reactions::synced_post,
};

/// What each service's line starts its request line with, for the home
/// page of `user`.
fn expected(user: &str) -> [(&'static str, String); 6] {
    [
        ("web", "\"GET / HTTP".to_owned()),
        ("tags", format!("\"GET /aggregations/user_topics?user={user}&")),
        ("hide", format!("\"GET /v1/hidden/{user} HTTP")),
        ("recommend", "\"GET /v2/recommendations?".to_owned()),
        ("likes", "\"GET /v1/likes?post_ids=".to_owned()),
        ("shares", "\"GET /v1/shares?post_ids=".to_owned()),
    ]
}

/// The status of an access-log line (the field after the request line).
fn status(line: &str) -> Option<&str> {
    line.rsplit_once("\" ").and_then(|(_, rest)| rest.split(' ').next())
}

#[actix_web::test]
async fn one_logged_in_home_page_views_request_id_is_in_the_logs_of_every_service_it_calls() {
    let system = System::start().await;
    let id = synced_post(&system, "Quokkas log the systemtest", "quokkas").await;
    let rita = Browser::new(&system.web.address);
    rita.login("rita").await;
    // A share, so the home page's share count comes from the real shares.
    let path = format!("/posts/{id}");
    let answer = rita.submit_form_on(&path, &format!("{path}/share")).await;
    assert_eq!(answer.status, 303, "{}", answer.text);

    let request_id = format!("home-view-{}", uuid::Uuid::new_v4().simple());
    let log = AccessLog::watch(&request_id);
    let home = rita.get_with("/", &[("x-request-id", &request_id)]).await;
    assert_eq!(home.status, 200, "{}", home.text);
    assert_eq!(home.header("x-request-id"), request_id);
    assert!(home.text.contains("Quokkas log the systemtest"), "{}", home.text);
    assert!(home.text.contains(">1 share · 0 visits<"), "the count from shares' batch call:\n{}", home.text);

    // Each service logs its line when its answer's body is done: shortly
    // after the page, at the latest.
    let missing = |lines: &[String]| -> Vec<&'static str> {
        let expected = expected("rita");
        expected.into_iter().filter(|(_, start)| !lines.iter().any(|l| l.contains(start))).map(|(s, _)| s).collect()
    };
    let started = Instant::now();
    while !missing(&log.lines()).is_empty() {
        let lines = log.lines();
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "no line with {request_id} from {:?} within 5 s; its lines: {lines:#?}",
            missing(&lines)
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    let lines = log.lines();
    for (service, start) in expected("rita") {
        let line = lines.iter().find(|line| line.contains(&start)).expect("found above");
        assert!(line.starts_with(&format!("{request_id} ")), "{service}: {line}");
        assert_eq!(status(line), Some("200"), "{service}: {line}");
    }
    // One call to shares for the whole page, none per post.
    let shares: Vec<_> = lines.iter().filter(|line| line.contains("\"GET /v1/shares")).collect();
    assert_eq!(shares.len(), 1, "{shares:#?}");
    // Nothing else carries the id: no call the page does not make.
    assert_eq!(lines.len(), 6, "{lines:#?}");
}
