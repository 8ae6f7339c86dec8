//! The football generator behind `datasets football`: competitions, teams,
//! players and matches for the REST API's football domain
//! (`step08-rest/domains/football.toml`).
//!
//! [`generate`] makes a whole [`Season`] in memory (a few thousand documents
//! at most) and [`store`] writes it into the four collections. The data hangs
//! together:
//!
//! - every team belongs to a generated competition, every player to a
//!   generated team (with a squad number unique in the team);
//! - each competition's matches are a double round robin
//!   ([`schedule::double_round_robin`]): every pair of its teams meets twice,
//!   once at each ground, and no team plays twice in a round; the rounds are
//!   spread over the 2025-26 season's weekends;
//! - matches that kick off before `as_of` are `played` and have a score,
//!   later ones are `scheduled` with a `null` score;
//! - scores are Poisson-distributed goals whose means depend on the two
//!   teams' strengths, with a home advantage (about 2.8 goals a match, ~45 %
//!   home wins, ~23 % draws);
//! - a player's `goals` are the goals he scored in played matches (there are
//!   no own goals), so a team's players' goals add up to the team's goals.
//!
//! Everything random comes from one `ChaCha8Rng` seeded with `--seed`, and
//! the `_id`s are made of the seed and a counter, so the same seed and options
//! give the same documents with the same `_id`s. [`store`] replaces each
//! document by `_id`, which makes re-running a no-op.

mod names;
pub mod schedule;

use std::collections::BTreeSet;

use chrono::NaiveDate;
use mongodb::bson::{doc, oid::ObjectId, Bson, DateTime, Document};
use mongodb::Database;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use crate::db;
use crate::error::Error;
use crate::progress;
use names::{Country, COUNTRIES};

/// The collection of competitions (the API's `/competitions`).
pub const COMPETITIONS: &str = "competitions";
/// The collection of teams.
pub const TEAMS: &str = "teams";
/// The collection of players.
pub const PLAYERS: &str = "players";
/// The collection of matches.
pub const MATCHES: &str = "matches";

/// Documents per write command.
const BATCH: usize = 1000;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FootballOptions {
    /// The random seed; the same seed and options give the same documents.
    pub seed: u64,
    /// How many competitions (leagues).
    pub competitions: usize,
    /// Teams in each competition (at least 2).
    pub teams_per_competition: usize,
    /// Players in each team (11 to 99: squad numbers are 1 to 99).
    pub players_per_team: usize,
    /// The generator's "today": matches before this day (00:00 UTC) are
    /// played. A fixed date rather than the clock, so that the output does
    /// not depend on when it is made.
    pub as_of: NaiveDate,
}

impl Default for FootballOptions {
    fn default() -> Self {
        FootballOptions {
            seed: crate::generate::DEFAULT_SEED,
            competitions: 2,
            teams_per_competition: 10,
            players_per_team: 18,
            as_of: default_as_of(),
        }
    }
}

/// The default `as_of`: by 1 February 2026, 24 of the season's 40 weeks
/// are over, so about 60 % of the matches are played.
pub const DEFAULT_AS_OF: &str = "2026-02-01";

/// [`DEFAULT_AS_OF`] as a date.
pub fn default_as_of() -> NaiveDate {
    DEFAULT_AS_OF.parse().unwrap_or_default()
}

/// A league (`competitions`).
#[derive(Debug, Clone, PartialEq)]
pub struct Competition {
    /// `_id`.
    pub id: ObjectId,
    /// The league's name, unique: the country's league, then its second
    /// tier (`Premier Division 2`) when there are more competitions than
    /// countries.
    pub name: String,
    /// The country.
    pub country: String,
    /// `2025-26`.
    pub season: String,
    /// Always `league` (the domain also allows `cup`, for competitions made
    /// through the API).
    pub kind: String,
}

/// A club (`teams`).
#[derive(Debug, Clone, PartialEq)]
pub struct Team {
    /// `_id`.
    pub id: ObjectId,
    /// `Leeds Rovers`, `Real Oviedo`: unique across the season.
    pub name: String,
    /// Three capitals from the city: `LEE`.
    pub short_name: String,
    /// The city the club is named after.
    pub city: String,
    /// Year of foundation, 1870–1990.
    pub founded: i64,
    /// The `_id` of its competition.
    pub competition: ObjectId,
}

