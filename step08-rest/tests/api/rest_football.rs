//! The same API program serving another domain file, `domains/football.toml`,
//! over a database filled by the `datasets` crate's football generator:
//! the resources, default sorts, embedding, filters, the `standings`
//! aggregation and validation all come from the file, with no code about
//! football. These tests are the proof.

use std::{collections::BTreeMap, path::Path};

use datasets::football::{self, FootballOptions, Season, Status};
use mongodb::bson::{doc, oid::ObjectId, Document};
use serde_json::{json, Value};

use crate::helpers::{spawn_api_with, TestApi};

/// The football API on a database of its own, filled with a small season:
/// 2 competitions of 6 teams of 11 players, 60 matches (about 60 % played).
async fn football_api() -> (TestApi, Season) {
    let api = spawn_api_with(|settings| {
        settings.domain = Path::new(env!("CARGO_MANIFEST_DIR")).join("domains/football.toml");
    })
    .await;
    let season = football::generate(&FootballOptions {
        competitions: 2,
        teams_per_competition: 6,
        players_per_team: 11,
        ..FootballOptions::default()
    });
    let summary = football::store(&api.db, &season, false, false).await.expect("the season is stored");
    assert_eq!(summary.written, season.len() as u64);
    (api, season)
}

/// How many documents of a collection match `filter`.
async fn count(api: &TestApi, collection: &str, filter: Document) -> u64 {
    api.db.collection::<Document>(collection).count_documents(filter).await.expect("a count")
}

/// A `where` (or other) parameter, URL-encoded.
fn encode(text: &str) -> String {
    urlencoding::encode(text).into_owned()
}

/// A field of every item of a page.
fn column<'a>(page: &'a Value, field: &str) -> Vec<&'a Value> {
    page["_items"].as_array().expect("_items").iter().map(|item| &item[field]).collect()
}

/// One team's row of the league table, computed from the generated matches.
#[derive(Debug, Default, PartialEq)]
struct Row {
    played: i64,
    won: i64,
    drawn: i64,
    lost: i64,
    goals_for: i64,
    goals_against: i64,
}

