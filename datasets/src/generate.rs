//! The synthetic post generator behind `datasets generate`.
//!
//! Posts are made one at a time by [`Generator`], an iterator, and written as
//! JSON lines by [`generate`], so a million posts take bounded memory. Output
//! is plain JSON in the shape `mongoexport` writes (`_id` as `{"$oid": …}`,
//! `created_utc` as epoch seconds), so `datasets import` reads it like a real
//! export.
//!
//! Everything random comes from one `ChaCha8Rng` seeded with `--seed`, and no
//! hash-map order is ever observed, so a seed and a count always give the same
//! bytes. The shapes, by default:
//!
//! - time: `created_utc` grows with the post's index over 2010–2016, denser
//!   towards the end (the subreddit grew), and base36 ids grow with it;
//! - kind: ~30 % image links (i.imgur.com), ~50 % articles (github.com,
//!   python.org, blogs…), ~20 % self posts with a few sentences of text;
//! - titles: templates filled from one topic (web, data science, async,
//!   packaging, testing, databases, the language) so searches find coherent
//!   posts;
//! - votes: log-normal scores (median ≈ 7, ~13 % above 50, a tail into the
//!   thousands), `ups - downs = score` with downs 5–35 % of ups, and comment
//!   counts that grow with the score (self posts get more).
//!
//! With a [`Profile`] (`--like FILE`) the scores, comments, domains, self and
//! NSFW ratios, dates, subreddit and title words are those of the sample.

mod profile;
mod vocab;

use std::io::{BufWriter, Write};

use mongodb::bson::oid::ObjectId;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::Serialize;

pub use profile::Profile;

use crate::error::Error;
use crate::progress;
use vocab::{Topic, TOPICS};

/// The seed used when `--seed` is not given.
pub const DEFAULT_SEED: u64 = 42;
/// 2010-01-01T00:00:00Z: the default first date.
const DEFAULT_START: i64 = 1_262_304_000;
/// 2016-12-31T23:59:59Z: the default last date.
const DEFAULT_END: i64 = 1_483_228_799;
/// r/Python.
const SUBREDDIT: &str = "Python";
/// r/Python's fullname.
const SUBREDDIT_ID: &str = "t5_2qh0y";
/// base36 `aq000`: roughly reddit's post ids at the start of 2010.
const FIRST_ID: u64 = 18_009_216;
/// base36 `5l0000`: roughly reddit's post ids at the end of 2016.
const LAST_ID: u64 = 337_602_816;
/// How many user names the authors are drawn from.
const AUTHORS: usize = 2000;

/// How to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateOptions {
    /// How many posts.
    pub count: u64,
    /// The random seed; the same seed and count give the same output.
    pub seed: u64,
    /// Draw a progress bar on stderr (hidden anyway when it is not a terminal).
    pub progress: bool,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions { count: 1000, seed: DEFAULT_SEED, progress: false }
    }
}

/// `_id` as extended JSON: `{"$oid": "<24 hex digits>"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OidJson {
    /// The ObjectId in hex.
    #[serde(rename = "$oid")]
    pub oid: String,
}

/// A generated post, serialised as one line of mongoexport-style JSON. The
/// fields and their meaning are those of [`crate::post::Post`] (without
/// `keywords` and `source`, which the import computes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GeneratedPost {
    /// `{"$oid": …}`; its timestamp part is `created_utc`.
    #[serde(rename = "_id")]
    pub oid: OidJson,
    /// Base36 id, unique and growing with `created_utc`.
    pub id: String,
    /// `t3_<id>`.
    pub name: String,
    /// A generated user name, or `[deleted]`.
    pub author: String,
    /// The title.
    pub title: String,
    /// The link (the permalink for self posts).
    pub url: String,
    /// The link's domain, `self.<subreddit>` for self posts.
    pub domain: String,
    /// `https://www.reddit.com/r/<sub>/comments/<id>/<slug>/`.
    pub permalink: String,
    /// The image URL for image posts, else `""`.
    pub thumbnail: String,
    /// A few sentences for self posts, else `""`.
    pub selftext: String,
    /// Whether this is a text post.
    pub is_self: bool,
    /// NSFW (rare).
    pub over_18: bool,
    /// The subreddit.
    pub subreddit: String,
    /// The subreddit's fullname.
    pub subreddit_id: String,
    /// Epoch seconds.
    pub created_utc: i64,
    /// `ups - downs`.
    pub score: i64,
    /// Up-votes.
    pub ups: i64,
    /// Down-votes.
    pub downs: i64,
    /// Comments.
    pub num_comments: i64,
}