/// Where a player plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// `GK`.
    Goalkeeper,
    /// `DF`.
    Defender,
    /// `MF`.
    Midfielder,
    /// `FW`.
    Forward,
}

impl Position {
    /// The stored value: `GK`, `DF`, `MF` or `FW`.
    pub fn as_str(self) -> &'static str {
        match self {
            Position::Goalkeeper => "GK",
            Position::Defender => "DF",
            Position::Midfielder => "MF",
            Position::Forward => "FW",
        }
    }

    /// How likely a player of this position is to score, relative to the
    /// others: forwards score most, goalkeepers never.
    fn scoring_weight(self) -> u32 {
        match self {
            Position::Goalkeeper => 0,
            Position::Defender => 1,
            Position::Midfielder => 3,
            Position::Forward => 6,
        }
    }
}

/// A squad's positions by squad index: two elevens (1-4-3-3), repeated for
/// bigger squads. The first eleven wear 1 to 11.
const SQUAD: [Position; 22] = {
    use Position::{Defender as D, Forward as F, Goalkeeper as G, Midfielder as M};
    [G, D, D, D, D, M, M, M, F, F, F, G, D, D, D, D, M, M, M, F, F, F]
};

/// A player (`players`).
#[derive(Debug, Clone, PartialEq)]
pub struct Player {
    /// `_id`.
    pub id: ObjectId,
    /// First and family name (not unique).
    pub name: String,
    /// The `_id` of the team.
    pub team: ObjectId,
    /// The position.
    pub position: Position,
    /// 1–99, unique in the team.
    pub shirt_number: i64,
    /// Midnight UTC of the birthday; 17 to 35 years old when the season
    /// starts.
    pub birth_date: DateTime,
    /// A country name; three players in four are from the league's country.
    pub nationality: String,
    /// Goals scored in the played matches.
    pub goals: i64,
}

/// Whether a match is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Not yet played: no score.
    Scheduled,
    /// Played: it has a score.
    Played,
}

impl Status {
    /// The stored value: `scheduled` or `played`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Scheduled => "scheduled",
            Status::Played => "played",
        }
    }
}

/// The goals of a played match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Score {
    /// The home team's goals.
    pub home: i64,
    /// The away team's goals.
    pub away: i64,
}

/// A match (`matches`).
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    /// `_id`.
    pub id: ObjectId,
    /// The `_id` of the competition.
    pub competition: ObjectId,
    /// The `_id` of the team playing at home.
    pub home_team: ObjectId,
    /// The `_id` of the visitors.
    pub away_team: ObjectId,
    /// When it starts.
    pub kickoff: DateTime,
    /// The round, from 1.
    pub round: i64,
    /// Played or scheduled.
    pub status: Status,
    /// The score, only for played matches.
    pub score: Option<Score>,
}

/// Everything [`generate`] makes, in the order [`store`] writes it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Season {
    /// The competitions.
    pub competitions: Vec<Competition>,
    /// The teams, competition by competition.
    pub teams: Vec<Team>,
    /// The players, team by team.
    pub players: Vec<Player>,
    /// The matches, competition by competition, round by round.
    pub matches: Vec<Match>,
}

impl Competition {
    /// The stored document.
    pub fn to_document(&self) -> Document {
        doc! { "_id": self.id, "name": &self.name, "country": &self.country, "season": &self.season, "kind": &self.kind }
    }
}

impl Team {
    /// The stored document.
    pub fn to_document(&self) -> Document {
        doc! {
            "_id": self.id,
            "name": &self.name,
            "short_name": &self.short_name,
            "city": &self.city,
            "founded": self.founded,
            "competition": self.competition,
        }
    }
}

impl Player {
    /// The stored document.
    pub fn to_document(&self) -> Document {
        doc! {
            "_id": self.id,
            "name": &self.name,
            "team": self.team,
            "position": self.position.as_str(),
            "shirt_number": self.shirt_number,
            "birth_date": self.birth_date,
            "nationality": &self.nationality,
            "goals": self.goals,
        }
    }
}

