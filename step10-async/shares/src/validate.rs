//! What a post id and a user name may be: the kit's rules
//! ([`kit::validate`], shared with the other services that take them),
//! answered as this service's 400.

use crate::error::SharesError;

pub use kit::validate::MAX_USER_CHARS;

/// The post id in lower case, or a 400.
pub fn post_id(id: &str) -> Result<String, SharesError> {
    kit::validate::post_id(id).map_err(SharesError::BadRequest)
}

/// The user name, or a 400.
pub fn user(name: &str) -> Result<String, SharesError> {
    kit::validate::user(name).map_err(SharesError::BadRequest)
}