#[actix_web::test]
async fn the_home_lists_the_football_resources_and_collections_use_their_default_sort() {
    let (api, season) = football_api().await;

    let home = api.get("/").await;
    home.assert_status(200);
    let children: Vec<&str> = home.body["_links"]["child"]
        .as_array()
        .expect("child links")
        .iter()
        .map(|c| c["href"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(children, ["competitions", "matches", "oplog", "players", "teams"]);
    api.get("/posts").await.assert_error(404, "no resource named \"posts\"");

    // competitions and teams: by name.
    let competitions = api.get("/competitions").await;
    competitions.assert_status(200);
    let mut names: Vec<&str> = season.competitions.iter().map(|c| c.name.as_str()).collect();
    names.sort();
    assert_eq!(column(&competitions.body, "name"), names);
    assert_eq!(competitions.body["_items"][0]["season"], "2025-26");
    let teams = api.get("/teams?max_results=100").await;
    teams.assert_status(200);
    assert_eq!(teams.body["_meta"]["total"], season.teams.len());
    let mut names: Vec<&str> = season.teams.iter().map(|t| t.name.as_str()).collect();
    names.sort();
    assert_eq!(column(&teams.body, "name"), names);

    // players: by team, then shirt number; 25 a page.
    let players = api.get("/players").await;
    players.assert_status(200);
    assert_eq!(players.body["_meta"]["total"], season.players.len());
    let mut expected: Vec<(String, i64)> = season.players.iter().map(|p| (p.team.to_hex(), p.shirt_number)).collect();
    expected.sort();
    let got: Vec<(String, i64)> = players.body["_items"]
        .as_array()
        .expect("_items")
        .iter()
        .map(|p| (p["team"].as_str().unwrap_or_default().to_owned(), p["shirt_number"].as_i64().unwrap_or_default()))
        .collect();
    assert_eq!(got, expected[..25]);
    assert_eq!(players.body["_links"]["next"]["href"], "players?page=2");

    // matches: by kickoff; a scheduled match has a null score.
    let matches = api.get(&format!("/matches?max_results={}", season.matches.len())).await;
    matches.assert_status(200);
    assert_eq!(matches.body["_meta"]["total"], season.matches.len());
    let kickoffs: Vec<i64> = column(&matches.body, "kickoff")
        .iter()
        .map(|k| chrono::DateTime::parse_from_rfc2822(k.as_str().expect("a date")).expect("RFC 1123").timestamp())
        .collect();
    assert_eq!(kickoffs.len(), season.matches.len());
    assert!(kickoffs.windows(2).all(|w| w[0] <= w[1]), "sorted by kickoff");
    let last = &matches.body["_items"][season.matches.len() - 1];
    assert_eq!(last["status"], "scheduled");
    assert_eq!(last["score"], Value::Null);
    assert_eq!(matches.body["_items"][0]["status"], "played");
    assert!(matches.body["_items"][0]["score"]["home"].is_i64());
}

#[actix_web::test]
async fn embedding_replaces_a_team_id_by_the_team() {
    let (api, season) = football_api().await;
    let first = &season.matches[0];
    let home = season.teams.iter().find(|t| t.id == first.home_team).expect("the home team");

    let embedded = encode(r#"{"home_team": 1}"#);
    let page = api.get(&format!("/matches?max_results=5&embedded={embedded}")).await;
    page.assert_status(200);
    let items = page.body["_items"].as_array().expect("_items");
    assert_eq!(items.len(), 5);
    for item in items {
        let team = &item["home_team"];
        assert!(team.is_object(), "embedded: {item:#}");
        let id = ObjectId::parse_str(team["_id"].as_str().expect("the team's _id")).expect("a hex id");
        let expected = season.teams.iter().find(|t| t.id == id).expect("a generated team");
        assert_eq!(team["name"], expected.name.as_str());
        assert_eq!(team["competition"], expected.competition.to_hex());
        // Only the field asked for is embedded.
        assert!(item["away_team"].is_string());
    }

    // One item, too.
    let one = api.get(&format!("/matches/{}?embedded={embedded}", first.id.to_hex())).await;
    one.assert_status(200);
    assert_eq!(one.body["home_team"]["name"], home.name.as_str());
    assert_eq!(one.body["home_team"]["short_name"], home.short_name.as_str());
    assert_eq!(one.body["away_team"], first.away_team.to_hex());
}

#[actix_web::test]
async fn players_are_filtered_by_team_and_regexes_only_where_the_domain_allows() {
    let (api, season) = football_api().await;
    let team = &season.teams[3];
    let squad: Vec<_> = season.players.iter().filter(|p| p.team == team.id).collect();

    let filter = encode(&format!(r#"team == "{}""#, team.id.to_hex()));
    let page = api.get(&format!("/players?where={filter}")).await;
    page.assert_status(200);
    assert_eq!(page.body["_meta"]["total"], squad.len());
    assert_eq!(squad.len(), 11);
    assert!(column(&page.body, "team").iter().all(|t| **t == team.id.to_hex()));
    let numbers: Vec<i64> = column(&page.body, "shirt_number").iter().map(|n| n.as_i64().unwrap_or_default()).collect();
    assert_eq!(numbers, (1..=11).collect::<Vec<i64>>());

    // `name` is a regex filter; `nationality` is not.
    let first = squad[0].name.split(' ').next().expect("a first name");
    let regex = encode(&format!(r#"{{"name": {{"$regex": "^{first}"}}}}"#));
    let found = api.get(&format!("/players?where={regex}&max_results=100")).await;
    found.assert_status(200);
    let names = column(&found.body, "name");
    assert!(!names.is_empty() && names.iter().all(|n| n.as_str().unwrap_or_default().starts_with(first)));
    let expected = season.players.iter().filter(|p| p.name.starts_with(first)).count();
    assert_eq!(found.body["_meta"]["total"], expected);

    let refused = encode(r#"{"nationality": {"$regex": "^Eng"}}"#);
    api.get(&format!("/players?where={refused}")).await.assert_error(400, "regex is not allowed on field nationality");
    // A field outside allowed_filters cannot be filtered at all.
    let refused = encode(r#"{"founded": 1900}"#);
    api.get(&format!("/competitions?where={refused}")).await.assert_error(400, "where");
}

#[actix_web::test]
async fn the_standings_aggregation_is_the_league_table() {
    let (api, season) = football_api().await;
    let competition = &season.competitions[1];
    let mut expected: BTreeMap<String, Row> = BTreeMap::new();
    for m in season.matches.iter().filter(|m| m.competition == competition.id && m.status == Status::Played) {
        let score = m.score.expect("a played match has a score");
        for (team, goals_for, goals_against) in
            [(m.home_team, score.home, score.away), (m.away_team, score.away, score.home)]
        {
            let row = expected.entry(team.to_hex()).or_default();
            row.played += 1;
            row.won += i64::from(goals_for > goals_against);
            row.drawn += i64::from(goals_for == goals_against);
            row.lost += i64::from(goals_for < goals_against);
            row.goals_for += goals_for;
            row.goals_against += goals_against;
        }
    }
    assert_eq!(expected.len(), 6, "every team has played");

    let table = api.get(&format!("/aggregations/standings?competition={}", competition.id.to_hex())).await;
    table.assert_status(200);
    let rows = table.body["_items"].as_array().expect("_items");
    assert_eq!(rows.len(), 6);
    let number = |row: &Value, field: &str| row[field].as_i64().unwrap_or_else(|| panic!("{field} in {row:#}"));
    let mut got: BTreeMap<String, Row> = BTreeMap::new();
    for row in rows {
        let (won, drawn, lost) = (number(row, "won"), number(row, "drawn"), number(row, "lost"));
        assert_eq!(number(row, "points"), 3 * won + drawn, "{row:#}");
        assert_eq!(number(row, "played"), won + drawn + lost, "{row:#}");
        assert_eq!(number(row, "goal_difference"), number(row, "goals_for") - number(row, "goals_against"));
        let team = row["team"].as_str().expect("a team id").to_owned();
        let computed = Row {
            played: number(row, "played"),
            won,
            drawn,
            lost,
            goals_for: number(row, "goals_for"),
            goals_against: number(row, "goals_against"),
        };
        got.insert(team, computed);
    }
    assert_eq!(got, expected);
    let points: Vec<i64> = rows.iter().map(|r| number(r, "points")).collect();
    assert!(points.windows(2).all(|w| w[0] >= w[1]), "best first: {points:?}");

    // The parameter is typed and required.
    api.get("/aggregations/standings").await.assert_status(400);
    api.get("/aggregations/standings?competition=nope").await.assert_status(400);

    // top_scorers: most goals first.
    let scorers = api.get("/aggregations/top_scorers?max_results=5").await;
    scorers.assert_status(200);
    let best = season.players.iter().map(|p| p.goals).max().expect("players");
    assert_eq!(scorers.body["_items"][0]["goals"], best);
    let goals: Vec<i64> = column(&scorers.body, "goals").iter().map(|g| g.as_i64().unwrap_or_default()).collect();
    assert!(goals.windows(2).all(|w| w[0] >= w[1]), "{goals:?}");
}

#[actix_web::test]
async fn players_are_validated_by_the_football_schema() {
    let (api, season) = football_api().await;
    let team = season.teams[0].id.to_hex();
    let players = season.players.len() as u64;

    let striker = json!({ "name": "Ann Striker", "team": team, "position": "ST", "shirt_number": 99 });
    let refused = api.post("/players", &striker).await;
    refused.assert_error(422, "insertion failure");
    assert_eq!(refused.body["_issues"], json!({ "position": "unallowed value ST" }));
    let refused = api.post("/players", &json!({ "name": "No Team", "position": "FW", "shirt_number": 0 })).await;
    refused.assert_error(422, "insertion failure");
    assert_eq!(refused.body["_issues"], json!({ "team": "required field", "shirt_number": "min value is 1" }));
    let ghost = mongodb::bson::oid::ObjectId::new().to_hex();
    let homeless = json!({ "name": "Ann Nowhere", "team": ghost, "position": "FW", "shirt_number": 9 });
    let refused = api.post("/players", &homeless).await;
    refused.assert_error(422, "insertion failure");
    assert_eq!(refused.body["_issues"]["team"], format!("value '{ghost}' must exist in resource 'teams', field '_id'"));
    assert_eq!(count(&api, "players", doc! {}).await, players);

    let forward = json!({
        "name": "Ann Forward", "team": team, "position": "FW", "shirt_number": 99,
        "birth_date": "Sat, 01 Jan 2000 00:00:00 GMT", "nationality": "England",
    });
    let created = api.post("/players", &forward).await;
    created.assert_status(201);
    let id = created.body["_id"].as_str().expect("an _id");
    assert_eq!(created.header("location"), Some(format!("/players/{id}").as_str()));
    let read = api.get(&format!("/players/{id}")).await;
    read.assert_status(200);
    assert_eq!(read.body["name"], "Ann Forward");
    assert_eq!(read.body["team"], team.as_str());
    assert_eq!(read.body["goals"], 0);
    assert_eq!(read.body["birth_date"], "Sat, 01 Jan 2000 00:00:00 GMT");
    let stored = api.db.collection::<Document>("players").find_one(doc! { "name": "Ann Forward" }).await;
    let stored = stored.expect("a read").expect("stored");
    assert_eq!(stored.get_object_id("team"), Ok(season.teams[0].id));
    assert!(stored.get_datetime("birth_date").is_ok());
    assert_eq!(count(&api, "players", doc! {}).await, players + 1);
    assert_eq!(count(&api, "oplog", doc! { "resource": "players", "op": "POST" }).await, 1);

    // One shirt per number in a squad: the compound unique index says 409.
    let twin = json!({ "name": "Bob Twin", "team": team, "position": "MF", "shirt_number": 99 });
    api.post("/players", &twin).await.assert_error(409, "duplicate key");
    assert_eq!(count(&api, "players", doc! {}).await, players + 1);
}