impl Match {
    /// The stored document; `score` is `null` until the match is played.
    pub fn to_document(&self) -> Document {
        let score = match self.score {
            Some(s) => Bson::Document(doc! { "home": s.home, "away": s.away }),
            None => Bson::Null,
        };
        doc! {
            "_id": self.id,
            "competition": self.competition,
            "home_team": self.home_team,
            "away_team": self.away_team,
            "kickoff": self.kickoff,
            "round": self.round,
            "status": self.status.as_str(),
            "score": score,
        }
    }
}

impl Season {
    /// How many documents in all.
    pub fn len(&self) -> usize {
        self.competitions.len() + self.teams.len() + self.players.len() + self.matches.len()
    }

    /// Whether there is nothing at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `competitions 2, teams 20, players 360, matches 180 (90 played)`.
    pub fn describe(&self) -> String {
        let played = self.matches.iter().filter(|m| m.status == Status::Played).count();
        format!(
            "competitions {}, teams {}, players {}, matches {} ({played} played)",
            self.competitions.len(),
            self.teams.len(),
            self.players.len(),
            self.matches.len()
        )
    }
}

/// Makes a season: see the module docs.
pub fn generate(options: &FootballOptions) -> Season {
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let mut ids = Ids { machine: rng.random(), counter: 0 };
    let as_of = options.as_of.and_hms_opt(0, 0, 0).map_or(0, |t| t.and_utc().timestamp());
    let mut season = Season::default();
    let mut team_names = BTreeSet::new();

    for c in 0..options.competitions {
        let country = &COUNTRIES[c % COUNTRIES.len()];
        let tier = c / COUNTRIES.len() + 1;
        let competition = Competition {
            id: ids.next(),
            name: if tier == 1 { country.league.to_owned() } else { format!("{} {tier}", country.league) },
            country: country.name.to_owned(),
            season: schedule::SEASON.to_owned(),
            kind: "league".to_owned(),
        };

        // The clubs, each with its squad; `squads[t]` is the range of team
        // `t`'s players in `season.players`.
        let first_team = season.teams.len();
        let mut cities: Vec<&str> = country.cities.to_vec();
        shuffle(&mut rng, &mut cities);
        let mut squads = Vec::with_capacity(options.teams_per_competition);
        for t in 0..options.teams_per_competition {
            let team = team(&mut rng, ids.next(), country, cities[t % cities.len()], competition.id, &mut team_names);
            let first_player = season.players.len();
            for number in shirt_numbers(&mut rng, options.players_per_team) {
                let position = SQUAD[(season.players.len() - first_player) % SQUAD.len()];
                season.players.push(player(&mut rng, ids.next(), team.id, country, position, number));
            }
            squads.push(first_player..season.players.len());
            season.teams.push(team);
        }
        let teams = &season.teams[first_team..];
        let strengths: Vec<f64> = teams.iter().map(|_| (0.3 * rng.sample::<f64, _>(StandardNormal)).exp()).collect();

        let rounds = schedule::double_round_robin(teams.len());
        for (r, pairs) in rounds.iter().enumerate() {
            for &(home, away) in pairs {
                let kickoff = schedule::kickoff(r, rounds.len(), rng.random_range(0..schedule::slot_count()));
                let score = (kickoff < as_of).then(|| score(&mut rng, strengths[home], strengths[away]));
                if let Some(score) = score {
                    credit_goals(&mut rng, &mut season.players[squads[home].clone()], score.home);
                    credit_goals(&mut rng, &mut season.players[squads[away].clone()], score.away);
                }
                season.matches.push(Match {
                    id: ids.next(),
                    competition: competition.id,
                    home_team: teams[home].id,
                    away_team: teams[away].id,
                    kickoff: DateTime::from_millis(kickoff * 1000),
                    round: r as i64 + 1,
                    status: if score.is_some() { Status::Played } else { Status::Scheduled },
                    score,
                });
            }
        }
        season.competitions.push(competition);
    }
    season
}

/// What [`store`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreSummary {
    /// Documents deleted first (`--drop`).
    pub deleted: u64,
    /// Documents inserted or replaced.
    pub written: u64,
}

