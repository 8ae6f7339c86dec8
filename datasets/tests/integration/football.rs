//! `datasets football` against the server: the relations between the four
//! collections, the round robin, the scores, and re-runs (same seed, other
//! seed, `--drop`) through the binary.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use mongodb::bson::{doc, oid::ObjectId, Bson, Document};

use datasets::football::{self, FootballOptions, COMPETITIONS, MATCHES, PLAYERS, TEAMS};

use crate::helpers::{uri, TestDb};

/// The four collections, in writing order.
const COLLECTIONS: [&str; 4] = [COMPETITIONS, TEAMS, PLAYERS, MATCHES];

fn id(d: &Document, field: &str) -> ObjectId {
    d.get_object_id(field).unwrap_or_else(|_| panic!("{field} is an ObjectId in {d}"))
}

fn int(d: &Document, field: &str) -> i64 {
    d.get_i64(field).unwrap_or_else(|_| panic!("{field} is an Int64 in {d}"))
}

#[tokio::test]
async fn a_stored_season_is_consistent() {
    let t = TestDb::new().await;
    let options =
        FootballOptions { competitions: 2, teams_per_competition: 6, players_per_team: 12, ..Default::default() };
    let season = football::generate(&options);
    let stored = football::store(&t.db, &season, false, false).await.expect("store");
    assert_eq!(stored.written, season.len() as u64);

    let competitions = t.all(COMPETITIONS).await;
    let teams = t.all(TEAMS).await;
    let players = t.all(PLAYERS).await;
    let matches = t.all(MATCHES).await;
    assert_eq!((competitions.len(), teams.len(), players.len()), (2, 12, 144));
    assert_eq!(matches.len(), 2 * 6 * 5);

    // Every reference points to a stored document.
    let competition_ids: BTreeSet<ObjectId> = competitions.iter().map(|c| id(c, "_id")).collect();
    let team_competition: BTreeMap<ObjectId, ObjectId> =
        teams.iter().map(|t| (id(t, "_id"), id(t, "competition"))).collect();
    assert!(team_competition.values().all(|c| competition_ids.contains(c)));
    assert!(players.iter().all(|p| team_competition.contains_key(&id(p, "team"))));

    let mut team_goals: BTreeMap<ObjectId, i64> = BTreeMap::new();
    let mut pairs: BTreeMap<ObjectId, BTreeSet<(ObjectId, ObjectId)>> = BTreeMap::new();
    let mut rounds: BTreeMap<(ObjectId, i64), Vec<ObjectId>> = BTreeMap::new();
    for m in &matches {
        let (competition, home, away) = (id(m, "competition"), id(m, "home_team"), id(m, "away_team"));
        // Two different teams of the match's competition.
        assert!(home != away && team_competition[&home] == competition && team_competition[&away] == competition);
        assert!(pairs.entry(competition).or_default().insert((home, away)), "{home} hosts {away} twice");
        rounds.entry((competition, int(m, "round"))).or_default().extend([home, away]);
        assert!(matches!(m.get("kickoff"), Some(Bson::DateTime(_))));

        // A score, with Int64 goals, exactly on played matches.
        match (m.get_str("status").expect("status"), m.get("score")) {
            ("played", Some(Bson::Document(score))) => {
                *team_goals.entry(home).or_default() += int(score, "home");
                *team_goals.entry(away).or_default() += int(score, "away");
            }
            ("scheduled", Some(Bson::Null)) => {}
            (status, score) => panic!("status {status} with score {score:?}"),
        }
    }
    // Round robin: in each competition every ordered pair of its teams
    // meets once, and nobody plays twice in a round.
    for (competition, met) in &pairs {
        let members: Vec<ObjectId> =
            team_competition.iter().filter(|(_, c)| *c == competition).map(|(team, _)| *team).collect();
        let expected: BTreeSet<(ObjectId, ObjectId)> =
            members.iter().flat_map(|&h| members.iter().filter(move |&&a| a != h).map(move |&a| (h, a))).collect();
        assert_eq!(met, &expected);
    }
    assert!(rounds.values().all(|teams| teams.len() == teams.iter().collect::<BTreeSet<_>>().len()));
    assert_eq!(rounds.len(), 2 * 10);

    // Played and scheduled matches both exist, and the players' goals add up
    // to their team's.
    let played = matches.iter().filter(|m| m.get_str("status") == Ok("played")).count();
    assert!(played > 0 && played < matches.len(), "{played} played");
    let mut player_goals: BTreeMap<ObjectId, i64> = BTreeMap::new();
    for p in &players {
        *player_goals.entry(id(p, "team")).or_default() += int(p, "goals");
        assert!(matches!(p.get("birth_date"), Some(Bson::DateTime(_))));
        assert!((1..=99).contains(&int(p, "shirt_number")));
    }
    player_goals.retain(|_, goals| *goals > 0);
    team_goals.retain(|_, goals| *goals > 0);
    assert_eq!(player_goals, team_goals);
    t.drop().await;
}

fn datasets_football(db: &str, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_datasets"))
        .args(["football", "--competitions", "1", "--teams-per-competition", "4", "--players-per-team", "11"])
        .args(args)
        .env("MONGODB_URI", uri())
        .env("MONGODB_DB", db)
        .output()
        .expect("run datasets");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

#[tokio::test]
async fn reruns_are_idempotent_and_drop_replaces_another_seed() {
    let t = TestDb::new().await;
    let all = || async {
        let mut docs = Vec::new();
        for name in COLLECTIONS {
            docs.push(t.all(name).await);
        }
        docs
    };
    let stdout = datasets_football(&t.name, &["--seed", "7"]);
    // 1 + 4 + 44 + 12 documents.
    assert!(stdout.contains("competitions 1, teams 4, players 44, matches 12"), "{stdout}");
    assert!(stdout.contains("deleted 0, written 61 in"), "{stdout}");
    let first = all().await;
    assert_eq!(first.iter().map(Vec::len).sum::<usize>(), 61);

    // The same seed again, after an edit through the API (a changed name,
    // an `_etag`): the generated documents come back exactly.
    let team = id(&first[1][0], "_id");
    let edit = doc! { "$set": { "name": "Edited FC", "_etag": "abc" } };
    t.db.collection::<Document>(TEAMS).update_one(doc! { "_id": team }, edit).await.expect("edit");
    let again = datasets_football(&t.name, &["--seed", "7"]);
    assert!(again.contains("deleted 0, written 61 in"), "{again}");
    assert_eq!(all().await, first);

    // Another seed writes other `_id`s: without --drop both runs stay...
    datasets_football(&t.name, &["--seed", "8"]);
    assert_eq!(all().await.iter().map(Vec::len).sum::<usize>(), 122);
    // ...with it, only the new run does.
    let dropped = datasets_football(&t.name, &["--seed", "8", "--drop"]);
    assert!(dropped.contains("deleted 122, written 61 in"), "{dropped}");
    let other = all().await;
    assert_eq!(other.iter().map(Vec::len).sum::<usize>(), 61);
    let ids = |docs: &[Vec<Document>]| -> BTreeSet<ObjectId> { docs.iter().flatten().map(|d| id(d, "_id")).collect() };
    assert!(ids(&first).is_disjoint(&ids(&other)));
    t.drop().await;
}
