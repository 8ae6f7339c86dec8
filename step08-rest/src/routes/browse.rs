//! `/browse`: the workshop's JavaScript client of the API (placeholder).

use actix_web::{web, HttpResponse};

use crate::settings::Settings;

/// `GET /browse`.
pub async fn page(settings: web::Data<Settings>) -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(settings.public_api_url.clone())
}

/// `GET /static/browse.js`.
pub async fn script() -> HttpResponse {
    HttpResponse::Ok().content_type("text/javascript; charset=utf-8").body("")
}
