//! The command line: `datasets generate | import | stats | football | drop`.
//!
//! Parsing is clap's (settings also come from `MONGODB_URI` / `MONGODB_DB`);
//! [`run`] does the work through the library modules and prints the summary
//! line: to stdout for `import` and `football`, to stderr for `generate`
//! (whose stdout may be the data).

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};

use crate::db::{self, DEFAULT_DB, DEFAULT_URI};
use crate::error::Error;
use crate::football::{self, FootballOptions, DEFAULT_AS_OF};
use crate::generate::{self, GenerateOptions, Profile, DEFAULT_SEED};
use crate::import::{self, Format, ImportOptions, Summary};
use crate::stats;

/// Generates, imports and summarises the workshop's reddit-like posts.
#[derive(Debug, Parser)]
#[command(name = "datasets", version, about)]
pub struct Cli {
    /// MongoDB connection string.
    #[arg(long, env = "MONGODB_URI", default_value = DEFAULT_URI, global = true)]
    pub uri: String,
    /// Database holding the `posts` collection (and the football ones).
    #[arg(long, env = "MONGODB_DB", default_value = DEFAULT_DB, global = true)]
    pub db: String,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write synthetic posts as JSON lines (deterministic for a seed).
    Generate(GenerateArgs),
    /// Import posts from files into the `posts` collection (idempotent).
    Import(ImportArgs),
    /// Print a summary of the `posts` collection.
    Stats,
    /// Write a synthetic football season (competitions, teams, players,
    /// matches) into the database (deterministic for a seed, idempotent).
    Football(FootballArgs),
    /// Drop whole databases (step 9's services keep theirs apart: dropping
    /// a search or recommend database makes sync fill it again from a
    /// snapshot of the posts).
    Drop(DropArgs),
}

/// `datasets drop`.
#[derive(Debug, Args)]
pub struct DropArgs {
    /// The databases to drop (a missing one is not an error).
    #[arg(required = true, value_name = "DATABASE")]
    pub databases: Vec<String>,
}

/// `datasets generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// How many posts.
    #[arg(long, short = 'n')]
    pub count: u64,
    /// Random seed: the same seed and count give the same bytes.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub seed: u64,
    /// Imitate this sample (any import format): scores, comments, domains,
    /// dates, subreddit and title words.
    #[arg(long, value_name = "FILE")]
    pub like: Option<PathBuf>,
    /// Write here instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `datasets import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Files to import, in order.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Input format (auto: by extension and first bytes, per file).
    #[arg(long, value_enum, default_value_t = Format::Auto)]
    pub format: Format,
    /// Stop at the first malformed record and exit with status 1 (batches
    /// already written stay written).
    #[arg(long)]
    pub strict: bool,
    /// Posts per write command.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    pub batch_size: u32,
    /// Empty the `posts` collection first (its indexes stay): an import into
    /// an empty collection inserts, where a re-import updates.
    #[arg(long)]
    pub drop: bool,
}

