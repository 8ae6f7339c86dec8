//! Ranking the candidates in memory: v1 (step 08's aggregation, frozen)
//! and v2 (topic-aware), with their parameters and their pages.
//!
//! # v1: the pinned contract
//! Exactly what step 08's `recommendations` aggregation answered through
//! mongo-rest's `/aggregations/recommendations` for the same posts: each
//! item is `_id`, the stored [`SHOWN`](crate::candidates::SHOWN) fields
//! (a missing one left out, as `$project` does), `weight` (score / 10, a
//! double), `upsanddowns` (downs − ups, `null` if either is missing) and
//! `topic_hits` (how many distinct topics are among the keywords), plus
//! Eve's `_links.self` to the post; sorted by `topic_hits` descending,
//! `upsanddowns` ascending, `num_comments` descending, `_id` ascending.
//! The parameters, their limits and their error messages are the
//! aggregation's too (`topics`, `min_score` — here at least
//! [`MIN_SCORE`], the candidates' threshold —, `page`, `max_results`).
//!
//! # v2: topic-aware
//! `rank = weight × (1 + matched topics)`: a post's score counts, and each
//! topic of the user it matches multiplies it, so a well-matched post
//! beats a slightly better-scored unmatched one while score still orders
//! posts matching as many topics. Ties: `num_comments` descending, then
//! `_id` ascending. Without topics it is a ranking by score. Each item says
//! why: `why: {topics: [matched, in the request's order], weight, rank}`.

use std::{cmp::Reverse, collections::BTreeSet};

use serde::Serialize;
use serde_json::{json, Map, Number, Value};

use crate::{
    candidates::{Candidate, Snapshot, MIN_SCORE},
    error::RecommendError,
};

/// Items per page unless `max_results` says otherwise.
pub const DEFAULT_MAX_RESULTS: u32 = 12;
/// The most items a page may ask for.
pub const MAX_RESULTS_LIMIT: u32 = 50;
/// The most topics a request may give.
pub const MAX_TOPICS: usize = 20;
/// The highest page (mongo-rest's `MAX_PAGE`).
pub const MAX_PAGE: u64 = mongo_rest::routes::MAX_PAGE;
/// The link an item carries to its post in the posts API (Eve's relative
/// `_links.self`, as the aggregation rendered it).
pub const ITEM_TITLE: &str = "post";

/// Which version's parameters a request is read with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// `/v1/recommendations`: `topics`, `min_score`, `page`, `max_results`.
    V1,
    /// `/v2/recommendations`: `topics`, `page`, `max_results`.
    V2,
}

/// A request's parameters, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// The topics, in the request's order (duplicates kept: they count once).
    pub topics: Vec<String>,
    /// The page, from 1.
    pub page: u64,
    /// Items per page.
    pub max_results: u32,
    /// Only posts scored above this (v1's `min_score`, at least [`MIN_SCORE`]).
    pub min_score: i64,
}

/// Reads the query string; the last of repeated names wins, as in mongo-rest.
pub fn parse(query: &[(String, String)], version: Version) -> Result<Params, RecommendError> {
    let known: &[&str] = match version {
        Version::V1 => &["min_score", "topics"],
        Version::V2 => &["topics"],
    };
    let get = |name: &str| query.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    if let Some((unknown, _)) =
        query.iter().find(|(k, _)| !known.contains(&k.as_str()) && k != "page" && k != "max_results")
    {
        return Err(RecommendError::BadRequest(format!(
            "unknown parameter {unknown:?}; this aggregation takes {known:?}, page and max_results"
        )));
    }
    let page = match get("page") {
        None => 1,
        Some(text) => match text.trim().parse::<u64>() {
            Ok(n) if (1..=MAX_PAGE).contains(&n) => n,
            _ => {
                return Err(RecommendError::BadRequest(format!(
                    "invalid page: {text:?}; expected a whole number from 1 to {MAX_PAGE}"
                )))
            }
        },
    };
    let max_results = match get("max_results") {
        None => DEFAULT_MAX_RESULTS,
        Some(text) => match text.trim().parse::<u32>() {
            Ok(n) if (1..=MAX_RESULTS_LIMIT).contains(&n) => n,
            _ => {
                return Err(RecommendError::BadRequest(format!(
                    "invalid max_results: {text:?}; expected a whole number from 1 to {MAX_RESULTS_LIMIT}"
                )))
            }
        },
    };
    let bad = |name: &str, why: &str| RecommendError::BadRequest(format!("invalid {name}: {why}"));
    let topics: Vec<String> = match get("topics") {
        None => vec![],
        Some(text) if text.trim().is_empty() => vec![],
        Some(text) => text.split(',').map(|t| t.trim().to_owned()).collect(),
    };
    if topics.iter().any(String::is_empty) {
        return Err(bad("topics", "blank item in the comma-separated list"));
    }
    if topics.len() > MAX_TOPICS {
        return Err(bad("topics", &format!("more than {MAX_TOPICS} items")));
    }
    if topics.iter().any(|t| t.starts_with('$')) {
        return Err(bad("topics", "values may not start with '$'"));
    }
    let min_score = match get("min_score") {
        None => MIN_SCORE,
        Some(text) => match text.trim().parse::<i64>() {
            Ok(n) if n >= MIN_SCORE => n,
            Ok(n) if n >= 0 => {
                return Err(bad(
                    "min_score",
                    &format!("{n} is below {MIN_SCORE}: only posts scored above {MIN_SCORE} are kept as candidates"),
                ))
            }
            Ok(_) => return Err(bad("min_score", "out of range (Some(0.0)..=None)")),
            Err(_) => return Err(bad("min_score", "expected a whole number")),
        },
    };
    Ok(Params { topics, page, max_results, min_score })
}

