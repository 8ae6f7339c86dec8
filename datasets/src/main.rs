//! The `datasets` binary: parses the command line, starts logging, runs the
//! command (see [`datasets::cli`]) and turns an error into exit status 1.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = datasets::cli::Cli::parse();
    // Reports such as `posts.jsonl:3: invalid JSON…` are warnings: show them
    // by default, as `WARN: FILE:LINE: reason`.
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format(|buf, record| writeln!(buf, "{}: {}", record.level(), record.args()))
        .init();
    match datasets::cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
