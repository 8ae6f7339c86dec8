//! What `--like FILE` learns from a sample, and how it is sampled back.
//!
//! The sample is read with the import readers (any format), so a profile is
//! made of canonical posts. Memory grows with the sample, never with the
//! number of posts generated. Every collection that is sampled from is a
//! `Vec` or `BTreeMap` filled in file order, so the same sample and seed give
//! the same output.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::ControlFlow;
use std::path::Path;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::parse_base36;
use crate::error::Error;
use crate::import::{self, location, Format, Record};
use crate::post::Post;

/// The shape of a sample of posts.
#[derive(Debug, Clone)]
pub struct Profile {
    /// Posts learned from.
    posts: u64,
    /// (score, num_comments) of every post, sorted: sampling a rank keeps the
    /// correlation between the two.
    votes: Vec<(i64, i64)>,
    /// Link domains (not `self.*`) and their cumulative counts.
    domains: Vec<(String, u64)>,
    /// Share of self posts.
    self_ratio: f64,
    /// Share of NSFW posts.
    over_18_ratio: f64,
    /// Mean downs / ups.
    downs_ratio: f64,
    /// Creation dates (epoch seconds), sorted.
    dates: Vec<i64>,
    /// The most common subreddit.
    subreddit: Option<String>,
    /// The most common subreddit id.
    subreddit_id: String,
    /// Word bigrams of the titles.
    titles: Chain,
    /// Word bigrams of the self texts.
    selftexts: Chain,
    /// The sample's numeric (base36) ids, never handed out again.
    ids: BTreeSet<u64>,
}

impl Profile {
    /// Learns the profile of the posts in `path` (format detected). Malformed
    /// records are logged and ignored; a sample without any post is
    /// [`Error::EmptySample`].
    pub fn learn(path: &Path) -> Result<Profile, Error> {
        let bar = indicatif::ProgressBar::hidden();
        let mut builder = Builder::default();
        import::read_file(path, Format::Auto, &bar, &mut |place, record| {
            match record {
                Record::Post(post) => builder.add(&post),
                Record::Skipped => {}
                Record::Malformed(reason) => {
                    log::warn!("{}: {reason} (ignored)", location(path, place));
                }
            }
            ControlFlow::Continue(())
        })?;
        builder.finish().ok_or_else(|| Error::EmptySample { path: path.to_owned() })
    }

    /// The profile of `posts`, or `None` if there are none.
    pub fn from_posts<'a>(posts: impl IntoIterator<Item = &'a Post>) -> Option<Profile> {
        let mut builder = Builder::default();
        for post in posts {
            builder.add(post);
        }
        builder.finish()
    }

    /// How many posts the profile was learned from.
    pub fn len(&self) -> u64 {
        self.posts
    }

    /// Whether the profile was learned from no post (never true for a
    /// profile that was built).
    pub fn is_empty(&self) -> bool {
        self.posts == 0
    }

    /// The link domains of the sample, most frequent first.
    pub fn domains(&self) -> Vec<&str> {
        let mut counts: Vec<(&str, u64)> = self
            .domains
            .iter()
            .scan(0, |previous, (domain, cumulative)| {
                let count = cumulative - *previous;
                *previous = *cumulative;
                Some((domain.as_str(), count))
            })
            .collect();
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        counts.into_iter().map(|(d, _)| d).collect()
    }

    /// The smallest and largest numeric id of the sample.
    pub(super) fn id_range(&self) -> Option<(u64, u64)> {
        Some((*self.ids.first()?, *self.ids.last()?))
    }

    /// Whether `id` is one of the sample's.
    pub(super) fn has_id(&self, id: u64) -> bool {
        self.ids.contains(&id)
    }

    /// The share of NSFW posts.
    pub(super) fn over_18_ratio(&self) -> f64 {
        self.over_18_ratio
    }

    /// The mean downs / ups ratio.
    pub(super) fn downs_ratio(&self) -> f64 {
        self.downs_ratio
    }

    /// The most common subreddit, if the sample names one.
    pub(super) fn subreddit(&self) -> Option<&str> {
        self.subreddit.as_deref()
    }

    /// The most common subreddit id (may be `""`).
    pub(super) fn subreddit_id(&self) -> &str {
        &self.subreddit_id
    }

    /// Self post or not, at the sample's ratio (always self if the sample has
    /// no link to imitate).
    pub(super) fn sample_is_self(&self, rng: &mut ChaCha8Rng) -> bool {
        self.domains.is_empty() || rng.random_bool(self.self_ratio)
    }

    /// A link domain, at the sample's frequencies.
    pub(super) fn sample_domain(&self, rng: &mut ChaCha8Rng) -> String {
        let total = self.domains.last().map_or(0, |d| d.1);
        if total == 0 {
            return "github.com".to_owned();
        }
        let r = rng.random_range(0..total);
        let i = self.domains.partition_point(|d| d.1 <= r);
        self.domains[i.min(self.domains.len() - 1)].0.clone()
    }

    /// The date at position `x` (0..1) of the sample's date distribution,
    /// interpolated: increasing `x` gives increasing dates.
    pub(super) fn date_at(&self, x: f64) -> i64 {
        let pos = x.clamp(0.0, 1.0) * (self.dates.len() - 1) as f64;
        let lo = pos.floor() as usize;
        let hi = (lo + 1).min(self.dates.len() - 1);
        let f = pos - lo as f64;
        (self.dates[lo] as f64 + f * (self.dates[hi] - self.dates[lo]) as f64).round() as i64
    }

    /// A (score, comments) pair: a random rank of the sorted sample,
    /// interpolated between its neighbours so values are not just copies.
    pub(super) fn sample_votes(&self, rng: &mut ChaCha8Rng) -> (i64, i64) {
        let pos = rng.random::<f64>() * (self.votes.len() - 1) as f64;
        let lo = pos.floor() as usize;
        let hi = (lo + 1).min(self.votes.len() - 1);
        let f = pos - lo as f64;
        // In f64: the difference of two extreme i64 would overflow.
        let lerp = |a: i64, b: i64| (a as f64 + f * (b as f64 - a as f64)).round() as i64;
        (lerp(self.votes[lo].0, self.votes[hi].0), lerp(self.votes[lo].1, self.votes[hi].1).max(0))
    }

    /// A title from the sample's word bigrams, if it had titles.
    pub(super) fn sample_title(&self, rng: &mut ChaCha8Rng) -> Option<String> {
        self.titles.sample(rng, 30)
    }

    /// A self text from the sample's word bigrams, if it had any.
    pub(super) fn sample_selftext(&self, rng: &mut ChaCha8Rng) -> Option<String> {
        self.selftexts.sample(rng, 120)
    }
}

