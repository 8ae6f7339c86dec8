//! The bench's reference server: the least an actix-web endpoint can do
//! with one MongoDB round trip. `GET /posts/{id}` parses the id, reads the
//! post with one `find_one` and writes it as JSON; nothing else (no
//! envelope, no ETag, no validation of the document, no log line per
//! request). Whatever a step's item endpoint does on top of that is the
//! step's own cost, so `make bench` shows every step's figures as a share
//! of this one's.
//!
//! Settings: `MONGODB_URI` (default `mongodb://127.0.0.1:27017`),
//! `MONGODB_DB` (default `reddit`), `HOST` (default `127.0.0.1`), `PORT`
//! (default 5099), `RUST_LOG`. `GET /health` answers 200 once it listens.

use actix_web::{web, App, HttpResponse, HttpServer};
use mongodb::{
    bson::{doc, oid::ObjectId, Document},
    Client, Collection,
};

async fn post(posts: web::Data<Collection<Document>>, id: web::Path<String>) -> HttpResponse {
    let Ok(id) = ObjectId::parse_str(id.as_str()) else {
        return HttpResponse::BadRequest().json(serde_json::json!({ "error": "the id is not an ObjectId" }));
    };
    match posts.find_one(doc! { "_id": id }).await {
        Ok(Some(post)) => HttpResponse::Ok().json(post),
        Ok(None) => HttpResponse::NotFound().json(serde_json::json!({ "error": "no such post" })),
        Err(error) => {
            log::error!("find_one: {error}");
            HttpResponse::ServiceUnavailable().json(serde_json::json!({ "error": "the database is unavailable" }))
        }
    }
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let setting = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
    let client = Client::with_uri_str(setting("MONGODB_URI", "mongodb://127.0.0.1:27017")).await?;
    let posts = web::Data::new(client.database(&setting("MONGODB_DB", "reddit")).collection::<Document>("posts"));
    let address = (setting("HOST", "127.0.0.1"), setting("PORT", "5099").parse::<u16>()?);
    log::info!("bench-reference at http://{}:{}", address.0, address.1);
    HttpServer::new(move || {
        App::new()
            .app_data(posts.clone())
            .route("/posts/{id}", web::get().to(post))
            .route("/health", web::get().to(HttpResponse::Ok))
    })
    .bind(address)?
    .run()
    .await?;
    Ok(())
}
