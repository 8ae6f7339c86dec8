//! Turns free text (a title, a search query) into search keywords.
//!
//! The same function runs at import time (each post stores `keywords(title)`)
//! and at query time in the web app, so a query matches a post exactly when
//! they share a stem: "Running" finds "runs". The pipeline is the classic one:
//! lower-case, split on anything that is not a letter or a digit (Unicode-aware,
//! so "naïve" stays one word), drop the NLTK English stop words, stem with the
//! Snowball English stemmer, and dedupe keeping the first occurrence.

use std::collections::HashSet;
use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};

/// NLTK's English stop words, built once. `lookup` returns `None` only if the
/// crate was built without the `nltk`/`iso` feature; an empty set then keeps
/// the function total instead of panicking.
static STOP_WORDS: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| stop_words::lookup(stop_words::Language::English).unwrap_or(&[]).iter().copied().collect());

/// The Snowball English stemmer, built once (it is stateless and `Sync`).
static STEMMER: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::English));

/// Returns the search keywords of `text`: lower-cased, split on every
/// non-alphanumeric character, NLTK English stop words removed, Snowball
/// stemmed, deduplicated in first-seen order.
///
/// ```
/// assert_eq!(datasets::keywords("Running runners run"), ["run", "runner"]);
/// assert!(datasets::keywords("the and of").is_empty());
/// ```
pub fn keywords(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for token in lower.split(|c: char| !c.is_alphanumeric()) {
        if token.is_empty() || STOP_WORDS.contains(token) {
            continue;
        }
        let stem = STEMMER.stem(token).into_owned();
        // A stem can be empty for odd inputs; an empty keyword matches nothing.
        if !stem.is_empty() && seen.insert(stem.clone()) {
            out.push(stem);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::keywords;

    #[test]
    fn stems_and_dedupes_in_first_seen_order() {
        assert_eq!(keywords("Running runners run"), ["run", "runner"]);
    }

    #[test]
    fn drops_stop_words() {
        assert_eq!(keywords("How do I read a file in Python?"), ["read", "file", "python"]);
        assert!(keywords("the a an of and or but").is_empty());
        // NLTK lists contractions' parts ("don", "t") as stop words too.
        assert_eq!(keywords("Don't use eval"), ["use", "eval"]);
    }

    #[test]
    fn keeps_unicode_words_whole() {
        assert_eq!(keywords("Café naïve"), ["café", "naïv"]);
        assert_eq!(keywords("ÜBER Straße"), ["über", "straße"]);
    }

    #[test]
    fn punctuation_does_not_crash_or_leak() {
        assert_eq!(
            keywords("\"Pandas\" vs. NumPy/SciPy: 100% faster?!"),
            // "vs" is not an NLTK stop word.
            ["panda", "vs", "numpi", "scipi", "100", "faster"]
        );
        assert_eq!(keywords("c++ / c# -- ..."), ["c"]);
        assert!(keywords("'\"/%&*()[]{}").is_empty());
    }

    #[test]
    fn empty_input_gives_no_keywords() {
        assert!(keywords("").is_empty());
        assert!(keywords("   \t\n").is_empty());
    }

    #[test]
    fn query_matches_title() {
        // What the web app relies on: a query's keywords are a subset of the
        // keywords of a title that says the same thing in another form.
        let title = keywords("Async generators in asyncio, explained");
        for k in keywords("asyncio generator") {
            assert!(title.contains(&k), "{k} not in {title:?}");
        }
    }
}
