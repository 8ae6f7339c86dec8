//! `GET /health/ready`: the hide database answers.
//!
//! The body lists the databases this process has touched (its own only:
//! the tests check it).

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
        (status = 200, description = "Ready: `{status, checks: {database}, databases}`", body = Object),
        (status = 503, description = "The database does not answer (Retry-After)", body = Object),
    )
)]
pub async fn ready(store: web::Data<Store>) -> HttpResponse {
    let database = store.mongo.ping().await;
    if let Err(e) = &database {
        log::warn!("ready: database unreachable: {e}");
    }
    let mut extra = Map::new();
    extra.insert("databases".into(), json!(store.mongo.touched()));
    health::ready(vec![Check::new("database", database.is_ok())], extra)
}