/// Writes `season` into its four collections of `db`, competitions first so
/// that every reference points to a document already there. Each document
/// replaces the one with its `_id` ([`db::replace_batch`]): re-running with
/// the same seed and options changes nothing.
///
/// With `drop`, the four collections are emptied first (their indexes stay),
/// which is what a run with another seed or other sizes wants: otherwise the
/// earlier run's documents that this one does not overwrite would stay.
///
/// A document the server rejects (say, a team name taken by an earlier run
/// under a unique index) stops the run with [`Error::Rejected`].
pub async fn store(db: &Database, season: &Season, drop: bool, progress: bool) -> Result<StoreSummary, Error> {
    let mut summary = StoreSummary::default();
    if drop {
        for name in [MATCHES, PLAYERS, TEAMS, COMPETITIONS] {
            summary.deleted += db::clear(db, name).await?;
        }
    }
    let bar = progress::items(season.len() as u64, progress);
    let collections: [(&str, Vec<Document>); 4] = [
        (COMPETITIONS, season.competitions.iter().map(Competition::to_document).collect()),
        (TEAMS, season.teams.iter().map(Team::to_document).collect()),
        (PLAYERS, season.players.iter().map(Player::to_document).collect()),
        (MATCHES, season.matches.iter().map(Match::to_document).collect()),
    ];
    for (name, docs) in &collections {
        for batch in docs.chunks(BATCH) {
            let outcome = db::replace_batch(db, name, batch).await?;
            if let Some((index, message)) = outcome.errors.first() {
                let id = batch.get(*index).and_then(|d| d.get_object_id("_id").ok()).map(|id| id.to_hex());
                return Err(Error::Rejected {
                    collection: (*name).to_owned(),
                    count: outcome.errors.len(),
                    first: format!("{}: {message}", id.unwrap_or_default()),
                });
            }
            summary.written += outcome.written;
            bar.inc(batch.len() as u64);
        }
    }
    bar.finish_and_clear();
    Ok(summary)
}

/// Deterministic ObjectIds: the season's start as the timestamp, five bytes
/// drawn from the seed, and a counter shared by all four collections (so no
/// two documents of a season share an `_id`, not even across collections).
struct Ids {
    /// The middle five bytes of every ObjectId of this run.
    machine: [u8; 5],
    /// How many ids were handed out.
    counter: u32,
}

impl Ids {
    /// The next id.
    fn next(&mut self) -> ObjectId {
        let mut bytes = [0u8; 12];
        bytes[..4].copy_from_slice(&(schedule::SEASON_START as u32).to_be_bytes());
        bytes[4..9].copy_from_slice(&self.machine);
        bytes[9..].copy_from_slice(&self.counter.to_be_bytes()[1..]);
        self.counter += 1;
        ObjectId::from_bytes(bytes)
    }
}

/// A club of `country` named after `city`, with a name not in `taken` (which
/// gets it).
fn team(
    rng: &mut ChaCha8Rng,
    id: ObjectId,
    country: &Country,
    city: &str,
    competition: ObjectId,
    taken: &mut BTreeSet<String>,
) -> Team {
    // The patterns from a random one on, then (should all be taken: more
    // teams than cities) the first one numbered; that list is endless, so
    // `find` always finds.
    let start = rng.random_range(0..country.clubs.len());
    let candidates =
        (0..country.clubs.len()).map(|k| country.clubs[(start + k) % country.clubs.len()].replace("{}", city));
    let base = country.clubs[start].replace("{}", city);
    let name =
        candidates.chain((2..).map(|n| format!("{base} {n}"))).find(|name| !taken.contains(name)).unwrap_or(base);
    taken.insert(name.clone());
    Team {
        id,
        name,
        short_name: city.chars().filter(|c| c.is_alphabetic()).take(3).flat_map(char::to_uppercase).collect(),
        city: city.to_owned(),
        founded: rng.random_range(1870..=1990),
        competition,
    }
}

/// Squad numbers for `n` players: 1 to 11 for the first eleven, then
/// distinct random numbers from 12 to 99.
fn shirt_numbers(rng: &mut ChaCha8Rng, n: usize) -> Vec<i64> {
    let mut spare: Vec<i64> = (12..=99).collect();
    shuffle(rng, &mut spare);
    (1..=11).chain(spare).take(n).collect()
}

