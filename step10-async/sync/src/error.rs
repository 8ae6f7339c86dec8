//! Why a sync cycle did not move a target forward, and what the loop does
//! about it (the service answers no client request that could fail, so the
//! cases map to the loop's reaction rather than to HTTP statuses).

use kit::upstream::UpstreamError;

/// A cycle that failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The posts service could not be read (unreachable, 5xx, timeout,
    /// a body we cannot use): back off.
    #[error("posts: {0}")]
    Posts(#[source] UpstreamError),
    /// The target could not be reached or failed (5xx, timeout): back off.
    #[error("target: {0}")]
    Target(#[source] UpstreamError),
    /// 409: another sync instance moved the checkpoint first: re-read it
    /// and go on at once.
    #[error("the checkpoint moved (another sync instance applied this batch)")]
    Conflict,
    /// 422: the target refused the batch as malformed or not continuing its
    /// checkpoint: log at error level and back off (sending it again as it
    /// is would be refused again, but the checkpoint may have moved).
    #[error("the target refused the batch: {0}")]
    Refused(String),
}
