//! A job's life through the HTTP interface: submitted (202 + Location +
//! Retry-After), polled, redirected (303) to its result, read again;
//! imports that write through posts' API and do not double on a re-import;
//! a file import; an export; expiry.

use std::{collections::BTreeSet, time::Duration};

use serde_json::{json, Value};

use crate::helpers::*;

#[actix_web::test]
async fn a_generated_import_is_accepted_polled_redirected_and_read_twice() {
    let posts = spawn_posts().await;
    let jobs = spawn_jobs(settings(&posts.address, |_| {}), true).await;

    let submitted = jobs.submit("import", &json!({ "generate": 30, "seed": 7 })).await;
    let id = submitted.body["id"].as_str().expect("an id").to_owned();
    assert_eq!(submitted.header("location"), Some(format!("/v1/jobs/{id}").as_str()));
    assert_eq!(submitted.header("retry-after"), Some("1"));
    assert_eq!(submitted.body["kind"], "import");
    assert_eq!(submitted.body["status"], "queued");
    assert_eq!(submitted.body["progress"], json!({ "done": 0, "total": 30 }));
    assert_eq!(submitted.body["_links"]["self"]["href"], format!("/v1/jobs/{id}"));
    assert!(submitted.body["_links"]["result"].is_null());

    let done = jobs.finished(&format!("/v1/jobs/{id}"), Duration::from_secs(30)).await;
    done.assert_status(303);
    assert_eq!(done.header("location"), Some(format!("/v1/jobs/{id}/result").as_str()));
    assert!(done.header("retry-after").is_none());
    assert_eq!(done.body["status"], "succeeded");
    assert_eq!(done.body["progress"], json!({ "done": 30, "total": 30 }));
    assert_eq!(done.body["attempts"], 1);
    assert!(done.body["started_at"].is_string() && done.body["finished_at"].is_string());
    assert_eq!(done.body["_links"]["result"]["href"], format!("/v1/jobs/{id}/result"));

    let expected = json!({ "read": 30, "written": 30, "skipped": 0, "errors": 0, "reports": [] });
    for _ in 0..2 {
        let result = jobs.api.get(&format!("/v1/jobs/{id}/result")).await;
        result.assert_status(200);
        assert_eq!(result.body, expected, "the result stays readable");
    }

    // The posts are in posts, read through its API, exactly the generator's.
    assert_eq!(posts_total(&posts).await, 30);
    let page = posts.get("/posts?max_results=50&projection=%7B%22name%22%3A1%7D").await;
    let names: BTreeSet<String> =
        page.body["_items"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_owned()).collect();
    let generated: BTreeSet<String> = datasets::generate::Generator::new(7, 30, None).map(|p| p.name).collect();
    assert_eq!(names, generated);

    // The same posts again: all skipped, none doubled.
    let again = jobs.import_generated(30, 7).await;
    assert_eq!(again, json!({ "read": 30, "written": 0, "skipped": 30, "errors": 0, "reports": [] }));
    assert_eq!(posts_total(&posts).await, 30);
}

#[actix_web::test]
async fn a_file_of_json_lines_is_imported_and_reimported_without_doubles() {
    let posts = spawn_posts().await;
    let jobs = spawn_jobs(settings(&posts.address, |_| {}), true).await;
    let file = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/fixtures/posts.ndjson")).unwrap();

    for (written, skipped) in [(4, 1), (0, 5)] {
        let submitted = jobs.api.raw("POST", "/v1/jobs/import", "application/x-ndjson", file.clone()).await;
        submitted.assert_status(202);
        assert_eq!(submitted.body["progress"]["total"], 4, "four posts (the comment is not one)");
        let location = submitted.header("location").unwrap().to_owned();
        let done = jobs.finished(&location, Duration::from_secs(30)).await;
        done.assert_status(303);
        let result = jobs.api.get(done.header("location").unwrap()).await;
        assert_eq!(
            result.body,
            json!({ "read": 5, "written": written, "skipped": skipped, "errors": 0, "reports": [] }),
            "records: four posts and a comment"
        );
    }
    assert_eq!(posts_total(&posts).await, 4);
    let found = posts.get("/posts?where=%7B%22name%22%3A%22t3_jobfx2%22%7D").await;
    let post = &found.body["_items"][0];
    assert_eq!(post["title"], "A self post about MongoDB leases");
    assert_eq!(post["is_self"], true);
    assert_eq!(post["domain"], "self.Python");
    assert_eq!(post["created_utc"], "Sun, 09 Jun 2013 02:54:42 GMT");
}

