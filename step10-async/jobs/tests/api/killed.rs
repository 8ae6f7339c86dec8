//! A worker killed for real: the `step10-jobs` binary runs as a child
//! process, is sent SIGKILL in the middle of an import (nothing of it
//! runs afterwards: no drop, no lease released), and a second child on
//! the same database finishes the job once the first one's lease has run
//! out, without doubling a post.
//!
//! The test process holds the posts service (in-process on port 0, which
//! the children reach over 127.0.0.1) and a jobs instance without workers
//! (`JOBS_WORKERS=0`) on the children's database: it takes the submission
//! and answers the polls, so the test never needs a child's port; only
//! the children work.

use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

use serde_json::json;

use crate::helpers::*;

/// How many posts the import generates: with batches of 10, enough batches
/// that the job is still running when the test sees its first progress.
const TOTAL: i64 = 2_000;

/// A `step10-jobs` child process, killed (SIGKILL) and reaped when dropped,
/// so that a failing test leaves no process behind.
struct JobsProcess(Child);

impl JobsProcess {
    /// Starts the binary on `db` with `posts` as its `POSTS_URL`, one
    /// worker, a 1 s lease and batches of 10 posts.
    fn start(db: &str, posts: &str) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_step10-jobs"))
            .env_clear()
            .envs([
                ("PORT", "0"),
                ("HOST", "127.0.0.1"),
                ("MONGODB_URI", &mongodb_uri()),
                ("MONGODB_DB", db),
                ("POSTS_URL", posts),
                ("JOBS_WORKERS", "1"),
                ("JOBS_LEASE_SECS", "1"),
                ("JOBS_BATCH_SIZE", "10"),
                ("JOBS_POLL_MS", "50"),
                ("JOBS_RETRY_DELAY_MS", "50"),
                ("RUST_LOG", "warn"),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("the step10-jobs binary starts");
        Self(child)
    }

    /// Panics when the process has exited (it should serve until killed).
    fn assert_running(&mut self) {
        if let Some(status) = self.0.try_wait().expect("the child's status") {
            panic!("step10-jobs exited on its own: {status}");
        }
    }

    /// SIGKILL (`Child::kill` on Unix), then waits for it to be gone.
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for JobsProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

#[actix_web::test]
async fn a_job_whose_worker_process_is_sigkilled_is_finished_by_the_next_without_doubles() {
    let posts = spawn_posts().await;
    // Submissions and polls only; its database (dropped at the end) is the
    // children's.
    let front = spawn_jobs(settings(&posts.address, |s| s.workers = 0), true).await;
    let mut first = JobsProcess::start(&front.db_name, &posts.address);

    let submitted = front.submit("import", &json!({ "generate": TOTAL, "seed": 11 })).await;
    let location = submitted.header("location").expect("a Location").to_owned();
    wait_for(Duration::from_secs(30), "the child has imported a first batch", || async {
        let job = front.api.get(&location).await;
        (job.body["progress"]["done"].as_i64() > Some(0)).then_some(())
    })
    .await;
    first.assert_running();
    first.kill();

    let killed = front.api.get(&location).await;
    killed.assert_status(200);
    assert_eq!(killed.body["status"], "running", "the killed worker's job is still running: {}", killed.body);
    let done_when_killed = killed.body["progress"]["done"].as_i64().expect("a progress");
    assert!(0 < done_when_killed && done_when_killed < TOTAL, "killed mid-job: {}", killed.body);
    // Nobody works on it now: its progress stays where the kill left it.
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(front.api.get(&location).await.body["progress"]["done"], done_when_killed);

    // The same binary started again takes it over once the lease has run
    // out, and finishes it.
    let mut second = JobsProcess::start(&front.db_name, &posts.address);
    let done = front.finished(&location, Duration::from_secs(120)).await;
    second.assert_running();
    done.assert_status(303);
    assert_eq!(done.body["attempts"], 2, "{}", done.body);
    assert_eq!(done.body["progress"]["done"], TOTAL, "{}", done.body);
    let result = front.api.get(done.header("location").expect("a Location")).await;
    result.assert_status(200);
    let result = result.body;
    assert_eq!((result["read"].as_i64(), result["errors"].as_i64()), (Some(TOTAL), Some(0)), "{result}");
    let (written, skipped) = (result["written"].as_i64().unwrap(), result["skipped"].as_i64().unwrap());
    assert_eq!(written + skipped, TOTAL, "{result}");
    assert_eq!(posts_total(&posts).await, TOTAL as u64, "every post once, none twice");
    second.kill();
}
