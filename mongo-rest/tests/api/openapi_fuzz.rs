//! The OpenAPI document checked against the API it describes: schemathesis
//! generates requests from `/openapi.json` (its examples, the coverage of
//! every constraint, random data) and checks every answer against the
//! document: no 5xx, documented statuses and headers, schema-valid bodies,
//! valid data accepted and invalid data refused.
//!
//! Ignored by default: it needs the `schemathesis` program, named by the
//! `SCHEMATHESIS` environment variable (`make api-fuzz` sets it). Which of
//! schemathesis' checks are tuned, and why, is said in `schemathesis.toml`.

use std::{
    process::Command,
    time::{Duration, Instant},
};

use serde_json::json;

use crate::helpers::spawn_api;

/// The seed of schemathesis' generator, fixed so that a failure reproduces.
const SEED: &str = "20261201";

/// schemathesis' time budget for the whole run, in seconds (past the
/// examples and the coverage, its fuzzing repeats until the budget is spent).
const MAX_TIME: &str = "90";

/// The bound of the whole run: past it the child is killed and the test fails.
const TIMEOUT: &str = "170s";

#[actix_web::test]
#[ignore = "needs schemathesis: make api-fuzz runs it"]
async fn schemathesis_finds_nothing_the_document_does_not_say() {
    let program = std::env::var("SCHEMATHESIS")
        .expect("set SCHEMATHESIS to the schemathesis program (make api-fuzz does), e.g. ~/.venv/bin/schemathesis");
    let api = spawn_api().await;
    // A few real posts and a tag, written through the API so that they
    // follow the domain's rules, so that reads return items to check
    // against the schemas (generated ids mostly answer 404).
    for i in 0..3 {
        let body = json!({
            "name": format!("t3_fuzz{i}"),
            "author": "tester",
            "title": format!("fuzzed post {i}"),
            "created_utc": "Tue, 02 Apr 2013 10:29:13 GMT",
            "score": i * 10,
        });
        let created = api.post("/posts", &body).await;
        created.assert_status(201);
        if i == 0 {
            let tag = json!({ "user": "tester", "post_id": created.body["_id"], "tag": "fuzz" });
            api.post("/tags", &tag).await.assert_status(201);
        }
    }

    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/schemathesis.toml");
    let schema = format!("{}/openapi.json", api.address);
    let started = Instant::now();
    let output = tokio::task::spawn_blocking(move || {
        // `timeout` bounds the run even if schemathesis hangs on a request.
        Command::new("timeout")
            .args(["--kill-after=10s", TIMEOUT, &program, "--no-color", "--config-file", config, "run", &schema])
            .args(["--checks", "all", "--max-examples", "25", "--phases", "examples,coverage,fuzzing"])
            .args(["--seed", SEED, "--max-time", MAX_TIME])
            // No example database: a run here generates what a clean CI
            // checkout's run does.
            .args(["--generation-database", "none"])
            .output()
            .expect("schemathesis (or timeout) runs")
    })
    .await
    .expect("the blocking task completes");

    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "schemathesis failed ({:?}, after {elapsed:?}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(elapsed < Duration::from_secs(180), "schemathesis took {elapsed:?}");
    // What was checked, for `make api-fuzz` (run with --nocapture) to show.
    let summary = stdout.lines().rfind(|line| line.contains("generated") || line.contains("passed"));
    eprintln!("schemathesis, {elapsed:.0?}: {}", summary.unwrap_or("(no summary line)").trim());
}
