//! The API reference's curl examples (`examples/api.sh`, included in
//! `docs/src/mongo-rest.md`) run against a fresh API, and every command
//! answers with the status its `# → NNN` comment promises.

use std::{path::Path, process::Command};

use crate::helpers::{post, spawn_api};

#[actix_web::test]
async fn the_documented_curl_examples_answer_as_documented() {
    let api = spawn_api().await;
    api.seed("posts", vec![post("Flask or Django?", 120, 130, 10, 12), post("Packaging in 2013", 60, 70, 10, 3)]).await;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/api.sh");
    let text = std::fs::read_to_string(&script).expect("examples/api.sh");
    let expected: Vec<u16> = text
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .filter_map(|line| line.split("# → ").nth(1))
        .map(|status| status.trim().parse().expect("a status after →"))
        .collect();
    assert!(expected.len() >= 20, "the examples lost their annotations: {expected:?}");

    // Every `curl` of the script appends its status to a file: a wrapper
    // function, so that the commands in the docs stay plain curl.
    let statuses = tempfile::NamedTempFile::new().expect("a temporary file");
    let statuses_path = statuses.path().to_path_buf();
    let address = api.address.clone();
    // The script runs on a blocking thread: the API serves on this one.
    let output = actix_web::rt::task::spawn_blocking(move || {
        Command::new("bash")
            .arg("-c")
            .arg(r#"curl() { command curl -sS -w '%{stderr}%{http_code}\n' "$@" 2>>"$STATUS_FILE"; }; source "$0""#)
            .arg(&script)
            .env("API", address)
            .env("STATUS_FILE", &statuses_path)
            .output()
            .expect("bash runs")
    })
    .await
    .expect("the script finishes");
    let log = std::fs::read_to_string(statuses.path()).unwrap_or_default();
    assert!(
        output.status.success(),
        "the examples failed:\nstdout:\n{}\nstderr:\n{}\nstatuses:\n{log}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let actual: Vec<u16> =
        log.lines().map(|l| l.trim().parse().unwrap_or_else(|_| panic!("curl said {l:?}"))).collect();
    assert_eq!(actual, expected, "statuses differ from the documented ones");
}