/// Writes `options.count` generated posts to `out` as JSON lines, shaped like
/// `profile` when given. Returns the number of posts written.
pub fn generate(out: &mut dyn Write, options: &GenerateOptions, profile: Option<&Profile>) -> Result<u64, Error> {
    let bar = progress::items(options.count, options.progress);
    let mut out = BufWriter::with_capacity(1 << 16, out);
    let mut written = 0u64;
    for post in Generator::new(options.seed, options.count, profile) {
        serde_json::to_writer(&mut out, &post).map_err(|e| Error::Output(e.into()))?;
        out.write_all(b"\n").map_err(Error::Output)?;
        written += 1;
        // Touching the bar per post would cost more than making the post.
        if written.is_multiple_of(1024) {
            bar.inc(1024);
        }
    }
    out.flush().map_err(Error::Output)?;
    bar.finish_and_clear();
    Ok(written)
}

/// What a post links to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// An image on imgur.
    Image,
    /// An article somewhere.
    Article,
    /// A text post.
    SelfPost,
}

/// The words one post is made of, chosen once so that its title and text
/// talk about the same things.
struct Slots {
    /// `{lib}`.
    lib: &'static str,
    /// `{lib2}`, another library of the same topic.
    lib2: &'static str,
    /// `{concept}`.
    concept: &'static str,
    /// `{task}`.
    task: &'static str,
    /// `{adj}`.
    adj: &'static str,
    /// `{n}`.
    n: u32,
    /// `{version}`.
    version: String,
}

/// An endless supply of posts (it stops after `count`): see the module docs.
pub struct Generator<'p> {
    /// The only source of randomness.
    rng: ChaCha8Rng,
    /// The sample to imitate, if any.
    profile: Option<&'p Profile>,
    /// How many posts to make.
    count: u64,
    /// How many were made.
    index: u64,
    /// The last id handed out (ids only grow).
    last_id: u64,
    /// The average step between ids.
    id_gap: u64,
    /// The middle five bytes of every ObjectId of this run.
    machine: [u8; 5],
    /// The user names.
    authors: Vec<String>,
}

impl<'p> Generator<'p> {
    /// A generator of `count` posts from `seed`, imitating `profile` if given.
    pub fn new(seed: u64, count: u64, profile: Option<&'p Profile>) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let machine: [u8; 5] = rng.random();
        let authors = (0..AUTHORS).map(|_| username(&mut rng)).collect();
        let (first, last) = profile.and_then(Profile::id_range).unwrap_or((FIRST_ID, LAST_ID));
        // A range too narrow for `count` ids is stretched: uniqueness matters
        // more than staying inside the sample's range.
        let span = (last - first).max(count.saturating_mul(8));
        Generator {
            rng,
            profile,
            count,
            index: 0,
            last_id: first.saturating_sub(1),
            id_gap: (span / count.max(1)).max(1),
            machine,
            authors,
        }
    }

    /// The next unique id: a little above the last one, never a sample's.
    fn next_id(&mut self) -> u64 {
        let mut id = self.last_id + 1 + self.rng.random_range(0..self.id_gap);
        while self.profile.is_some_and(|p| p.has_id(id)) {
            id += 1;
        }
        self.last_id = id;
        id
    }

    /// An author: a few prolific ones, a long tail, 2 % deleted accounts.
    fn author(&mut self) -> String {
        if self.rng.random_bool(0.02) {
            return "[deleted]".to_owned();
        }
        let u: f64 = self.rng.random();
        let i = ((self.authors.len() as f64) * u.powf(2.5)) as usize;
        self.authors[i.min(self.authors.len() - 1)].clone()
    }

