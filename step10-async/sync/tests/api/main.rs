//! The sync service's integration tests: one binary, each test with its
//! own posts database and test targets (see `helpers.rs`).

mod helpers;

use std::time::Duration;

use helpers::*;
use mongodb::bson::{doc, Document};
use rand::Rng;
use serde_json::json;

/// A burst of `writes` random creates, patches and deletes through the
/// posts API (creates first so that there is something to change).
async fn burst(posts: &TestPosts, writes: usize) {
    let mut live: Vec<(String, String)> = Vec::new();
    for n in 0..writes {
        let pick = rand::rng().random_range(0..10);
        if live.is_empty() || pick < 5 {
            live.push(posts.create(&format!("Burst post {n} on sync"), n as i64).await);
        } else if pick < 8 {
            let i = rand::rng().random_range(0..live.len());
            let (id, etag) = live[i].clone();
            let etag = posts.patch(&id, &etag, &json!({ "score": 1000 + n, "title": format!("Patched {n}") })).await;
            live[i].1 = etag;
        } else {
            let (id, etag) = live.swap_remove(rand::rng().random_range(0..live.len()));
            posts.delete(&id, &etag).await;
        }
    }
}

/// Waits until both targets end their snapshot at oplog seq `seq`.
async fn snapshot_done(targets: &[&TestTarget], seq: i64) {
    for target in targets {
        wait_for(Duration::from_secs(15), "the snapshot ends", || async {
            target.checkpoint().await.filter(|c| c.position.seq == Some(seq) && c.position.snapshot.is_none())
        })
        .await;
    }
}

#[actix_web::test]
async fn a_fresh_deployment_is_snapshotted_then_follows_creates_patches_and_deletes() {
    let posts = spawn_posts().await;
    posts.seed(120).await; // three snapshot pages of 50
    let (search, recommend) = (spawn_target(&mongodb_uri(), 0).await, spawn_target(&mongodb_uri(), 0).await);
    let sync = spawn_sync(sync_settings(&posts, &search.address, &recommend.address)).await;
    snapshot_done(&[&search, &recommend], 0).await;
    assert_eq!(search.docs().await, posts.state().await);

    let (id, etag) = posts.create("A brand new post", 3).await;
    for target in [&search, &recommend] {
        wait_for(Duration::from_secs(5), "the new post arrives", || async {
            target.docs().await.get(&id).filter(|d| d.0 == "A brand new post" && d.1 == 3).map(|_| ())
        })
        .await;
    }
    let etag = posts.patch(&id, &etag, &json!({ "score": 42, "title": "A retitled post" })).await;
    for target in [&search, &recommend] {
        wait_for(Duration::from_secs(5), "the patch arrives", || async {
            let held = target.docs().await.get(&id).cloned()?;
            (held.0 == "A retitled post" && held.1 == 42).then_some(())
        })
        .await;
    }
    posts.delete(&id, &etag).await;
    for target in [&search, &recommend] {
        wait_for(Duration::from_secs(5), "the delete arrives", || async {
            (!target.docs().await.contains_key(&id)).then_some(())
        })
        .await;
        target.assert_in_sync(&posts, 120, 0).await;
    }
    let ready = get(&format!("{sync}/health/ready")).await;
    assert_eq!(ready.status, 200, "{}", ready.body);
    assert_eq!(ready.body["targets"]["search"]["lag"], 0);
    assert_eq!(ready.body["targets"]["search"]["checkpoint"], 3);
    let doc = get(&format!("{sync}/openapi.json")).await;
    assert!(doc.body["paths"]["/health/ready"].is_object(), "{}", doc.body);
}

