//! The load smoke test: a few dozen users walk through step 10's pages at
//! once for a few seconds (`journey.lua`: home, search, a post, log in,
//! tag, like and share it), driven by wrk, against every service of the
//! step started in this process as the system tests start them. It fails
//! on any unexpected answer, any 5xx (or other status of 400 or more), any
//! socket error and any request slower than [`TIMEOUT`], and prints wrk's
//! one summary line.
//!
//! It is a smoke test, not a benchmark: the services are debug builds
//! sharing the test's machine, and nothing here asserts a speed
//! (`make bench` measures). Its own binary, so that no other test shares
//! the process while it runs.
//!
//! It needs `wrk` (`apt-get install wrk`; `.ci/run` installs it).
//! `STEP10_LOAD_TEST=skip` turns a missing wrk into a loud skip (the
//! Makefile sets it when wrk is not installed).

#[path = "../../../../mongo-rest/tests/api/client.rs"]
mod client;
#[allow(dead_code)] // the system tests' helpers: this test starts the system, nothing more
#[path = "../system/helpers.rs"]
mod helpers;

use std::{process::Command, time::Duration};

use helpers::System;

/// How many users walk at once (one wrk thread and connection each).
const USERS: usize = 24;

/// How long they walk.
const DURATION: &str = "6s";

/// The longest a request may take before wrk counts it as timed out.
const TIMEOUT: &str = "5s";

/// Posts for the journey's pages: the home page links to them and the
/// journey's queries (python, rust, mongodb, web, code) find them.
const TITLES: [&str; 5] = [
    "Python web frameworks compared",
    "Rust for python programmers",
    "Mongodb aggregation in python",
    "Reading code of a web server in rust",
    "Python code review checklist",
];

#[actix_web::test]
async fn a_few_dozen_users_walk_through_the_pages_without_an_error() {
    if !wrk_installed() {
        return;
    }
    let system = System::start().await;
    for round in 0..4 {
        for (i, title) in TITLES.iter().enumerate() {
            system.create_post(&format!("{title} ({round})"), 200 + 10 * (round * TITLES.len() + i) as i64).await;
        }
    }
    system.wait_synced(Duration::from_secs(20)).await;

    let script = format!("{}/tests/load/journey.lua", env!("CARGO_MANIFEST_DIR"));
    let url = system.web.address.clone();
    let users = USERS.to_string();
    let output = actix_web::rt::task::spawn_blocking(move || {
        Command::new("wrk")
            .args(["-t", &users, "-c", &users, "-d", DURATION, "--timeout", TIMEOUT, "-s", &script, &url])
            .output()
            .expect("wrk runs")
    })
    .await
    .expect("the blocking task completes");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let summary = stdout.lines().find(|line| line.starts_with("load: ")).unwrap_or("(wrk printed no summary line)");
    // Written to stderr directly: the harness swallows a passing test's
    // `eprintln!`, and `make test` should show the line.
    let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("\n{summary}\n").as_bytes());
    assert!(output.status.success(), "the journey failed ({}):\n{stdout}\n{stderr}", output.status);
}

/// Whether `wrk` runs; if it does not, a loud skip when
/// `STEP10_LOAD_TEST=skip`, a failure otherwise.
fn wrk_installed() -> bool {
    match Command::new("wrk").arg("--version").output() {
        Ok(_) => true,
        Err(missing) if std::env::var("STEP10_LOAD_TEST").as_deref() == Ok("skip") => {
            let message =
                format!("\n!!!!! SKIPPED: step 10's load smoke test (wrk: {missing}; STEP10_LOAD_TEST=skip)\n\n");
            let _ = std::io::Write::write_all(&mut std::io::stderr(), message.as_bytes());
            false
        }
        Err(missing) => panic!(
            "the load smoke test needs wrk: {missing}. Install it with `apt-get install wrk`, \
             or set STEP10_LOAD_TEST=skip to skip it."
        ),
    }
}