    /// Default-shaped score and comments for a post of `kind`.
    fn votes(&mut self, kind: Kind) -> (i64, i64) {
        let mu = match kind {
            Kind::Image => 2.3,
            Kind::Article => 2.0,
            Kind::SelfPost => 1.8,
        };
        let z: f64 = self.rng.sample(StandardNormal);
        let score = ((mu + 1.7 * z).exp() - 1.0).floor().max(0.0) as i64;
        let chatty = if kind == Kind::SelfPost { 0.8 } else { 0.0 };
        let z: f64 = self.rng.sample(StandardNormal);
        let comments = (0.8 * ((score + 1) as f64).ln() - 1.0 + chatty + 0.8 * z).exp().floor() as i64;
        (score, comments)
    }

    /// Splits a score into ups and downs, downs being about `ratio` of ups.
    fn ups_downs(&mut self, score: i64, ratio: f64) -> (i64, i64) {
        if score <= 0 {
            let ups = self.rng.random_range(0..3);
            return (ups, ups.saturating_sub(score));
        }
        let r = (ratio * self.rng.random_range(0.6..1.4)).clamp(0.0, 0.9);
        let ups = ((score as f64) / (1.0 - r)).round() as i64;
        (ups, ups.saturating_sub(score))
    }

    /// A post in the default shape.
    fn default_post(&mut self) -> Draft {
        let u: f64 = self.rng.random();
        let kind = if u < 0.3 {
            Kind::Image
        } else if u < 0.8 {
            Kind::Article
        } else {
            Kind::SelfPost
        };
        let topic = pick_topic(&mut self.rng);
        let slots = slots(&mut self.rng, topic);
        let templates = match kind {
            Kind::Image => vocab::IMAGE_TEMPLATES,
            Kind::Article => vocab::ARTICLE_TEMPLATES,
            Kind::SelfPost => vocab::SELF_TEMPLATES,
        };
        let title = fill(pick(&mut self.rng, templates), &slots);
        let selftext = if kind == Kind::SelfPost { self_text(&mut self.rng, &slots) } else { String::new() };
        let domain = match kind {
            Kind::Image => "i.imgur.com".to_owned(),
            Kind::Article if self.rng.random_bool(0.5) => pick(&mut self.rng, topic.domains).to_owned(),
            Kind::Article => {
                let total = vocab::GENERAL_DOMAINS.iter().map(|d| d.1).sum();
                let mut r = self.rng.random_range(0..total);
                let mut chosen = vocab::GENERAL_DOMAINS[0].0;
                for &(domain, weight) in vocab::GENERAL_DOMAINS {
                    if r < weight {
                        chosen = domain;
                        break;
                    }
                    r -= weight;
                }
                chosen.to_owned()
            }
            Kind::SelfPost => String::new(),
        };
        let (score, num_comments) = self.votes(kind);
        Draft {
            is_self: kind == Kind::SelfPost,
            title,
            selftext,
            domain,
            score,
            num_comments,
            downs_ratio: 0.2,
            over_18: self.rng.random_bool(0.01),
            subreddit: SUBREDDIT.to_owned(),
            subreddit_id: SUBREDDIT_ID.to_owned(),
        }
    }

    /// A post shaped like `profile`.
    fn profile_post(&mut self, profile: &Profile) -> Draft {
        let is_self = profile.sample_is_self(&mut self.rng);
        let title = profile.sample_title(&mut self.rng).unwrap_or_else(|| {
            let topic = pick_topic(&mut self.rng);
            let slots = slots(&mut self.rng, topic);
            fill(pick(&mut self.rng, vocab::ARTICLE_TEMPLATES), &slots)
        });
        let selftext = if is_self {
            profile.sample_selftext(&mut self.rng).unwrap_or_else(|| {
                let topic = pick_topic(&mut self.rng);
                let slots = slots(&mut self.rng, topic);
                self_text(&mut self.rng, &slots)
            })
        } else {
            String::new()
        };
        let domain = if is_self { String::new() } else { profile.sample_domain(&mut self.rng) };
        let (score, num_comments) = profile.sample_votes(&mut self.rng);
        Draft {
            is_self,
            title,
            selftext,
            domain,
            score,
            num_comments,
            downs_ratio: profile.downs_ratio(),
            over_18: self.rng.random_bool(profile.over_18_ratio()),
            subreddit: profile.subreddit().unwrap_or(SUBREDDIT).to_owned(),
            subreddit_id: profile.subreddit_id().to_owned(),
        }
    }
}