#[actix_web::test]
async fn killing_the_sync_process_at_random_moments_loses_and_doubles_nothing() {
    let posts = spawn_posts().await;
    posts.seed(60).await;
    let (search, recommend) = (spawn_target(&mongodb_uri(), 0).await, spawn_target(&mongodb_uri(), 0).await);
    let mut child = spawn_sync_binary(&posts.address, &search.address, &recommend.address);
    snapshot_done(&[&search, &recommend], 0).await;

    // The killer runs beside the burst: SIGKILL at a random moment, restart.
    let done = std::rc::Rc::new(std::cell::Cell::new(false));
    let killer = {
        let (done, posts, search, recommend) =
            (done.clone(), posts.address.clone(), search.address.clone(), recommend.address.clone());
        actix_web::rt::spawn(async move {
            let mut kills = 0;
            while !done.get() || kills < 3 {
                actix_web::rt::time::sleep(Duration::from_millis(rand::rng().random_range(100..600))).await;
                child.kill();
                kills += 1;
                child = spawn_sync_binary(&posts, &search, &recommend);
            }
            (kills, child)
        })
    };
    burst(&posts, 300).await;
    done.set(true);
    let (kills, child) = killer.await.expect("the killer ran");
    assert!(kills >= 3);
    for target in [&search, &recommend] {
        target.assert_in_sync(&posts, 60, 0).await;
    }
    drop(child); // SIGKILL
}

#[actix_web::test]
async fn two_sync_instances_at_once_never_apply_an_entry_twice() {
    let posts = spawn_posts().await;
    posts.seed(75).await;
    let (search, recommend) = (spawn_target(&mongodb_uri(), 0).await, spawn_target(&mongodb_uri(), 0).await);
    spawn_sync(sync_settings(&posts, &search.address, &recommend.address)).await;
    spawn_sync(sync_settings(&posts, &search.address, &recommend.address)).await;
    snapshot_done(&[&search, &recommend], 0).await;
    burst(&posts, 150).await;
    for target in [&search, &recommend] {
        target.assert_in_sync(&posts, 75, 0).await;
    }
}

#[actix_web::test]
async fn a_target_whose_database_is_down_is_reported_and_caught_up_once_it_is_back() {
    let posts = spawn_posts().await;
    posts.seed(10).await;
    let search = spawn_target(&mongodb_uri(), 0).await;
    let down = spawn_target("mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=300", 0).await;
    let sync = spawn_sync(sync_settings(&posts, &search.address, &down.address)).await;
    snapshot_done(&[&search], 0).await;
    burst(&posts, 20).await;
    search.assert_in_sync(&posts, 10, 0).await;
    let ready = wait_for(Duration::from_secs(10), "recommend reported down", || async {
        let ready = get(&format!("{sync}/health/ready")).await;
        let target = &ready.body["targets"]["recommend"];
        (ready.status == 503 && target["error"].is_string()).then_some(ready)
    })
    .await;
    assert_eq!(ready.body["checks"]["search"]["status"], "up", "{}", ready.body);
    assert_eq!(ready.body["checks"]["posts"]["status"], "up", "{}", ready.body);
    let error = ready.body["targets"]["recommend"]["error"].as_str().unwrap_or_default().to_owned();
    assert!(error.contains("recommend"), "{}", ready.body);

    let port = down.port;
    down.stop().await;
    let recommend = spawn_target(&mongodb_uri(), port).await;
    // No writes since the burst: its snapshot, at the head, holds every post.
    recommend.assert_in_sync(&posts, posts.count().await as i64, posts.head().await).await;
    wait_for(Duration::from_secs(10), "sync ready again", || async {
        (get(&format!("{sync}/health/ready")).await.status == 200).then_some(())
    })
    .await;
}