/// `datasets football`.
#[derive(Debug, Args)]
pub struct FootballArgs {
    /// Random seed: the same seed and sizes give the same documents and ids.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub seed: u64,
    /// How many competitions (leagues; after six countries, second tiers).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub competitions: u32,
    /// Teams in each competition.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(2..=40))]
    pub teams_per_competition: u32,
    /// Players in each team (squad numbers are 1 to 99).
    #[arg(long, default_value_t = 18, value_parser = clap::value_parser!(u32).range(11..=99))]
    pub players_per_team: u32,
    /// The generator's "today": matches before this day (UTC) are played,
    /// later ones scheduled.
    #[arg(long, value_name = "YYYY-MM-DD", default_value = DEFAULT_AS_OF)]
    pub as_of: NaiveDate,
    /// Empty the four collections first (their indexes stay): needed to
    /// replace a run with another seed or other sizes.
    #[arg(long)]
    pub drop: bool,
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<(), Error> {
    match cli.command {
        Command::Generate(args) => run_generate(&args),
        Command::Import(args) => run_import(&cli.uri, &cli.db, &args).await,
        Command::Stats => {
            let db = db::connect(&cli.uri, &cli.db).await?;
            let stats = stats::collect(&db).await?;
            print_stdout(&stats.to_string())
        }
        Command::Football(args) => run_football(&cli.uri, &cli.db, &args).await,
        Command::Drop(args) => {
            for name in &args.databases {
                db::connect(&cli.uri, name).await?.drop().await?;
            }
            print_stdout(&format!("dropped {}\n", args.databases.join(", ")))
        }
    }
}

/// `datasets generate`.
fn run_generate(args: &GenerateArgs) -> Result<(), Error> {
    let started = Instant::now();
    let profile = args.like.as_deref().map(Profile::learn).transpose()?;
    let options = GenerateOptions { count: args.count, seed: args.seed, progress: true };
    let result = match &args.output {
        Some(path) => {
            let mut file = std::fs::File::create(path).map_err(|source| Error::Io { path: path.clone(), source })?;
            generate::generate(&mut file, &options, profile.as_ref())
        }
        None => generate::generate(&mut std::io::stdout().lock(), &options, profile.as_ref()),
    };
    let written = match result {
        Ok(n) => n,
        // `datasets generate | head` is not an error.
        Err(Error::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
        Err(e) => return Err(e),
    };
    let summary = Summary { read: profile.as_ref().map_or(0, Profile::len), written, ..Summary::default() };
    let elapsed = started.elapsed();
    let mut stderr = std::io::stderr().lock();
    // Failing to print the summary is not worth failing the run.
    let _ = writeln!(stderr, "{summary} in {}", rate(elapsed, written));
    Ok(())
}

/// `datasets import`.
async fn run_import(uri: &str, db_name: &str, args: &ImportArgs) -> Result<(), Error> {
    let db = db::connect(uri, db_name).await?;
    if args.drop {
        let deleted = db::clear(&db, db::POSTS).await?;
        eprintln!("emptied {db_name}.{}: {deleted} posts deleted", db::POSTS);
    }
    let options = ImportOptions {
        format: args.format,
        strict: args.strict,
        batch_size: args.batch_size as usize,
        progress: true,
    };
    let started = Instant::now();
    let result = import::import_files(&db, &args.files, &options).await;
    let elapsed = started.elapsed();
    match result {
        Ok(summary) => print_stdout(&format!("{summary} in {}\n", rate(elapsed, summary.written))),
        Err(Error::Strict { location, reason, summary }) => {
            print_stdout(&format!("{summary} in {}\n", rate(elapsed, summary.written)))?;
            Err(Error::Strict { location, reason, summary })
        }
        Err(e) => Err(e),
    }
}

/// `datasets football`.
async fn run_football(uri: &str, db_name: &str, args: &FootballArgs) -> Result<(), Error> {
    let db = db::connect(uri, db_name).await?;
    let options = FootballOptions {
        seed: args.seed,
        competitions: args.competitions as usize,
        teams_per_competition: args.teams_per_competition as usize,
        players_per_team: args.players_per_team as usize,
        as_of: args.as_of,
    };
    let started = Instant::now();
    let season = football::generate(&options);
    let stored = football::store(&db, &season, args.drop, true).await?;
    let elapsed = started.elapsed();
    print_stdout(&format!(
        "{}; deleted {}, written {} in {}\n",
        season.describe(),
        stored.deleted,
        stored.written,
        rate(elapsed, stored.written)
    ))
}

/// Prints `text` on stdout; a closed pipe (`datasets stats | head`) is not an
/// error, where `print!` would panic.
fn print_stdout(text: &str) -> Result<(), Error> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Output(e)),
        _ => Ok(()),
    }
}

/// `1.23s (4,567 docs/s)`.
fn rate(elapsed: Duration, docs: u64) -> String {
    let secs = elapsed.as_secs_f64();
    let per_sec = if secs > 0.0 { docs as f64 / secs } else { 0.0 };
    format!("{secs:.2}s ({per_sec:.0} docs/s)")
}