/// What the two shapes decide; the rest is common.
struct Draft {
    /// Text post?
    is_self: bool,
    /// The title.
    title: String,
    /// The self text.
    selftext: String,
    /// The link domain (ignored for self posts).
    domain: String,
    /// The score.
    score: i64,
    /// The comments.
    num_comments: i64,
    /// About how many downs per up.
    downs_ratio: f64,
    /// NSFW?
    over_18: bool,
    /// The subreddit.
    subreddit: String,
    /// Its fullname.
    subreddit_id: String,
}

impl Iterator for Generator<'_> {
    type Item = GeneratedPost;

    fn next(&mut self) -> Option<GeneratedPost> {
        if self.index >= self.count {
            return None;
        }
        let i = self.index;
        self.index += 1;

        // The post's place in time: its index plus jitter, so dates (and ids)
        // grow through the file like in a real export.
        let x = (i as f64 + self.rng.random::<f64>()) / self.count as f64;
        let created_utc = match self.profile {
            Some(p) => p.date_at(x),
            None => DEFAULT_START + ((DEFAULT_END - DEFAULT_START) as f64 * x.powf(0.75)) as i64,
        };
        let id = base36(self.next_id());
        let author = self.author();
        let draft = match self.profile {
            Some(p) => self.profile_post(p),
            None => self.default_post(),
        };
        let (ups, downs) = self.ups_downs(draft.score, draft.downs_ratio);

        let slug = slug(&draft.title, '_', 50);
        let permalink = format!("https://www.reddit.com/r/{}/comments/{id}/{slug}/", draft.subreddit);
        let (url, domain, thumbnail) = if draft.is_self {
            (permalink.clone(), format!("self.{}", draft.subreddit), String::new())
        } else {
            let (url, is_image) = link(&mut self.rng, &draft.domain, &draft.title, &author);
            let thumbnail = if is_image { url.clone() } else { String::new() };
            (url, draft.domain, thumbnail)
        };

        let mut oid = [0u8; 12];
        oid[..4].copy_from_slice(&(created_utc.clamp(0, i64::from(u32::MAX)) as u32).to_be_bytes());
        oid[4..9].copy_from_slice(&self.machine);
        oid[9..].copy_from_slice(&(i as u32).to_be_bytes()[1..]);

        Some(GeneratedPost {
            oid: OidJson { oid: ObjectId::from_bytes(oid).to_hex() },
            name: format!("t3_{id}"),
            id,
            author,
            title: draft.title,
            url,
            domain,
            permalink,
            thumbnail,
            selftext: draft.selftext,
            is_self: draft.is_self,
            over_18: draft.over_18,
            subreddit: draft.subreddit,
            subreddit_id: draft.subreddit_id,
            created_utc,
            score: draft.score,
            ups,
            downs,
            num_comments: draft.num_comments,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = usize::try_from(self.count - self.index).unwrap_or(usize::MAX);
        (left, Some(left))
    }
}

/// A link for a post on `domain`, and whether it is an image.
fn link(rng: &mut ChaCha8Rng, domain: &str, title: &str, author: &str) -> (String, bool) {
    match domain {
        "i.imgur.com" | "i.redd.it" => {
            let ext = if rng.random_bool(0.7) { "jpg" } else { "png" };
            (format!("https://{domain}/{}.{ext}", random_chars(rng, 7, ALNUM)), true)
        }
        "imgur.com" => (format!("https://imgur.com/{}", random_chars(rng, 7, ALNUM)), true),
        "youtube.com" => (format!("https://www.youtube.com/watch?v={}", random_chars(rng, 11, YOUTUBE)), false),
        "github.com" => {
            let owner = if author == "[deleted]" { "pyhacker" } else { author };
            (format!("https://github.com/{owner}/{}", slug(title, '-', 30)), false)
        }
        _ => (format!("https://{domain}/{}", slug(title, '-', 60)), false),
    }
}

/// Letters and digits.
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/// YouTube id characters.
const YOUTUBE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// `n` random characters from `alphabet`.
fn random_chars(rng: &mut ChaCha8Rng, n: usize, alphabet: &[u8]) -> String {
    (0..n).map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())])).collect()
}

