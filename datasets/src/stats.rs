//! The summary printed by `datasets stats`.
//!
//! Two passes over the collection: one `find` of a few small fields
//! (score, date, source, domain) from which the totals, percentiles, buckets
//! and top domains are computed here, and one `$unwind`/`$group`/`$sort`/
//! `$limit` pipeline for the top keywords. On the workshop's server each
//! query over the collection is a full scan, so fewer queries is faster
//! (a scan of 100,000 posts takes seconds there); memory is 8 bytes per post.

use std::collections::HashMap;
use std::fmt;

use futures::TryStreamExt;
use mongodb::bson::{doc, Bson, DateTime, Document};
use mongodb::Database;

use crate::db;
use crate::error::Error;

/// Score buckets: label and `[from, to)` (`None` = unbounded).
const BUCKETS: &[(&str, Option<i64>, Option<i64>)] = &[
    ("< 0", None, Some(0)),
    ("0–9", Some(0), Some(10)),
    ("10–49", Some(10), Some(50)),
    ("50–99", Some(50), Some(100)),
    ("100–999", Some(100), Some(1000)),
    ("1000+", Some(1000), None),
];

/// What a `posts` collection holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    /// Number of posts.
    pub total: u64,
    /// Posts per `source`, most first.
    pub by_source: Vec<(String, u64)>,
    /// Score percentiles; `None` when there are no posts.
    pub score: Option<ScoreStats>,
    /// Posts per score bucket (label, count).
    pub buckets: Vec<(String, u64)>,
    /// Posts with a score above 50.
    pub over_50: u64,
    /// The 10 most common domains.
    pub top_domains: Vec<(String, u64)>,
    /// The 10 most common keywords ("topics").
    pub top_keywords: Vec<(String, u64)>,
    /// The first and last `created_utc`.
    pub dates: Option<(DateTime, DateTime)>,
}

/// Score percentiles (nearest rank).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScoreStats {
    /// Lowest score.
    pub min: i64,
    /// Median.
    pub p50: i64,
    /// 90th percentile.
    pub p90: i64,
    /// 99th percentile.
    pub p99: i64,
    /// Highest score.
    pub max: i64,
}

/// Computes the [`Stats`] of `db`'s `posts`.
pub async fn collect(db: &Database) -> Result<Stats, Error> {
    // `RUST_LOG=debug` shows how long each part takes.
    let started = std::time::Instant::now();

    // One pass over a few small fields gives everything but the keywords:
    // on this workshop's server every query over the collection costs a full
    // scan, so one scan beats a `$group`, three percentile look-ups and
    // seven bucket counts.
    let mut cursor = db::posts(db)
        .find(doc! {})
        .projection(doc! { "_id": 0, "score": 1, "created_utc": 1, "source": 1, "domain": 1 })
        .batch_size(10_000)
        .await?;
    let mut scores = Vec::new();
    let mut sources: HashMap<String, u64> = HashMap::new();
    let mut domains: HashMap<String, u64> = HashMap::new();
    let mut dates: Option<(DateTime, DateTime)> = None;
    while let Some(post) = cursor.try_next().await? {
        scores.push(post.get("score").and_then(as_i64).unwrap_or(0));
        *sources.entry(text_of(post.get("source"))).or_default() += 1;
        *domains.entry(text_of(post.get("domain"))).or_default() += 1;
        if let Some(Bson::DateTime(d)) = post.get("created_utc") {
            dates = Some(match dates {
                Some((first, last)) => (first.min(*d), last.max(*d)),
                None => (*d, *d),
            });
        }
    }
    scores.sort_unstable();
    log::debug!("stats: scan done at {:.2?}", started.elapsed());

    let total = scores.len() as u64;
    let score = (!scores.is_empty()).then(|| ScoreStats {
        min: scores[0],
        p50: percentile(&scores, 50),
        p90: percentile(&scores, 90),
        p99: percentile(&scores, 99),
        max: scores[scores.len() - 1],
    });
    let buckets = BUCKETS
        .iter()
        .map(|&(label, from, to)| {
            let n = scores.iter().filter(|&&s| from.is_none_or(|from| s >= from) && to.is_none_or(|to| s < to)).count();
            (label.to_owned(), n as u64)
        })
        .collect();
    let over_50 = scores.iter().filter(|&&s| s > 50).count() as u64;

    let top_keywords = counts(
        db,
        vec![
            doc! { "$unwind": "$keywords" },
            doc! { "$group": { "_id": "$keywords", "n": { "$sum": 1 } } },
            doc! { "$sort": { "n": -1, "_id": 1 } },
            doc! { "$limit": 10 },
        ],
    )
    .await?;
    log::debug!("stats: keywords done at {:.2?}", started.elapsed());

    Ok(Stats {
        total,
        by_source: top(sources, usize::MAX),
        score,
        buckets,
        over_50,
        top_domains: top(domains, 10),
        top_keywords,
        dates,
    })
}