#[actix_web::test]
async fn a_gap_in_the_oplog_stops_each_target_before_it_and_is_reported() {
    let posts = spawn_posts().await;
    let (search, recommend) = (spawn_target(&mongodb_uri(), 0).await, spawn_target(&mongodb_uri(), 0).await);
    let mut child = spawn_sync_binary(&posts.address, &search.address, &recommend.address);
    posts.create("First", 1).await;
    posts.create("Second", 2).await;
    snapshot_done(&[&search, &recommend], 2).await;
    // Sync stopped while the oplog gets 3..6, then loses 4.
    child.kill();
    for n in 3..=6 {
        posts.create(&format!("Post {n}"), n).await;
    }
    posts.db.collection::<Document>("oplog").delete_one(doc! { "seq": 4 }).await.expect("deleted");
    let sync = spawn_sync(sync_settings(&posts, &search.address, &recommend.address)).await;
    let ready = wait_for(Duration::from_secs(10), "a gap reported", || async {
        let ready = get(&format!("{sync}/health/ready")).await;
        let both =
            ["search", "recommend"].iter().all(|t| ready.body["targets"][t]["gap"] == json!({ "after": 3, "next": 5 }));
        (ready.status == 503 && both).then_some(ready)
    })
    .await;
    assert_eq!(ready.body["checks"]["search"]["status"], "down");
    for target in [&search, &recommend] {
        assert_eq!(target.checkpoint().await.and_then(|c| c.position.seq), Some(3), "stays below the missing seq");
    }
}

#[actix_web::test]
async fn an_oplog_trimmed_past_a_checkpoint_makes_a_new_snapshot() {
    let posts = spawn_posts().await;
    let (search, recommend) = (spawn_target(&mongodb_uri(), 0).await, spawn_target(&mongodb_uri(), 0).await);
    let mut child = spawn_sync_binary(&posts.address, &search.address, &recommend.address);
    posts.create("First", 1).await;
    snapshot_done(&[&search, &recommend], 1).await;
    child.kill();
    // While sync is away, the oplog gets 2..5 and is trimmed to 4..5, and
    // a post arrives the way `datasets import` brings them (no entry).
    let (id, etag) = posts.create("Second", 2).await;
    let etag = posts.patch(&id, &etag, &json!({ "score": 20 })).await;
    posts.delete(&id, &etag).await;
    posts.create("Third", 3).await;
    posts.db.collection::<Document>("oplog").delete_many(doc! { "seq": { "$lt": 4 } }).await.expect("trimmed");
    posts.seed(1).await;
    spawn_sync(sync_settings(&posts, &search.address, &recommend.address)).await;
    for target in [&search, &recommend] {
        // The imported post arrives only through a new snapshot.
        target.assert_holds_master(&posts).await;
    }
}