/// A topic, by weight.
fn pick_topic(rng: &mut ChaCha8Rng) -> &'static Topic {
    let total: u32 = TOPICS.iter().map(|t| t.weight).sum();
    let mut r = rng.random_range(0..total);
    for topic in TOPICS {
        if r < topic.weight {
            return topic;
        }
        r -= topic.weight;
    }
    &TOPICS[0]
}

/// A uniformly chosen item of a non-empty constant list.
fn pick<'a>(rng: &mut ChaCha8Rng, items: &[&'a str]) -> &'a str {
    items[rng.random_range(0..items.len())]
}

/// The slot values of one post on `topic`.
fn slots(rng: &mut ChaCha8Rng, topic: &'static Topic) -> Slots {
    let lib = rng.random_range(0..topic.libs.len());
    let other = (lib + 1 + rng.random_range(0..topic.libs.len() - 1)) % topic.libs.len();
    let version = if rng.random_bool(0.5) {
        format!("{}.{}", rng.random_range(0..4), rng.random_range(0..13))
    } else {
        format!("{}.{}.{}", rng.random_range(0..4), rng.random_range(0..13), rng.random_range(0..6))
    };
    Slots {
        lib: topic.libs[lib],
        lib2: topic.libs[other],
        concept: pick(rng, topic.concepts),
        task: pick(rng, topic.tasks),
        adj: pick(rng, vocab::ADJECTIVES),
        n: rng.random_range(2..=20),
        version,
    }
}

/// `template` with its `{slot}`s replaced; the first letter capitalised when
/// the template starts with an adjective.
fn fill(template: &str, slots: &Slots) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        match &rest[open + 1..open + close] {
            "lib" => out.push_str(slots.lib),
            "lib2" => out.push_str(slots.lib2),
            "concept" => out.push_str(slots.concept),
            "task" => out.push_str(slots.task),
            "adj" => out.push_str(slots.adj),
            "n" => out.push_str(&slots.n.to_string()),
            "version" => out.push_str(&slots.version),
            other => out.push_str(other),
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    if template.starts_with("{adj}") {
        let mut chars = out.chars();
        if let Some(first) = chars.next() {
            return first.to_uppercase().chain(chars).collect();
        }
    }
    out
}

/// Two to five different sentences about the post's slots.
fn self_text(rng: &mut ChaCha8Rng, slots: &Slots) -> String {
    let mut order: Vec<usize> = (0..vocab::SENTENCES.len()).collect();
    let k = rng.random_range(2..=5);
    // A partial Fisher–Yates shuffle: the first k are a random choice.
    for j in 0..k {
        let other = rng.random_range(j..order.len());
        order.swap(j, other);
    }
    order[..k].iter().map(|&s| fill(vocab::SENTENCES[s], slots)).collect::<Vec<_>>().join(" ")
}

/// A generated user name such as `lazy_otter42`.
fn username(rng: &mut ChaCha8Rng) -> String {
    let head = pick(rng, vocab::NAME_HEADS);
    let tail = pick(rng, vocab::NAME_TAILS);
    let sep = pick(rng, &["", "_", "-", ""]);
    if rng.random_bool(0.4) {
        format!("{head}{sep}{tail}{}", rng.random_range(1..10_000))
    } else {
        format!("{head}{sep}{tail}")
    }
}

/// reddit's URL slug of a title: lower-case words joined by `sep`, cut at a
/// word boundary to at most `max` bytes.
pub fn slug(title: &str, sep: char, max: usize) -> String {
    let mut out = String::new();
    for word in title.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        let word = word.to_lowercase();
        if !out.is_empty() && out.len() + 1 + word.len() > max {
            break;
        }
        if !out.is_empty() {
            out.push(sep);
        }
        out.push_str(&word);
    }
    out
}

