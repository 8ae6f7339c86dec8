//! `GET /health`: liveness, with the database's reachability.

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::db::Db;

/// Always 200 while the process serves requests (a liveness probe); the body
/// says whether MongoDB answers, so an operator sees why pages return 503.
pub async fn health(db: web::Data<Db>) -> HttpResponse {
    let database = match db.ping().await {
        Ok(()) => "up",
        Err(e) => {
            log::warn!("health: database unreachable: {e}");
            "down"
        }
    };
    HttpResponse::Ok().json(json!({ "status": "ok", "database": database }))
}