#[actix_web::test]
async fn an_idle_loop_asks_posts_once_a_poll_and_reads_each_checkpoint_once_a_revalidation() {
    const POLL_MS: u64 = 100;
    const REVALIDATE_MS: u64 = 1_000;
    const QUIET_MS: u64 = 2_000;
    let posts = spawn_posts().await;
    posts.seed(5).await;
    posts.create("Before the quiet", 1).await;
    let (search, recommend) = (spawn_target(&mongodb_uri(), 0).await, spawn_target(&mongodb_uri(), 0).await);
    let proxies = [&posts.address, &search.address, &recommend.address].map(|a| spawn_counting_proxy(a));
    let [posts_proxy, search_proxy, recommend_proxy] = &proxies;
    let (poll, revalidate) = (POLL_MS.to_string(), REVALIDATE_MS.to_string());
    let settings = sync_settings_with(
        &posts_proxy.address,
        &search_proxy.address,
        &recommend_proxy.address,
        &[("POLL_MS", &poll), ("REVALIDATE_MS", &revalidate)],
    );
    let sync = spawn_sync(settings).await;
    snapshot_done(&[&search, &recommend], posts.head().await).await;
    // Past the cycles that follow the snapshot (each reads the checkpoint).
    actix_web::rt::time::sleep(Duration::from_millis(REVALIDATE_MS / 2)).await;

    proxies.iter().for_each(CountingProxy::reset);
    actix_web::rt::time::sleep(Duration::from_millis(QUIET_MS)).await;
    let (polls, revalidations) = ((QUIET_MS / POLL_MS) as usize, (QUIET_MS / REVALIDATE_MS) as usize);
    let posts_seen = posts_proxy.seen();
    let oplog_reads = posts_proxy.count("GET /oplog");
    let head_reads = posts_proxy.count("GET /oplog?sort=-seq");
    // Two loops: each at most one oplog read a poll, plus the head read of
    // each revalidation (and one of each for a cycle cut by the window).
    assert!(oplog_reads <= 2 * (polls + revalidations + 2), "{oplog_reads} oplog reads: {posts_seen:#?}");
    assert!(head_reads <= 2 * (revalidations + 1), "{head_reads} head reads: {posts_seen:#?}");
    assert_eq!(posts_seen.len(), oplog_reads, "only the oplog is read: {posts_seen:#?}");
    assert!(oplog_reads >= 2 * polls / 2, "the loops ran: {posts_seen:#?}");
    for proxy in [search_proxy, recommend_proxy] {
        let seen = proxy.seen();
        assert!(proxy.count("GET /sync/checkpoint") <= revalidations + 1, "{seen:#?}");
        assert_eq!(seen.len(), proxy.count("GET /sync/checkpoint"), "nothing applied while idle: {seen:#?}");
    }

    // A write ends the quiet at once: the cheap read finds it.
    let (id, _) = posts.create("After the quiet", 2).await;
    for target in [&search, &recommend] {
        wait_for(Duration::from_millis(POLL_MS * 10), "the new post arrives", || async {
            target.docs().await.get(&id).map(|_| ())
        })
        .await;
        target.assert_in_sync(&posts, 5, 0).await;
    }
    let ready = get(&format!("{sync}/health/ready")).await;
    assert_eq!(ready.status, 200, "{}", ready.body);
    for name in ["search", "recommend"] {
        assert_eq!(ready.body["targets"][name]["lag"], 0, "{}", ready.body);
        assert_eq!(ready.body["targets"][name]["checkpoint"], posts.head().await, "{}", ready.body);
    }
}

#[actix_web::test]
async fn a_target_whose_database_is_dropped_while_idle_is_snapshotted_again() {
    const REVALIDATE_MS: u64 = 1_000;
    let posts = spawn_posts().await;
    posts.seed(30).await;
    posts.create("Before the drop", 1).await;
    let (search, recommend) = (spawn_target(&mongodb_uri(), 0).await, spawn_target(&mongodb_uri(), 0).await);
    let revalidate = REVALIDATE_MS.to_string();
    let settings =
        sync_settings_with(&posts.address, &search.address, &recommend.address, &[("REVALIDATE_MS", &revalidate)]);
    let sync = spawn_sync(settings).await;
    let head = posts.head().await;
    snapshot_done(&[&search, &recommend], head).await;
    let before = recommend.checkpoint().await.expect("a checkpoint");
    // Idle for a while: the loops trust the checkpoints they read.
    actix_web::rt::time::sleep(Duration::from_millis(REVALIDATE_MS * 3 / 2)).await;

    let client = mongodb::Client::with_uri_str(mongodb_uri()).await.expect("a client");
    client.database(search.db_name()).drop().await.expect("dropped");
    let dropped = std::time::Instant::now();
    // The drop took every post (awaited above): only a new snapshot, at
    // the head as nothing was written since, brings them back (`applied`
    // counts the posts once).
    search.assert_in_sync(&posts, posts.count().await as i64, head).await;
    let took = dropped.elapsed();
    assert!(took < Duration::from_millis(REVALIDATE_MS + 4_000), "snapshotted again after {took:?}");
    assert_eq!(recommend.checkpoint().await.expect("a checkpoint"), before, "the other target was left alone");
    let ready = get(&format!("{sync}/health/ready")).await;
    assert_eq!(ready.status, 200, "{}", ready.body);
    assert_eq!(ready.body["targets"]["search"]["checkpoint"], head, "{}", ready.body);
}
