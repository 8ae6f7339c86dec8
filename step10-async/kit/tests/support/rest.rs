//! The mongo-rest services (posts, tags) that shares and jobs call, for
//! their integration tests: in-process, on port 0, each with a fresh
//! database. Included beside `spawn.rs` with
//! `#[path = "../../../kit/tests/support/rest.rs"] mod rest;`.

use crate::{client::TestApi, spawn};

/// The mongo-rest service whose defaults are `default` (`posts::default`,
/// `tags::default`), on a fresh database named after `name`.
pub async fn spawn_rest(default: fn(&str) -> Option<&'static str>, name: &str) -> TestApi {
    let _ = env_logger::builder().is_test(true).try_init();
    let db_name = spawn::fresh_db(name);
    let mut settings = mongo_rest::Settings::from_lookup(|n| default(n).map(Into::into)).expect("settings");
    settings.port = 0;
    settings.mongodb_uri = spawn::mongodb_uri();
    settings.mongodb_db = db_name.clone();
    let app = kit::rest::build(settings).await.expect("the service builds");
    let address = spawn::serve(app.port(), app.run_until_stopped());
    TestApi::new(address, &db_name, true).await
}
