//! `GET /health/ready`: the search database answers.
//!
//! The body lists the databases this process has touched (its own only:
//! the tests check it) and the checkpoint, the last oplog `seq` the store
//! holds (`null` before the first snapshot), so that an operator sees at a
//! glance whether sync has filled it.

use actix_web::{web, HttpResponse};
use kit::health::{self, Check};
use serde_json::{json, Map};

use crate::store::Store;

/// Readiness: 200 when the database answers a ping, else 503.
#[utoipa::path(
    get,
    path = "/health/ready",
    tag = "health",
    responses(
        (status = 200, description = "Ready: `{status, checks: {database}, databases, checkpoint}`", body = Object),
        (status = 503, description = "The database does not answer (Retry-After)", body = Object),
    )
)]
pub async fn ready(store: web::Data<Store>) -> HttpResponse {
    let database = store.mongo.ping().await;
    if let Err(e) = &database {
        log::warn!("ready: database unreachable: {e}");
    }
    // Only asked when the ping passed: a second timeout would double the
    // probe's time for nothing.
    let checkpoint = match database {
        Ok(()) => store.target.checkpoint().await.ok().and_then(|c| c.position.seq),
        Err(_) => None,
    };
    let mut extra = Map::new();
    extra.insert("databases".into(), json!(store.mongo.touched()));
    extra.insert("checkpoint".into(), json!(checkpoint));
    health::ready(vec![Check::new("database", database.is_ok())], extra)
}
