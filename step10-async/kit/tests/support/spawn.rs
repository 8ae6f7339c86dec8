//! What the integration tests of step 10's new services (likes, shares,
//! hide, jobs) share to start them: each includes this file (as it includes
//! mongo-rest's JSON client, `crate::client`), with
//! `#[path = "../../../kit/tests/support/spawn.rs"] mod spawn;`.
//!
//! Every service under test listens on port 0 and has a database of its
//! own, dropped when its client (`crate::client::TestApi`) is. The
//! mongo-rest services some of them call are in `rest.rs` beside this file.

use std::time::Duration;

use kit::settings::Common;

/// The server the tests use: the development database.
pub fn mongodb_uri() -> String {
    std::env::var("MONGODB_URI").unwrap_or_else(|_| "mongodb://127.0.0.1:27017".into())
}

/// A fresh database name: `test_step10_<name>_<random>`.
pub fn fresh_db(name: &str) -> String {
    format!("test_step10_{name}_{}", uuid::Uuid::new_v4().simple())
}

/// Readies `common` for a test of `service`: the test logger (once), port
/// 0, the test server, a fresh database, and a short database timeout (so
/// that a test of a database gone is quick).
pub fn prepare(common: &mut Common, service: &str) {
    let _ = env_logger::builder().is_test(true).try_init();
    common.port = 0;
    common.mongodb_uri = mongodb_uri();
    common.mongodb_db = fresh_db(service);
    common.db_timeout = Duration::from_millis(1_500);
}

/// Spawns a service's `running` future (its `run_until_stopped()`) on this
/// test's runtime and answers its address.
pub fn serve(port: u16, running: impl std::future::Future<Output = std::io::Result<()>> + 'static) -> String {
    actix_web::rt::spawn(running);
    format!("http://127.0.0.1:{port}")
}
