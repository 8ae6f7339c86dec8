//! What a post id and a user name may be, for every service of step 10
//! that takes them in its paths and bodies (likes, shares, hide).
//!
//! - A post id is the posts service's: an ObjectId, 24 hex digits. Upper
//!   case is accepted and answered in lower case (as the posts API writes
//!   them), so `ABC…` and `abc…` are one post.
//! - A user name is the web front's (`step10-web`'s `validate_username`):
//!   1 to [`MAX_USER_CHARS`] characters, letters, digits, `-` and `_`
//!   (letters and digits of any script, as the front allows).
//!
//! Each check answers the value to use, or the message of the 400 that the
//! service answers (each service wraps it in its own error type).

/// The longest user name, in characters (the web front's limit).
pub const MAX_USER_CHARS: usize = 32;

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
}