/// Accumulates a [`Profile`] one post at a time.
#[derive(Default)]
struct Builder {
    /// Posts seen.
    posts: u64,
    /// See [`Profile::votes`].
    votes: Vec<(i64, i64)>,
    /// Link domain counts.
    domains: BTreeMap<String, u64>,
    /// Self posts seen.
    selfs: u64,
    /// NSFW posts seen.
    nsfw: u64,
    /// Sum of downs / ups over posts with ups.
    downs_ratio_sum: f64,
    /// Posts with ups.
    with_ups: u64,
    /// See [`Profile::dates`].
    dates: Vec<i64>,
    /// Subreddit counts.
    subreddits: BTreeMap<String, u64>,
    /// Subreddit id counts.
    subreddit_ids: BTreeMap<String, u64>,
    /// Title bigrams.
    titles: Chain,
    /// Self text bigrams.
    selftexts: Chain,
    /// Numeric ids.
    ids: BTreeSet<u64>,
}

impl Builder {
    /// Learns from one post.
    fn add(&mut self, post: &Post) {
        self.posts += 1;
        self.votes.push((post.score, post.num_comments));
        if post.is_self {
            self.selfs += 1;
        } else if !post.domain.is_empty() {
            *self.domains.entry(post.domain.clone()).or_default() += 1;
        }
        if post.over_18 {
            self.nsfw += 1;
        }
        if post.ups > 0 {
            self.downs_ratio_sum += post.downs as f64 / post.ups as f64;
            self.with_ups += 1;
        }
        self.dates.push(post.created_utc.timestamp_millis() / 1000);
        if !post.subreddit.is_empty() {
            *self.subreddits.entry(post.subreddit.clone()).or_default() += 1;
        }
        if !post.subreddit_id.is_empty() {
            *self.subreddit_ids.entry(post.subreddit_id.clone()).or_default() += 1;
        }
        self.titles.learn(&post.title);
        if !post.selftext.trim().is_empty() {
            self.selftexts.learn(&post.selftext);
        }
        if let Some(id) = parse_base36(&post.id) {
            self.ids.insert(id);
        }
    }