/// A player of a club of `country`.
fn player(
    rng: &mut ChaCha8Rng,
    id: ObjectId,
    team: ObjectId,
    country: &Country,
    position: Position,
    shirt_number: i64,
) -> Player {
    let nationality = if rng.random_bool(0.75) { country } else { &COUNTRIES[rng.random_range(0..COUNTRIES.len())] };
    let first = nationality.first_names[rng.random_range(0..nationality.first_names.len())];
    let last = nationality.last_names[rng.random_range(0..nationality.last_names.len())];
    // 17 to 35 years old on the first day of the season.
    let age_days = rng.random_range(17 * 365..36 * 365);
    let born = (schedule::SEASON_START / 86_400 - age_days) * 86_400;
    Player {
        id,
        name: format!("{first} {last}"),
        team,
        position,
        shirt_number,
        birth_date: DateTime::from_millis(born * 1000),
        nationality: nationality.name.to_owned(),
        goals: 0,
    }
}

/// The score of a match between teams of these strengths: Poisson goals with
/// means 1.5 at home and 1.15 away for equal teams, scaled by the ratio of
/// the strengths.
fn score(rng: &mut ChaCha8Rng, home: f64, away: f64) -> Score {
    Score { home: poisson(rng, 1.5 * home / away), away: poisson(rng, 1.15 * away / home) }
}

/// A Poisson-distributed count with the given mean (Knuth's method: multiply
/// uniform numbers until the product drops below e^-mean; fine for the small
/// means of football scores).
fn poisson(rng: &mut ChaCha8Rng, mean: f64) -> i64 {
    let limit = (-mean.min(10.0)).exp();
    let mut product: f64 = rng.random();
    let mut count = 0;
    while product > limit {
        count += 1;
        product *= rng.random::<f64>();
    }
    count
}

/// Gives each of `goals` goals to a player of `squad`, chosen by position
/// weight.
fn credit_goals(rng: &mut ChaCha8Rng, squad: &mut [Player], goals: i64) {
    let total: u32 = squad.iter().map(|p| p.position.scoring_weight()).sum();
    for _ in 0..goals {
        let mut r = rng.random_range(0..total.max(1));
        for player in squad.iter_mut() {
            let weight = player.position.scoring_weight();
            if r < weight {
                player.goals += 1;
                break;
            }
            r -= weight;
        }
    }
}

