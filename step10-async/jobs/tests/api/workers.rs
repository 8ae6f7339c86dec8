//! The workers under trouble: the queue's bound, cancel (queued and
//! running), a worker killed mid-job whose job another process resumes
//! without doubles, and a job that keeps failing.

use std::time::Duration;

use mongodb::bson::{doc, Document};
use serde_json::json;

use crate::helpers::*;

#[actix_web::test]
async fn a_full_queue_answers_429_with_retry_after() {
    let posts = spawn_posts().await;
    let jobs = spawn_jobs(
        settings(&posts.address, |s| {
            s.workers = 0;
            s.queue_max = 1;
        }),
        true,
    )
    .await;
    jobs.submit("import", &json!({ "generate": 5 })).await;
    let full = jobs.api.post("/v1/jobs/export", &json!({ "user": "ann" })).await;
    full.assert_error(429, "queue is full");
    let retry: u64 = full.header("retry-after").expect("Retry-After").parse().expect("seconds");
    assert!(retry >= 1);
    let queued = jobs.api.db.collection::<Document>("jobs").count_documents(doc! {}).await.unwrap();
    assert_eq!(queued, 1, "the refused submission stored nothing");
}

#[actix_web::test]
async fn a_queued_job_is_canceled_and_stays_so() {
    let posts = spawn_posts().await;
    let jobs = spawn_jobs(settings(&posts.address, |s| s.workers = 0), true).await;
    let submitted = jobs.submit("import", &json!({ "generate": 5 })).await;
    let location = submitted.header("location").unwrap().to_owned();
    for _ in 0..2 {
        let canceled = jobs.api.request("DELETE", &location, &[], None).await;
        canceled.assert_status(200);
        assert_eq!(canceled.body["status"], "canceled");
        assert!(canceled.body["finished_at"].is_string());
    }
    let polled = jobs.api.get(&location).await;
    polled.assert_status(200);
    assert_eq!(polled.body["status"], "canceled");
    assert!(polled.header("retry-after").is_none(), "a finished job is not polled again");
    jobs.api.get(&format!("{location}/result")).await.assert_error(404, "canceled");
}

#[actix_web::test]
async fn a_running_job_stops_at_its_next_batch_once_canceled() {
    let posts = spawn_posts().await;
    let jobs = spawn_jobs(settings(&posts.address, |s| s.batch_size = 5), true).await;
    let submitted = jobs.submit("import", &json!({ "generate": 2000 })).await;
    let location = submitted.header("location").unwrap().to_owned();
    wait_for(Duration::from_secs(30), "the job has started", || async {
        let job = jobs.api.get(&location).await;
        (job.body["progress"]["done"].as_i64() > Some(0)).then_some(())
    })
    .await;
    let canceled = jobs.api.request("DELETE", &location, &[], None).await;
    canceled.assert_status(200);
    assert_eq!(canceled.body["status"], "canceled");
    // At most the batch in flight is written after the cancel.
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    let after = posts_total(&posts).await;
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(posts_total(&posts).await, after, "the worker stopped");
    assert!(after < 2000, "{after}");
    assert_eq!(jobs.api.get(&location).await.body["status"], "canceled");
    // A succeeded job cannot be canceled.
    let other = jobs.submit("import", &json!({ "generate": 1, "seed": 99 })).await;
    let other = other.header("location").unwrap().to_owned();
    jobs.finished(&other, Duration::from_secs(30)).await.assert_status(303);
    jobs.api.request("DELETE", &other, &[], None).await.assert_error(409, "succeeded");
    jobs.api.get(&other).await.assert_status(303);
}

#[actix_web::test]
async fn a_job_whose_worker_was_killed_is_resumed_by_another_without_doubles() {
    let posts = spawn_posts().await;
    let short = |s: &mut step10_jobs::settings::Settings| {
        s.lease = Duration::from_secs(1);
        s.batch_size = 10;
        s.workers = 1;
    };
    let mut first = spawn_jobs(settings(&posts.address, short), true).await;
    let submitted = first.submit("import", &json!({ "generate": 400, "seed": 5 })).await;
    let location = submitted.header("location").unwrap().to_owned();
    wait_for(Duration::from_secs(30), "the first worker is half-way", || async {
        let job = first.api.get(&location).await;
        (job.body["progress"]["done"].as_i64() >= Some(50)).then_some(())
    })
    .await;
    first.workers.take().unwrap().stop();
    let stopped = first.api.get(&location).await;
    assert_eq!(stopped.body["status"], "running", "a killed worker's job stays running until its lease runs out");
    let done_when_killed = stopped.body["progress"]["done"].as_i64().unwrap();
    assert!(done_when_killed < 400, "killed mid-job: {done_when_killed}");

    // A second process on the same database takes the job over.
    let same_db = settings(&posts.address, |s| {
        short(s);
        s.common.mongodb_db = first.db_name.clone();
    });
    let second = spawn_jobs(same_db, false).await;
    let done = second.finished(&location, Duration::from_secs(60)).await;
    done.assert_status(303);
    assert_eq!(done.body["attempts"], 2);
    assert_eq!(done.body["progress"]["done"], 400);
    let result = second.api.get(done.header("location").unwrap()).await.body;
    assert_eq!(result["errors"], 0);
    assert_eq!(result["read"], 400);
    let (written, skipped) = (result["written"].as_i64().unwrap(), result["skipped"].as_i64().unwrap());
    assert_eq!(written + skipped, 400, "{result}");
    assert_eq!(posts_total(&posts).await, 400, "every post once, none twice");
}

