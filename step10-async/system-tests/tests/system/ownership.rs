//! Each service owns its data: after every service has worked (a sync
//! snapshot and entries, searches, recommendations, tags, page views), the
//! databases each one sent commands to are its own and no other, as its
//! `/health/ready` reports them (recorded by the client every service
//! makes, `kit::mongo`).

use std::time::Duration;

use serde_json::json;

use crate::helpers::{page, System};

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

    for (service, api) in [
        ("posts", &system.posts),
        ("tags", &system.tags),
        ("search", &system.search),
        ("recommend", &system.recommend),
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
