//! The services step 10 adds or changes checked against their own OpenAPI
//! documents: likes, shares, hide, jobs and web. Posts, tags, search,
//! recommend and sync are step 9's code unchanged (copied forward), and
//! step 9's fuzz (`step09-services/system-tests`, also run by
//! `make api-fuzz`) already checks them: fuzzing them again here would add
//! about five minutes to every CI run and find nothing new. They run all
//! the same, as what the fuzzed services call.
//!
//! schemathesis generates requests from each `/openapi.json` (its
//! examples, the coverage of every constraint, random data) and checks
//! every answer against the document: no 5xx, documented statuses and
//! headers, schema-valid bodies, valid data accepted and invalid data
//! refused.
//!
//! Ignored by default: it needs the `schemathesis` program, named by the
//! `SCHEMATHESIS` environment variable (`make api-fuzz` sets it). Which of
//! schemathesis' checks are tuned for a service, and why, is said in that
//! service's `schemathesis.toml` (`step10-async/<service>/`).

use std::{
    path::Path,
    process::Command,
    time::{Duration, Instant},
};

use serde_json::json;

use crate::helpers::System;

/// The seed of schemathesis' generator, fixed so that a failure reproduces
/// (as far as the time budgets allow: a faster machine gets further).
const SEED: &str = "20261202";

/// The examples generated per operation and phase.
const MAX_EXAMPLES: &str = "20";

/// Each service's time budget, in seconds: schemathesis' `--max-time`
/// (past the examples and the coverage, its fuzzing repeats until the
/// budget is spent). Jobs and web have the most operations and bodies.
/// Their sum (plus start-up) keeps the run under ~4 minutes on 2 cores.
const BUDGETS: [(&str, u64); 5] = [("likes", 30), ("shares", 30), ("hide", 30), ("web", 45), ("jobs", 45)];

/// How much longer than its budget one run may take before it is killed
/// (schemathesis finishes the operation in flight, then reports).
const GRACE: Duration = Duration::from_secs(60);

/// The bound of the whole test.
const TOTAL: Duration = Duration::from_secs(300);

#[actix_web::test]
#[ignore = "needs schemathesis: make api-fuzz runs it"]
async fn every_service_answers_only_what_its_document_says() {
    let program = std::env::var("SCHEMATHESIS")
        .expect("set SCHEMATHESIS to the schemathesis program (make api-fuzz does), e.g. ~/.venv/bin/schemathesis");
    let system = System::start().await;
    // A few real posts, a tag, likes, a share and a hidden post, written
    // through the APIs so that they follow the domains' rules, and synced,
    // so that reads (the counts, the lists, the pages) return items to
    // check against the schemas.
    for (i, title) in ["Fuzzing rust services", "Schemathesis meets rust", "Rust and mongodb"].iter().enumerate() {
        let post = system.create_post(title, 100 + 50 * i as i64).await;
        let id = post["_id"].as_str().unwrap();
        system.likes.request("PUT", &format!("/v1/likes/{id}/tester"), &[], None).await.assert_status(201);
        if i == 0 {
            let tag = json!({ "user": "tester", "post_id": id, "tag": "rust fuzz" });
            system.tags.post("/tags", &tag).await.assert_status(201);
            let share = json!({ "post_id": id, "user": "tester" });
            system.shares.post("/v1/shares", &share).await.assert_status(201);
            system.hide.request("PUT", &format!("/v1/hidden/tester/{id}"), &[], None).await.assert_status(201);
        }
    }
    system.wait_synced(Duration::from_secs(20)).await;

    let started = Instant::now();
    let mut failures = Vec::new();
    for (service, budget) in BUDGETS {
        let address = match service {
            "likes" => &system.likes.address,
            "shares" => &system.shares.address,
            "hide" => &system.hide.address,
            "jobs" => &system.jobs.address,
            _ => &system.web.address,
        };
        let (ok, report) = run(&program, service, address, budget).await;
        eprintln!("{report}");
        if !ok {
            failures.push(service);
        }
    }
    let elapsed = started.elapsed();
    eprintln!("schemathesis, step 10's new and changed services: {elapsed:.0?}");
    assert!(failures.is_empty(), "schemathesis found answers the documents do not allow in: {failures:?} (above)");
    assert!(elapsed < TOTAL, "the fuzz run took {elapsed:?}");
}

/// Runs schemathesis against `address/openapi.json` with `service`'s
/// config (if it has one); whether it passed, and what to show.
async fn run(program: &str, service: &'static str, address: &str, budget: u64) -> (bool, String) {
    let config = format!("{}/../{service}/schemathesis.toml", env!("CARGO_MANIFEST_DIR"));
    let schema = format!("{address}/openapi.json");
    let program = program.to_owned();
    let started = Instant::now();
    let output = actix_web::rt::task::spawn_blocking(move || {
        let mut command = Command::new("timeout");
        // `timeout` bounds the run even if schemathesis hangs on a request.
        command.args(["--kill-after=10s", &format!("{}s", budget + GRACE.as_secs()), &program, "--no-color"]);
        if Path::new(&config).exists() {
            command.args(["--config-file", &config]);
        }
        command
            .args(["run", &schema, "--checks", "all", "--max-examples", MAX_EXAMPLES])
            .args(["--phases", "examples,coverage,fuzzing", "--seed", SEED, "--max-time", &budget.to_string()])
            // No example database: a run here generates what a clean CI
            // checkout's run does (one kept in `.hypothesis/` would replay
            // earlier runs' examples first).
            .args(["--generation-database", "none"])
            .output()
            .expect("schemathesis (or timeout) runs")
    })
    .await
    .expect("the blocking task completes");
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    if output.status.success() {
        // What was checked, for `make api-fuzz` (run with --nocapture) to show.
        let summary = stdout.lines().rfind(|line| line.contains("generated") || line.contains("passed"));
        (true, format!("schemathesis, {service}, {elapsed:.0?}: {}", summary.unwrap_or("(no summary line)").trim()))
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        (
            false,
            format!("schemathesis, {service}: FAILED ({:?}, after {elapsed:?}):\n{stdout}\n{stderr}", output.status),
        )
    }
}