    /// The profile, or `None` if no post was added.
    fn finish(mut self) -> Option<Profile> {
        if self.posts == 0 {
            return None;
        }
        self.votes.sort_unstable();
        self.dates.sort_unstable();
        let n = self.posts as f64;
        let mut cumulative = 0;
        let domains = self
            .domains
            .into_iter()
            .map(|(domain, count)| {
                cumulative += count;
                (domain, cumulative)
            })
            .collect();
        Some(Profile {
            posts: self.posts,
            votes: self.votes,
            domains,
            self_ratio: self.selfs as f64 / n,
            over_18_ratio: self.nsfw as f64 / n,
            downs_ratio: if self.with_ups == 0 { 0.0 } else { self.downs_ratio_sum / self.with_ups as f64 },
            dates: self.dates,
            subreddit: most_common(&self.subreddits),
            subreddit_id: most_common(&self.subreddit_ids).unwrap_or_default(),
            titles: self.titles,
            selftexts: self.selftexts,
            ids: self.ids,
        })
    }
}

/// The key with the highest count (the first in order on ties).
fn most_common(counts: &BTreeMap<String, u64>) -> Option<String> {
    counts
        .iter()
        .fold(None, |best: Option<(&String, u64)>, (k, &c)| match best {
            Some((_, bc)) if bc >= c => best,
            _ => Some((k, c)),
        })
        .map(|(k, _)| k.clone())
}

/// A word bigram (first-order Markov) model of texts: which word follows
/// which, and how often. Generating walks it from the start to an end.
#[derive(Debug, Clone, Default)]
struct Chain {
    /// Words, in first-seen order.
    words: Vec<String>,
    /// Word → index in `words` (looked up only, never iterated).
    index: HashMap<String, usize>,
    /// For state 0 (start) and each word `w` (state `w + 1`): the next word
    /// (or [`END`]) and how often it followed.
    next: Vec<BTreeMap<usize, u32>>,
    /// The word count of each learnt text: a generated text aims for one of
    /// them, so that walks do not ramble on much longer than the sample.
    lengths: Vec<usize>,
}

/// The "end of text" successor.
const END: usize = usize::MAX;

impl Chain {
    /// Adds one text's bigrams.
    fn learn(&mut self, text: &str) {
        if self.next.is_empty() {
            self.next.push(BTreeMap::new());
        }
        let mut state = 0;
        let mut length = 0;
        for word in text.split_whitespace() {
            length += 1;
            let w = match self.index.get(word) {
                Some(&w) => w,
                None => {
                    self.words.push(word.to_owned());
                    self.next.push(BTreeMap::new());
                    self.index.insert(word.to_owned(), self.words.len() - 1);
                    self.words.len() - 1
                }
            };
            *self.next[state].entry(w).or_default() += 1;
            state = w + 1;
        }
        if state != 0 {
            *self.next[state].entry(END).or_default() += 1;
            self.lengths.push(length);
        }
    }

    /// A text of at most `max_words` words, or `None` if nothing was learnt.
    ///
    /// The walk aims at the length of a random learnt text: past it, it ends
    /// as soon as the current word may end a text, and it never goes beyond
    /// twice that length.
    fn sample(&self, rng: &mut ChaCha8Rng, max_words: usize) -> Option<String> {
        let target = *self.lengths.get(rng.random_range(0..self.lengths.len().max(1)))?;
        let limit = (2 * target).clamp(1, max_words.max(1));
        let mut out: Vec<&str> = Vec::new();
        let mut state = 0;
        while out.len() < limit {
            let successors = self.next.get(state)?;
            if out.len() >= target && successors.contains_key(&END) {
                break;
            }
            let total: u32 = successors.values().sum();
            if total == 0 {
                break;
            }
            let mut r = rng.random_range(0..total);
            let mut chosen = END;
            for (&w, &count) in successors {
                if r < count {
                    chosen = w;
                    break;
                }
                r -= count;
            }
            if chosen == END {
                break;
            }
            out.push(self.words.get(chosen)?);
            state = chosen + 1;
        }
        (!out.is_empty()).then(|| out.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn chain_generates_from_learnt_words_only() {
        let mut chain = Chain::default();
        chain.learn("pandas is fast");
        chain.learn("numpy is faster");
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..50 {
            let text = chain.sample(&mut rng, 10).expect("learnt something");
            let words: Vec<&str> = text.split(' ').collect();
            assert!(["pandas", "numpy"].contains(&words[0]), "{text}");
            assert_eq!(words[1], "is");
            assert!(["fast", "faster"].contains(&words[2]));
            assert_eq!(words.len(), 3);
        }
        assert_eq!(Chain::default().sample(&mut rng, 5), None);
    }

    #[test]
    fn most_common_breaks_ties_by_order() {
        let counts: BTreeMap<String, u64> = [("b".to_owned(), 2), ("a".to_owned(), 2), ("c".to_owned(), 1)].into();
        assert_eq!(most_common(&counts).as_deref(), Some("a"));
    }
}
