//! The services that are REST resources (posts, tags): `mongo-rest`
//! serving a domain file, with the step's conventions on top.
//!
//! The engine brings Eve's behaviour, request ids and the probes; this
//! module gives it a client from [`crate::mongo`] (so that the service
//! records the databases it touches) and a `/health/ready` that reports
//! them. Routes added to a `mongo-rest` builder win over the generic ones.

use actix_web::web;
use mongo_rest::{store::Store, Application, Domain, Settings};
use serde_json::{json, Map};

use crate::{
    health::{self, Check},
    mongo::Mongo,
};

/// The engine's settings: the environment over the service's `default`s
/// (its domain file, port, database and name).
pub fn settings(default: fn(&str) -> Option<&'static str>) -> Result<Settings, mongo_rest::SettingsError> {
    Settings::from_lookup(|name| std::env::var(name).ok().or_else(|| default(name).map(Into::into)))
}

/// Loads `settings.domain`, connects through a recording client, and
/// builds the engine with the step's `/health/ready`.
pub async fn build(settings: Settings) -> anyhow::Result<Application> {
    let domain = Domain::load(&settings.domain)?;
    let mongo =
        Mongo::connect(&settings.mongodb_uri, &settings.mongodb_db, &settings.app_name, settings.db_timeout).await?;
    let store = Store::new(mongo.client.clone(), &settings.mongodb_db, domain)?;
    let data = web::Data::new(mongo);
    Application::builder(settings)
        .store(store)
        .routes(move |cfg| {
            cfg.app_data(data.clone()).route("/health/ready", web::get().to(ready));
        })
        .build()
        .await
}

/// `GET /health/ready`: the database answers; the body lists the
/// databases this service has touched (its own only).
async fn ready(mongo: web::Data<Mongo>) -> actix_web::HttpResponse {
    let database = mongo.ping().await;
    if let Err(e) = &database {
        log::warn!("ready: database unreachable: {e}");
    }
    let mut extra = Map::new();
    extra.insert("databases".into(), json!(mongo.touched()));
    health::ready(vec![Check::new("database", database.is_ok())], extra)
}