/// One page of items, and whether there is a next one.
pub struct Page {
    /// The items, rendered.
    pub items: Vec<Value>,
    /// Whether a next page exists.
    pub has_next: bool,
}

fn float(f: f64) -> Value {
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

fn page_of<'a>(ranked: impl Iterator<Item = &'a Candidate>, p: &Params, render: impl Fn(&Candidate) -> Value) -> Page {
    let skip = (p.page - 1).saturating_mul(u64::from(p.max_results)) as usize;
    let mut items: Vec<Value> = ranked.skip(skip).take(p.max_results as usize + 1).map(render).collect();
    let has_next = items.len() > p.max_results as usize;
    items.truncate(p.max_results as usize);
    Page { items, has_next }
}

/// v1's page (see the module's documentation).
pub fn v1(snapshot: &Snapshot, p: &Params) -> Page {
    let topics: BTreeSet<&str> = p.topics.iter().map(String::as_str).collect();
    let eligible = snapshot.posts.iter().filter(|c| c.score > p.min_score as f64);
    let mut ranked: Vec<(usize, &Candidate)> = eligible.map(|c| (c.hits(&topics), c)).collect();
    // Stable: equal hits keep the snapshot's order, the rest of v1's sort.
    ranked.sort_by_key(|(hits, _)| Reverse(*hits));
    let hits_of = |c: &Candidate| c.hits(&topics);
    page_of(ranked.iter().map(|(_, c)| *c), p, |c| {
        let mut item = c.shown.clone();
        item.insert("weight".into(), float(c.score / 10.0));
        item.insert("upsanddowns".into(), c.upsanddowns.map_or(Value::Null, Value::from));
        item.insert("topic_hits".into(), Value::from(hits_of(c)));
        item.insert("_links".into(), json!({ "self": { "title": ITEM_TITLE, "href": format!("posts/{}", c.id) } }));
        Value::Object(item)
    })
}

/// Why v2 chose an item.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Why {
    /// The request's topics among the post's keywords, in the request's order.
    pub topics: Vec<String>,
    /// The score / 10.
    pub weight: f64,
    /// `weight × (1 + topics matched)`: what the items are sorted by.
    pub rank: f64,
}

impl Why {
    /// Why `c` ranks where it does for `topics` (distinct, in order).
    pub fn of(c: &Candidate, topics: &[&str]) -> Self {
        let matched: Vec<String> =
            topics.iter().filter(|t| c.keywords.contains(**t)).map(|t| (*t).to_owned()).collect();
        let weight = c.score / 10.0;
        Self { rank: weight * (1 + matched.len()) as f64, weight, topics: matched }
    }
}

/// v2's page (see the module's documentation).
pub fn v2(snapshot: &Snapshot, p: &Params) -> Page {
    let mut topics: Vec<&str> = Vec::new();
    for t in &p.topics {
        if !topics.contains(&t.as_str()) {
            topics.push(t);
        }
    }
    let mut ranked: Vec<(Why, &Candidate)> = snapshot.posts.iter().map(|c| (Why::of(c, &topics), c)).collect();
    ranked.sort_by(|(wa, a), (wb, b)| {
        wb.rank.total_cmp(&wa.rank).then(b.num_comments.cmp(&a.num_comments)).then(a.id.cmp(&b.id))
    });
    let whys: std::collections::HashMap<_, _> = ranked.iter().map(|(w, c)| (c.id, w.clone())).collect();
    page_of(ranked.iter().map(|(_, c)| *c), p, |c| {
        let mut item: Map<String, Value> = c.shown.clone();
        item.insert("why".into(), serde_json::to_value(&whys[&c.id]).unwrap_or_default());
        Value::Object(item)
    })
}