#[actix_web::test]
async fn a_job_that_keeps_failing_is_failed_after_its_attempts() {
    let jobs = spawn_jobs(
        settings("http://127.0.0.1:1", |s| {
            s.max_attempts = 2;
            s.upstream_timeout = Duration::from_millis(500);
        }),
        true,
    )
    .await;
    let submitted = jobs.submit("import", &json!({ "generate": 3 })).await;
    let done = jobs.finished(submitted.header("location").unwrap(), Duration::from_secs(30)).await;
    done.assert_status(200);
    assert_eq!(done.body["status"], "failed");
    assert_eq!(done.body["attempts"], 2);
    let error = done.body["error"].as_str().unwrap();
    assert!(error.contains("posts"), "{error}");
    assert!(done.body["finished_at"].is_string());
    jobs.api.get(&format!("{}/result", submitted.header("location").unwrap())).await.assert_error(404, "failed");
    let canceled = jobs.api.request("DELETE", submitted.header("location").unwrap(), &[], None).await;
    canceled.assert_error(409, "failed");
}

#[actix_web::test]
async fn a_job_whose_workers_keep_dying_is_failed_when_claimed_beyond_its_attempts() {
    let posts = spawn_posts().await;
    let jobs = spawn_jobs(settings(&posts.address, |s| s.workers = 0), true).await;
    let submitted = jobs.submit("import", &json!({ "generate": 3 })).await;
    let location = submitted.header("location").unwrap().to_owned();
    let id = submitted.body["id"].as_str().unwrap().to_owned();
    // As three workers that each claimed it and died would leave it.
    let past = mongodb::bson::DateTime::from_millis(mongodb::bson::DateTime::now().timestamp_millis() - 1_000);
    let taken = doc! { "$set": { "status": "running", "owner": "dead/0", "lease_until": past, "attempts": 3_i64 } };
    jobs.api.db.collection::<Document>("jobs").update_one(doc! { "_id": &id }, taken).await.unwrap();
    assert_eq!(jobs.api.get(&location).await.body["status"], "running");

    let same_db = settings(&posts.address, |s| s.common.mongodb_db = jobs.db_name.clone());
    let worker = spawn_jobs(same_db, false).await;
    let done = worker.finished(&location, Duration::from_secs(30)).await;
    assert_eq!(done.body["status"], "failed");
    assert_eq!(done.body["attempts"], 4);
    let error = done.body["error"].as_str().unwrap();
    assert!(error.contains("gave up after 3 attempt(s)") && error.contains("stopped"), "{error}");
    assert_eq!(posts_total(&posts).await, 0, "a job given up is not run");
}

#[actix_web::test]
async fn a_submission_retried_with_its_idempotency_key_makes_one_job() {
    let posts = spawn_posts().await;
    let jobs = spawn_jobs(settings(&posts.address, |s| s.workers = 0), true).await;
    let body = json!({ "generate": 10, "seed": 3 });
    let key = [("Idempotency-Key", "import-10-seed-3")];
    let first = jobs.api.request("POST", "/v1/jobs/import", &key, Some(&body)).await;
    first.assert_status(202);
    let again = jobs.api.request("POST", "/v1/jobs/import", &key, Some(&body)).await;
    again.assert_status(202);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.header("location"), first.header("location"), "the same job");
    assert_eq!(again.body["id"], first.body["id"]);
    let other = jobs.api.request("POST", "/v1/jobs/import", &key, Some(&json!({ "generate": 11 }))).await;
    other.assert_status(422);
    let stored = jobs.api.db.collection::<Document>("jobs").count_documents(doc! {}).await.unwrap();
    assert_eq!(stored, 1, "one job for the retried submission, none for the mismatch");
    // Without a key, a second submission is a second job.
    jobs.submit("import", &body).await;
    let stored = jobs.api.db.collection::<Document>("jobs").count_documents(doc! {}).await.unwrap();
    assert_eq!(stored, 2);
    // A key on a status read changes nothing.
    let location = first.header("location").unwrap();
    let read = jobs.api.request("GET", location, &[("Idempotency-Key", "read-1")], None).await;
    read.assert_status(200);
    assert!(read.header("idempotent-replayed").is_none());
}
