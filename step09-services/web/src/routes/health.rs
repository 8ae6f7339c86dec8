//! `GET /health`: liveness, with the reachability of the database and the API.

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::{api_client::ApiClient, db::Db};

/// Always 200 while the process serves requests (a liveness probe); the body
/// says whether MongoDB and the API answer, so an operator sees why pages
/// return 503.
pub async fn health(db: web::Data<Db>, api: web::Data<ApiClient>) -> HttpResponse {
    let (database, api) = futures::join!(db.ping(), api.health());
    let database = match database {
        Ok(()) => "up",
        Err(e) => {
            log::warn!("health: database unreachable: {e}");
            "down"
        }
    };
    let api = match api {
        Ok(()) => "up",
        Err(e) => {
            log::warn!("health: {e}");
            "down"
        }
    };
    HttpResponse::Ok().json(json!({ "status": "ok", "database": database, "api": api }))
}
