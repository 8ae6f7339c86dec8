//! Likes, shares and hidden posts on the pages: what the lists leave out,
//! and the counts and forms on every post they show.
//!
//! A page asks hide for the user's hidden posts in its first round (with
//! whatever else it needs that does not depend on it), leaves those posts
//! out of its list, then asks likes and shares for the counts of the posts
//! it lists, both at once ([`counts`]). Each of these calls has a fallback
//! instead of failing the page: without hide the list shows every post and
//! says that hidden posts may appear; without likes or shares the page says
//! the counts are missing and shows no like (or share) form.

use std::collections::{HashMap, HashSet};

use rand::distr::{Alphanumeric, SampleString};

use crate::{
    services::{Likes, Post, Services, Shares, UpstreamError},
    views::PostView,
};

/// The notice when likes cannot be reached.
pub const LIKES_NOTICE: &str = "Like counts are unavailable right now.";
/// The notice when shares cannot be reached.
pub const SHARES_NOTICE: &str = "Share counts are unavailable right now.";
/// The notice when hide cannot be reached.
pub const HIDE_NOTICE: &str = "Hiding is unavailable right now: hidden posts may appear.";

/// The length of the random `Idempotency-Key` rendered into each post's forms.
pub const FORM_KEY_CHARS: usize = 22;

/// The user's hidden posts, as the page's first round found them.
#[derive(Debug, Default)]
pub struct Hidden {
    ids: HashSet<String>,
    /// Whether hide answered (anonymous visitors hide nothing: known, empty).
    known: bool,
}

impl Hidden {
    /// Nothing hidden: an anonymous visitor.
    pub fn nothing() -> Self {
        Self { ids: HashSet::new(), known: true }
    }

    /// Hide's answer; a failure leaves nothing out and adds [`HIDE_NOTICE`].
    pub fn from_answer(answer: Result<Vec<String>, UpstreamError>, notices: &mut Vec<String>) -> Self {
        match answer {
            Ok(ids) => Self { ids: ids.into_iter().collect(), known: true },
            Err(e) => {
                log::warn!("no hidden posts: {e}");
                notices.push(HIDE_NOTICE.to_owned());
                Self::default()
            }
        }
    }

    /// How many posts are hidden.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether nothing is hidden.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The hidden posts' ids, in no particular order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.ids.iter().map(String::as_str)
    }

    /// Whether hide answered.
    pub fn known(&self) -> bool {
        self.known
    }

    /// Whether the post with this hex id is hidden.
    pub fn contains(&self, id: &str) -> bool {
        self.ids.contains(id)
    }

    /// `posts` without the hidden ones, in their order.
    pub fn leave_out(&self, posts: Vec<Post>) -> Vec<Post> {
        posts.into_iter().filter(|p| !self.contains(&p.id.to_hex())).collect()
    }
}

/// The page's last round: the likes and share counts of `posts`, asked at
/// once (one after the other with `FANOUT=sequential`), written into them with the forms' keys; a service that did not
/// answer adds its notice.
pub async fn counts(
    services: &Services,
    user: Option<&str>,
    posts: &mut [PostView],
    hidden: &Hidden,
    notices: &mut Vec<String>,
) {
    let ids: Vec<String> = posts.iter().map(|p| p.id.clone()).collect();
    let (likes, shares) = if ids.is_empty() {
        (Ok(HashMap::new()), Ok(HashMap::new()))
    } else {
        services.fanout().join(services.likes(&ids, user), services.shares(&ids)).await
    };
    apply(posts, user, likes, shares, hidden, notices);
}

/// Writes the answers of likes, shares and hide into `posts` (and, for a
/// logged-in user, a fresh form key per post); a failed answer adds its
/// notice and leaves the counts out.
pub fn apply(
    posts: &mut [PostView],
    user: Option<&str>,
    likes: Result<HashMap<String, Likes>, UpstreamError>,
    shares: Result<HashMap<String, Shares>, UpstreamError>,
    hidden: &Hidden,
    notices: &mut Vec<String>,
) {
    let likes = likes
        .inspect_err(|e| {
            log::warn!("no like counts: {e}");
            notices.push(LIKES_NOTICE.to_owned());
        })
        .ok();
    let shares = shares
        .inspect_err(|e| {
            log::warn!("no share counts: {e}");
            notices.push(SHARES_NOTICE.to_owned());
        })
        .ok();
    for post in posts {
        if let Some(likes) = &likes {
            let found = likes.get(&post.id).copied().unwrap_or_default();
            post.likes = Some(found.count);
            post.liked = found.liked;
        }
        if let Some(shares) = &shares {
            let found = shares.get(&post.id).copied().unwrap_or_default();
            post.shares = Some(found.count);
            post.visits = found.visits;
        }
        post.hide_known = hidden.known();
        post.hidden = hidden.contains(&post.id);
        if user.is_some() {
            post.form_key = form_key();
        }
    }
}

/// A fresh random form key.
pub fn form_key() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), FORM_KEY_CHARS)
}

/// The longest form key accepted: with the user (at most 32 characters)
/// and the action in front, the `Idempotency-Key` sent stays within 71
/// characters.
pub const MAX_FORM_KEY_CHARS: usize = 32;

/// Whether a submitted form key looks like one [`form_key`] made: 16 to
/// [`MAX_FORM_KEY_CHARS`] letters or digits (the services get it prefixed
/// with the user and the action, so one user's keys never meet another's).
pub fn valid_form_key(key: &str) -> bool {
    (16..=MAX_FORM_KEY_CHARS).contains(&key.len()) && key.chars().all(|c| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_keys_are_random_and_valid() {
        let (a, b) = (form_key(), form_key());
        assert_ne!(a, b);
        assert!(valid_form_key(&a), "{a}");
        assert!(!valid_form_key("short"));
        assert!(valid_form_key(&"k".repeat(MAX_FORM_KEY_CHARS)));
        assert!(!valid_form_key(&"k".repeat(MAX_FORM_KEY_CHARS + 1)));
        assert!(!valid_form_key("abcdefghijklmnop\r\nX-Injected: 1"));
    }

    #[test]
    fn a_failed_hide_leaves_nothing_out_and_says_so() {
        let mut notices = Vec::new();
        let err = UpstreamError::Unavailable { service: "hide", detail: "down".into() };
        let hidden = Hidden::from_answer(Err(err), &mut notices);
        assert!(!hidden.known() && hidden.is_empty());
        assert_eq!(notices, [HIDE_NOTICE]);
        let hidden = Hidden::from_answer(Ok(vec!["a".into()]), &mut notices);
        assert!(hidden.known() && hidden.contains("a") && !hidden.contains("b"));
    }
}
