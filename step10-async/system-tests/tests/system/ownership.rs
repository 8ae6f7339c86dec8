//! Each service owns its data: after every service has worked (a sync
//! snapshot and entries, searches, recommendations, tags, page views, a
//! like, a share and its visit, a hidden post, an import job), the
//! databases each one sent commands to are its own and no other, as its
//! `/health/ready` reports them (recorded by the client every service
//! makes, `kit::mongo`).

use std::time::Duration;

use serde_json::json;

use crate::helpers::{page, Browser, System};

#[actix_web::test]
async fn every_service_touched_its_own_database_and_no_other() {
    let system = System::start().await;
    let post = system.create_post("Ownership of the systemtest data", 700).await;
    system.wait_synced(Duration::from_secs(10)).await;
    let id = post["_id"].as_str().unwrap();
    let tag = json!({ "user": "ada", "post_id": id, "tag": "ownership" });
    system.tags.post("/tags", &tag).await.assert_status(201);
    system.tags.get("/aggregations/user_topics?user=ada").await.assert_status(200);
    for path in ["/", "/search_results/ownership", &format!("/posts/{id}"), "/login"] {
        assert_eq!(page(&format!("{}{path}", system.web.address)).await.status, 200, "{path}");
    }
    // Step 10's services, through the pages (likes, shares, hide) and the
    // jobs API (an import, which writes through posts' API).
    let ada = Browser::new(&system.web.address);
    ada.login("ada").await;
    let post_page = format!("/posts/{id}");
    for action in ["like", "share", "hide"] {
        let answer = ada.submit_form_on(&post_page, &format!("{post_page}/{action}")).await;
        assert_eq!(answer.status, 303, "{action}: {}", answer.text);
    }
    assert_eq!(system.likes.get(&format!("/v1/likes/{id}")).await.body["count"], 1);
    let share = system.shares.post("/v1/shares", &json!({ "post_id": id, "user": "ada" })).await;
    share.assert_status(200);
    let visit = ada.get(share.body["url"].as_str().unwrap()).await;
    assert_eq!(visit.status, 302, "{}", visit.text);
    assert_eq!(system.hide.get("/v1/hidden/ada").await.body["post_ids"], json!([id]));
    let job = system.jobs.post("/v1/jobs/import", &json!({ "generate": 3, "seed": 7 })).await;
    job.assert_status(202);
    let location = job.header("location").unwrap().to_owned();
    crate::helpers::eventually(Duration::from_secs(30), "the import finishes", || async {
        system.jobs.get(&location).await.status == 303
    })
    .await;

    for (service, api) in [
        ("posts", &system.posts),
        ("tags", &system.tags),
        ("search", &system.search),
        ("recommend", &system.recommend),
        ("likes", &system.likes),
        ("shares", &system.shares),
        ("hide", &system.hide),
        ("jobs", &system.jobs),
        ("web", &system.web),
    ] {
        let ready = api.get("/health/ready").await;
        ready.assert_status(200);
        let own = api.db.name().to_owned();
        assert_eq!(ready.body["databases"], json!([own]), "{service} touched other databases: {:#}", ready.body);
    }
    // Sync has no database at all.
    let ready = system.sync.get("/health/ready").await;
    ready.assert_status(200);
    assert!(ready.body.get("databases").is_none_or(|d| d == &json!([])), "{:#}", ready.body);
}