/// The `limit` largest counts, ties in key order.
fn top(counts: HashMap<String, u64>, limit: usize) -> Vec<(String, u64)> {
    let mut counts: Vec<(String, u64)> = counts.into_iter().collect();
    counts.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    counts.truncate(limit);
    counts
}

/// A grouping key: the string, or `(none)`.
fn text_of(value: Option<&Bson>) -> String {
    match value {
        Some(Bson::String(s)) => s.clone(),
        None | Some(Bson::Null) => "(none)".to_owned(),
        Some(other) => other.to_string(),
    }
}

/// Runs a pipeline whose output is `{_id: <key>, n: <count>}` documents.
async fn counts(db: &Database, pipeline: Vec<Document>) -> Result<Vec<(String, u64)>, Error> {
    let rows: Vec<Document> = db::posts(db).aggregate(pipeline).await?.try_collect().await?;
    Ok(rows.iter().map(|d| (text_of(d.get("_id")), d.get("n").and_then(as_i64).unwrap_or(0).max(0) as u64)).collect())
}

/// The nearest-rank `p`-th percentile of sorted, non-empty `scores`.
fn percentile(scores: &[i64], p: usize) -> i64 {
    let rank = (p * scores.len()).div_ceil(100).clamp(1, scores.len());
    scores[rank - 1]
}

/// A BSON number as `i64`.
fn as_i64(b: &Bson) -> Option<i64> {
    match b {
        Bson::Int32(n) => Some(i64::from(*n)),
        Bson::Int64(n) => Some(*n),
        Bson::Double(x) if x.is_finite() => Some(*x as i64),
        _ => None,
    }
}

/// `1234567` → `1,234,567`.
fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

/// A date as `YYYY-MM-DD HH:MM` UTC.
fn day(d: DateTime) -> String {
    chrono::DateTime::from_timestamp_millis(d.timestamp_millis())
        .map_or_else(|| d.to_string(), |d| d.format("%Y-%m-%d %H:%M").to_string())
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = |n: u64| thousands(i64::try_from(n).unwrap_or(i64::MAX));
        writeln!(f, "{:<22}{:>12}", "posts", count(self.total))?;
        for (source, n) in &self.by_source {
            writeln!(f, "  {:<20}{:>12}", source, count(*n))?;
        }
        if let Some((first, last)) = self.dates {
            writeln!(f, "{:<22}{} .. {} UTC", "dates", day(first), day(last))?;
        }
        if let Some(s) = &self.score {
            writeln!(f)?;
            writeln!(f, "score")?;
            for (label, value) in [("min", s.min), ("p50", s.p50), ("p90", s.p90), ("p99", s.p99), ("max", s.max)] {
                writeln!(f, "  {:<20}{:>12}", label, thousands(value))?;
            }
            writeln!(f)?;
            writeln!(f, "score buckets")?;
            for (label, n) in &self.buckets {
                let share = 100.0 * *n as f64 / self.total as f64;
                writeln!(f, "  {:<20}{:>12}  {:>5.1}%", label, count(*n), share)?;
            }
            let share = 100.0 * self.over_50 as f64 / self.total as f64;
            writeln!(f, "  {:<20}{:>12}  {:>5.1}%", "score > 50", count(self.over_50), share)?;
        }
        for (title, rows) in [("top domains", &self.top_domains), ("top topics (keywords)", &self.top_keywords)] {
            if rows.is_empty() {
                continue;
            }
            writeln!(f)?;
            writeln!(f, "{title}")?;
            for (key, n) in rows {
                writeln!(f, "  {:<28}{:>12}", key, count(*n))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{percentile, thousands};

    #[test]
    fn nearest_rank_percentiles() {
        let scores: Vec<i64> = (1..=100).collect();
        assert_eq!((percentile(&scores, 50), percentile(&scores, 90), percentile(&scores, 99)), (50, 90, 99));
        assert_eq!(percentile(&[7], 99), 7);
        assert_eq!(percentile(&[1, 2, 3], 50), 2);
    }

    #[test]
    fn formats_thousands() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(-1_234_567), "-1,234,567");
    }
}