/// Shuffles `items` in place (Fisher–Yates).
fn shuffle<T>(rng: &mut ChaCha8Rng, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        items.swap(i, rng.random_range(0..=i));
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashSet};

    use super::*;

    fn season(competitions: usize, teams: usize, players: usize) -> Season {
        generate(&FootballOptions {
            competitions,
            teams_per_competition: teams,
            players_per_team: players,
            ..FootballOptions::default()
        })
    }

    #[test]
    fn same_seed_same_season_other_seed_other_season() {
        let options = FootballOptions::default();
        assert_eq!(generate(&options), generate(&options));
        assert_ne!(generate(&options), generate(&FootballOptions { seed: 43, ..options }));
    }

    #[test]
    fn matches_before_as_of_are_played_the_others_scheduled() {
        let s = generate(&FootballOptions::default());
        let played = s.matches.iter().filter(|m| m.status == Status::Played).count();
        assert_eq!(s.describe(), format!("competitions 2, teams 20, players 360, matches 180 ({played} played)"));
        assert!((90..=130).contains(&played), "{played} played");
        for m in &s.matches {
            assert_eq!(m.score.is_some(), m.status == Status::Played);
            // 2026-02-01T00:00:00Z.
            assert_eq!(m.status == Status::Played, m.kickoff < DateTime::from_millis(1_769_904_000_000));
        }
    }

    #[test]
    fn names_squads_and_ids_are_unique() {
        // More teams than any country has cities, and more competitions
        // than countries.
        let s = season(COUNTRIES.len() + 2, 24, 30);
        let names: HashSet<&str> = s.teams.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names.len(), s.teams.len());
        let leagues: HashSet<&str> = s.competitions.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(leagues.len(), s.competitions.len());
        assert!(leagues.contains("Premier Division 2"));

        let ids: HashSet<ObjectId> = s
            .competitions
            .iter()
            .map(|c| c.id)
            .chain(s.teams.iter().map(|t| t.id))
            .chain(s.players.iter().map(|p| p.id))
            .chain(s.matches.iter().map(|m| m.id))
            .collect();
        assert_eq!(ids.len(), s.len());

        for team in &s.teams {
            let squad: Vec<&Player> = s.players.iter().filter(|p| p.team == team.id).collect();
            assert_eq!(squad.len(), 30);
            let numbers: HashSet<i64> = squad.iter().map(|p| p.shirt_number).collect();
            assert_eq!(numbers.len(), 30);
            assert!(numbers.iter().all(|n| (1..=99).contains(n)));
            assert_eq!(squad[0].position, Position::Goalkeeper);
            assert_eq!(squad[0].shirt_number, 1);
            assert_eq!(team.short_name.chars().count(), 3);
            assert!((1870..=1990).contains(&team.founded));
        }
        // A full squad of 99 fits the numbers.
        assert_eq!(shirt_numbers(&mut ChaCha8Rng::seed_from_u64(1), 99).into_iter().collect::<BTreeSet<_>>().len(), 99);
    }

    #[test]
    fn scores_look_like_football() {
        let s = generate(&FootballOptions {
            competitions: 4,
            teams_per_competition: 20,
            as_of: NaiveDate::from_ymd_opt(2030, 1, 1).unwrap_or_default(),
            ..FootballOptions::default()
        });
        let scores: Vec<Score> = s.matches.iter().filter_map(|m| m.score).collect();
        assert_eq!(scores.len(), 4 * 380);
        let n = scores.len() as f64;
        let goals = scores.iter().map(|s| s.home + s.away).sum::<i64>() as f64 / n;
        let home_wins = scores.iter().filter(|s| s.home > s.away).count() as f64 / n;
        let draws = scores.iter().filter(|s| s.home == s.away).count() as f64 / n;
        let away_wins = 1.0 - home_wins - draws;
        assert!((2.3..3.1).contains(&goals), "{goals} goals a match");
        assert!((0.38..0.52).contains(&home_wins), "{home_wins} home wins");
        assert!((0.18..0.32).contains(&draws), "{draws} draws");
        assert!(away_wins < home_wins);
        assert!(scores.iter().all(|s| s.home <= 12 && s.away <= 12));
    }

    #[test]
    fn players_goals_add_up_to_their_teams_goals() {
        let s = season(2, 10, 18);
        let mut team_goals: BTreeMap<ObjectId, i64> = BTreeMap::new();
        for m in &s.matches {
            let score = m.score.unwrap_or(Score { home: 0, away: 0 });
            *team_goals.entry(m.home_team).or_default() += score.home;
            *team_goals.entry(m.away_team).or_default() += score.away;
        }
        let mut player_goals: BTreeMap<ObjectId, i64> = BTreeMap::new();
        for p in &s.players {
            assert!(p.position != Position::Goalkeeper || p.goals == 0);
            *player_goals.entry(p.team).or_default() += p.goals;
        }
        assert_eq!(team_goals, player_goals);
        assert!(team_goals.values().sum::<i64>() > 0);
    }

    #[test]
    fn documents_have_the_domain_types() {
        let s = season(1, 4, 11);
        let m = s.matches.iter().find(|m| m.status == Status::Scheduled).expect("a scheduled match").to_document();
        assert_eq!(m.get("score"), Some(&Bson::Null));
        assert!(matches!(m.get("round"), Some(Bson::Int64(_))));
        assert!(matches!(m.get("kickoff"), Some(Bson::DateTime(_))));
        let m = s.matches.iter().find(|m| m.status == Status::Played).expect("a played match").to_document();
        let score = m.get_document("score").expect("score");
        assert!(matches!(score.get("home"), Some(Bson::Int64(_))) && matches!(score.get("away"), Some(Bson::Int64(_))));
        let p = s.players[0].to_document();
        assert_eq!(p.get_str("position").ok(), Some("GK"));
        assert!(matches!(p.get("birth_date"), Some(Bson::DateTime(_))));
        assert!(matches!(p.get("team"), Some(Bson::ObjectId(_))));
        assert!(matches!(s.teams[0].to_document().get("founded"), Some(Bson::Int64(_))));
    }
}
