//! Step 10 as a whole: every service in-process (see `helpers.rs`), one
//! module per property.

#[path = "../../../../mongo-rest/tests/api/client.rs"]
mod client;
mod flow;
mod fuzz;
mod helpers;
mod ownership;
mod reactions;
mod request_ids;