/// Eve's `_links` of a page: `parent`, `self`, and `next`/`prev` where
/// there is such a page (as mongo-rest writes them).
pub fn links(base: &str, title: &str, query: &[(String, String)], page: u64, has_next: bool) -> Value {
    let href = |page: Option<u64>| {
        let mut pairs: Vec<String> = query
            .iter()
            .filter(|(k, _)| page.is_none() || k != "page")
            .map(|(k, v)| format!("{}={}", urlencoding::encode(k), urlencoding::encode(v)))
            .collect();
        if let Some(page) = page {
            pairs.push(format!("page={page}"));
        }
        if pairs.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", pairs.join("&"))
        }
    };
    let mut links = Map::new();
    links.insert("parent".into(), json!({ "title": "home", "href": "/" }));
    links.insert("self".into(), json!({ "title": title, "href": href(None) }));
    if has_next {
        links.insert("next".into(), json!({ "title": "next page", "href": href(Some(page + 1)) }));
    }
    if page > 1 {
        links.insert("prev".into(), json!({ "title": "previous page", "href": href(Some(page - 1)) }));
    }
    Value::Object(links)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::oid::ObjectId;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn candidate(n: u8, score: f64, comments: i64, keywords: &[&str]) -> Candidate {
        Candidate {
            id: ObjectId::from_bytes([n; 12]),
            shown: Map::new(),
            score,
            upsanddowns: Some(0),
            num_comments: Some(comments),
            keywords: keywords.iter().map(|k| k.to_string()).collect(),
        }
    }

    #[test]
    fn parameters_have_the_aggregations_defaults_and_limits() {
        let p = parse(&q(&[]), Version::V1).unwrap();
        assert_eq!(p, Params { topics: vec![], page: 1, max_results: 12, min_score: 50 });
        let p = parse(&q(&[("topics", " a, b ,a"), ("max_results", "50"), ("page", "2")]), Version::V2).unwrap();
        assert_eq!((p.topics, p.max_results, p.page), (vec!["a".into(), "b".into(), "a".into()], 50, 2));
        assert!(parse(&q(&[("topics", " ")]), Version::V1).unwrap().topics.is_empty());
        let many = vec!["t"; 21].join(",");
        for (pairs, named) in [
            (q(&[("topics", "a,,b")]), "topics"),
            (q(&[("topics", "a,")]), "topics"),
            (q(&[("topics", &many)]), "topics"),
            (q(&[("topics", "$title")]), "topics"),
            (q(&[("max_results", "0")]), "max_results"),
            (q(&[("max_results", "51")]), "max_results"),
            (q(&[("page", "0")]), "page"),
            (q(&[("min_score", "10")]), "min_score"),
            (q(&[("min_score", "x")]), "min_score"),
            (q(&[("topic", "a")]), "topic"),
        ] {
            let err = parse(&pairs, Version::V1).unwrap_err().to_string();
            assert!(err.contains(named), "{err}");
        }
        assert!(parse(&q(&[("min_score", "60")]), Version::V2).is_err());
    }

    #[test]
    fn v2_ranks_by_weight_times_matched_topics() {
        let snapshot = Snapshot {
            posts: vec![
                candidate(1, 100.0, 1, &[]),
                candidate(2, 60.0, 1, &["rust", "async"]),
                candidate(3, 60.0, 5, &["rust"]),
            ],
            checkpoint: None,
        };
        let p = Params {
            topics: vec!["async".into(), "rust".into(), "rust".into()],
            page: 1,
            max_results: 12,
            min_score: 50,
        };
        let page = v2(&snapshot, &p);
        let ranks: Vec<f64> = page.items.iter().map(|i| i["why"]["rank"].as_f64().unwrap()).collect();
        assert_eq!(ranks, [18.0, 12.0, 10.0]);
        assert_eq!(page.items[0]["why"]["topics"], json!(["async", "rust"]));
        assert_eq!(page.items[1]["why"], json!({ "topics": ["rust"], "weight": 6.0, "rank": 12.0 }));
        assert!(!page.has_next);
    }
}