#[actix_web::test]
async fn a_post_that_posts_refuses_is_an_error_of_the_import_not_a_failure() {
    let posts = spawn_posts().await;
    let jobs = spawn_jobs(settings(&posts.address, |_| {}), true).await;
    let long = "x".repeat(301);
    let file = format!(
        "{}\n{}\n",
        json!({ "name": "t3_ok1", "title": "fine", "author": "ann", "created_utc": 1370746482 }),
        json!({ "name": "t3_long1", "title": long, "author": "ann", "created_utc": 1370746482 })
    );
    let submitted = jobs.api.raw("POST", "/v1/jobs/import", "application/x-ndjson", file.into_bytes()).await;
    submitted.assert_status(202);
    let done = jobs.finished(submitted.header("location").unwrap(), Duration::from_secs(30)).await;
    done.assert_status(303);
    let result = jobs.api.get(done.header("location").unwrap()).await.body;
    assert_eq!(
        (result["read"].as_i64(), result["written"].as_i64(), result["errors"].as_i64()),
        (Some(2), Some(1), Some(1))
    );
    let report = result["reports"][0].as_str().unwrap();
    assert!(report.contains("t3_long1") && report.contains("title"), "{report}");
    assert_eq!(posts_total(&posts).await, 1);
}

#[actix_web::test]
async fn an_export_is_the_users_tagged_posts_as_json_lines() {
    let posts = spawn_posts().await;
    let tags = spawn_tags().await;
    let jobs = spawn_jobs(settings(&posts.address, |s| s.tags_urls = vec![tags.address.clone()]), true).await;
    jobs.import_generated(5, 3).await;
    let page = posts.get("/posts?max_results=5").await;
    let ids: Vec<String> =
        page.body["_items"].as_array().unwrap().iter().map(|p| p["_id"].as_str().unwrap().to_owned()).collect();
    for (user, post, tag) in
        [("ann", &ids[0], "rust"), ("ann", &ids[0], "async"), ("ann", &ids[1], "db"), ("bob", &ids[2], "x")]
    {
        tags.post("/tags", &json!({ "user": user, "post_id": post, "tag": tag })).await.assert_status(201);
    }

    let submitted = jobs.submit("export", &json!({ "user": "ann" })).await;
    let done = jobs.finished(submitted.header("location").unwrap(), Duration::from_secs(30)).await;
    done.assert_status(303);
    assert_eq!(done.body["progress"], json!({ "done": 2, "total": 2 }));
    let url = format!("{}{}", jobs.api.address, done.header("location").unwrap());
    for _ in 0..2 {
        let (status, content_type, body) = get_text(&url).await;
        assert_eq!((status, content_type.as_str()), (200, "application/x-ndjson"));
        let lines: Vec<Value> = body.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect();
        assert_eq!(lines.len(), 2, "{body}");
        let mut seen: Vec<(String, Value)> =
            lines.iter().map(|l| (l["_id"].as_str().unwrap().to_owned(), l["tags"].clone())).collect();
        seen.sort_by(|a, b| a.0.cmp(&b.0));
        let mut expected = vec![(ids[0].clone(), json!(["async", "rust"])), (ids[1].clone(), json!(["db"]))];
        expected.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(seen, expected);
        assert!(lines.iter().all(|l| l["title"].is_string()));
    }

    // A user who tagged nothing: an empty export, still a success.
    let submitted = jobs.submit("export", &json!({ "user": "nobody" })).await;
    let done = jobs.finished(submitted.header("location").unwrap(), Duration::from_secs(30)).await;
    done.assert_status(303);
    let (status, _, body) = get_text(&format!("{}{}", jobs.api.address, done.header("location").unwrap())).await;
    assert_eq!((status, body.as_str()), (200, ""));
}

#[actix_web::test]
async fn a_finished_job_expires_after_its_retention() {
    let posts = spawn_posts().await;
    let jobs = spawn_jobs(settings(&posts.address, |s| s.retention = Duration::from_secs(1)), true).await;
    let submitted = jobs.submit("import", &json!({ "generate": 1 })).await;
    let location = submitted.header("location").unwrap().to_owned();
    let done = jobs.finished(&location, Duration::from_secs(30)).await;
    done.assert_status(303);
    jobs.api.get(&format!("{location}/result")).await.assert_status(200);
    actix_web::rt::time::sleep(Duration::from_millis(1_200)).await;
    // The TTL monitor may not have run yet: reads check the expiry.
    jobs.api.get(&location).await.assert_error(404, "expired");
    jobs.api.get(&format!("{location}/result")).await.assert_error(404, "expired");
    jobs.api.request("DELETE", &location, &[], None).await.assert_error(404, "expired");
}