/// `n` in base 36 with lower-case digits, as reddit writes ids.
pub fn base36(mut n: u64) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// The value of a base36 id, if it is one (lower-case letters and digits).
pub fn parse_base36(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 12 {
        return None;
    }
    s.chars().try_fold(0u64, |acc, c| {
        let d = c.to_digit(36).filter(|_| !c.is_ascii_uppercase())?;
        acc.checked_mul(36)?.checked_add(u64::from(d))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(seed: u64, count: u64) -> Vec<u8> {
        let mut out = Vec::new();
        let options = GenerateOptions { count, seed, progress: false };
        generate(&mut out, &options, None).expect("generates");
        out
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        assert_eq!(lines(7, 300), lines(7, 300));
        assert_ne!(lines(7, 300), lines(8, 300));
    }

    #[test]
    fn base36_round_trips() {
        assert_eq!(base36(0), "0");
        assert_eq!(base36(35), "z");
        assert_eq!(parse_base36("1fymy0"), Some(87_276_456));
        assert_eq!(base36(87_276_456), "1fymy0");
        assert_eq!(parse_base36("aq000"), Some(FIRST_ID));
        assert_eq!(parse_base36("5l0000"), Some(LAST_ID));
        assert_eq!(parse_base36("ABC"), None);
        assert_eq!(parse_base36("t3_x"), None);
    }

    #[test]
    fn vocabularies_are_usable() {
        // `slots` picks a second library different from the first.
        assert!(TOPICS.iter().all(|t| t.libs.len() >= 2 && !t.concepts.is_empty() && !t.tasks.is_empty()));
        assert!(TOPICS.iter().all(|t| !t.domains.is_empty() && t.weight > 0));
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("I got a funny error, trying to open a file!", '_', 30), "i_got_a_funny_error_trying_to");
        assert_eq!(slug("???", '-', 10), "");
    }

    #[test]
    fn shapes_are_realistic() {
        let posts: Vec<GeneratedPost> = Generator::new(1, 20_000, None).collect();
        let n = posts.len() as f64;
        let share = |f: &dyn Fn(&GeneratedPost) -> bool| posts.iter().filter(|p| f(p)).count() as f64 / n;

        let over_50 = share(&|p| p.score > 50);
        assert!((0.10..=0.20).contains(&over_50), "score > 50: {over_50}");
        assert!(posts.iter().any(|p| p.score > 1000));
        assert!(share(&|p| p.score <= 20) > 0.6);
        assert!(posts.iter().all(|p| p.ups - p.downs == p.score && p.downs >= 0));

        let images = share(&|p| p.domain == "i.imgur.com");
        let selfs = share(&|p| p.is_self);
        assert!((0.27..0.33).contains(&images), "images {images}");
        assert!((0.17..0.23).contains(&selfs), "self {selfs}");
        assert!(posts
            .iter()
            .filter(|p| p.domain == "i.imgur.com")
            .all(|p| p.thumbnail == p.url && (p.url.ends_with(".jpg") || p.url.ends_with(".png"))));
        assert!(posts
            .iter()
            .filter(|p| p.is_self)
            .all(|p| p.url == p.permalink && p.domain == "self.Python" && !p.selftext.is_empty()));
        let nsfw = share(&|p| p.over_18);
        assert!(nsfw > 0.0 && nsfw < 0.03);

        // Comments grow with the score.
        let mean_comments = |lo: i64, hi: i64| {
            let c: Vec<i64> = posts.iter().filter(|p| p.score >= lo && p.score < hi).map(|p| p.num_comments).collect();
            c.iter().sum::<i64>() as f64 / c.len().max(1) as f64
        };
        assert!(mean_comments(100, 100_000) > 3.0 * mean_comments(0, 10));

        // Ids unique and growing, dates growing within 2010..2016.
        assert!(posts.windows(2).all(|w| parse_base36(&w[0].id) < parse_base36(&w[1].id)));
        assert!(posts.windows(2).all(|w| w[0].created_utc <= w[1].created_utc));
        assert!(posts.iter().all(|p| (DEFAULT_START..=DEFAULT_END).contains(&p.created_utc)));
        let oids: std::collections::HashSet<&str> = posts.iter().map(|p| p.oid.oid.as_str()).collect();
        assert_eq!(oids.len(), posts.len());

        // Searches find topics.
        for word in ["django", "pandas", "asyncio", "pytest", "sqlalchemy", "pip"] {
            let hits = posts.iter().filter(|p| crate::keywords(&p.title).contains(&crate::keywords(word)[0])).count();
            assert!(hits > 50, "{word}: {hits}");
        }
        for p in &posts[..50] {
            assert!(p.permalink.starts_with(&format!("https://www.reddit.com/r/Python/comments/{}/", p.id)));
            assert_eq!(p.name, format!("t3_{}", p.id));
        }
    }
}
