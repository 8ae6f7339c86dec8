//! What a post id and a user name may be, for every service of step 10
//! that takes them in its paths and bodies (likes, shares, hide).
//!
//! - A post id is the posts service's: an ObjectId, 24 hex digits. Upper
//!   case is accepted and answered in lower case (as the posts API writes
//!   them), so `ABC…` and `abc…` are one post.
//! - A user name is the web front's (`step10-web`'s `validate_username`):
//!   1 to [`MAX_USER_CHARS`] characters, letters, digits, `-` and `_`
//!   (letters and digits of any script, as the front allows: Rust's
//!   `char::is_alphanumeric`, which the documents state as
//!   [`USER_PATTERN`]).
//!
//! Each check answers the value to use, or the message of the 400 that the
//! service answers (each service wraps it in its own error type).

/// The longest user name, in characters (the web front's limit).
pub const MAX_USER_CHARS: usize = 32;

/// [`user`]'s rule as the OpenAPI documents state it (an ECMA-262 pattern,
/// as JSON Schema's are): `char::is_alphanumeric` is Unicode's Alphabetic
/// property (`\p{Alpha}`: the letters and the marks that spell them, such
/// as the vowel signs of Indic scripts) or a number (`\p{N}`). The routes'
/// `#[utoipa::path]` attributes repeat it (they take a literal).
pub const USER_PATTERN: &str = r"^[\p{Alpha}\p{N}_-]+$";

/// The post id in lower case, or why it is not one.
pub fn post_id(id: &str) -> Result<String, String> {
    if id.len() == 24 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(id.to_ascii_lowercase())
    } else {
        Err(format!("invalid post id {:?}: expected 24 hex digits", truncate(id)))
    }
}

/// The user name, or why it is not one.
pub fn user(name: &str) -> Result<String, String> {
    let chars = name.chars().count();
    if (1..=MAX_USER_CHARS).contains(&chars) && name.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_') {
        Ok(name.to_owned())
    } else {
        Err(format!("invalid user {:?}: expected 1 to {MAX_USER_CHARS} letters, digits, - or _", truncate(name)))
    }
}

/// At most 40 characters of a bad value, for the message.
fn truncate(text: &str) -> String {
    text.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn post_ids_are_24_hex_digits() {
        assert_eq!(post_id("5160a0b1e0d1e01c3f00000A").unwrap(), "5160a0b1e0d1e01c3f00000a");
        for bad in ["", "5160a0b1e0d1e01c3f00000", "5160a0b1e0d1e01c3f00000g", "5160a0b1e0d1e01c3f0000000"] {
            assert!(post_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn user_names_follow_the_web_front() {
        for good in ["alice", "bob_01", "x-y", "zoë", &"a".repeat(32)] {
            assert!(user(good).is_ok(), "{good}");
        }
        for bad in ["", "a b", "<b>", "a/b", &"a".repeat(33)] {
            assert!(user(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_documented_pattern_is_the_rule_for_every_character() {
        // Rust's regex reads `\p{Alpha}` and `\p{N}` as ECMA-262 does.
        let pattern = regex::Regex::new(USER_PATTERN).unwrap();
        // A letter and a combining vowel sign (U+0902, Other_Alphabetic):
        // a name in Devanagari, which `\p{L}` alone would refuse.
        assert!(user("\u{905}\u{902}").is_ok() && pattern.is_match("\u{905}\u{902}"));
        // They agree on every character, but for those that the regex
        // crate's Unicode tables do not know yet (`\p{Cn}`, unassigned, to
        // them) and the standard library's newer ones call letters: each
        // table follows its own Unicode version.
        let unassigned = regex::Regex::new(r"^\p{Cn}$").unwrap();
        let mut newer = 0;
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let name = c.to_string();
            if user(&name).is_ok() != pattern.is_match(&name) {
                assert!(unassigned.is_match(&name) && c.is_alphanumeric(), "U+{:04X}", c as u32);
                newer += 1;
            }
        }
        assert!(newer < 10_000, "{newer} characters differ");
    }
}
