//! The services that are REST resources (posts, tags): `mongo-rest`
//! serving a domain file, with the step's conventions on top.
//!
//! The engine brings Eve's behaviour, request ids and the probes; this
//! module gives it a client from [`crate::mongo`] (so that the service
//! records the databases it touches) and a `/health/ready` that reports
//! them. Routes added to a `mongo-rest` builder win over the generic ones,
//! so `/openapi.json` is replaced too: the engine's document, with this
//! `/health/ready`'s body instead of the engine's (`checks` maps a name to
//! `{"status": "up"}` here, to `"up"` in the engine; schemathesis found the
//! difference).

use actix_web::web;
use mongo_rest::{store::Store, Application, Domain, Settings};
use serde_json::{json, Map, Value};

use crate::{
    health::{self, Check, Readiness},
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
    let document = web::Data::new(document(&store)?);
    Application::builder(settings)
        .store(store)
        .routes(move |cfg| {
            cfg.app_data(data.clone())
                .app_data(document.clone())
                .route("/health/ready", web::get().to(ready))
                .route("/openapi.json", web::get().to(openapi));
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

/// The engine's OpenAPI document of `store`, with the readiness body
/// [`ready`] answers (a `HEAD`, which has no body, still goes to the
/// engine's probe).
pub fn document(store: &Store) -> anyhow::Result<Value> {
    let aggregations = mongo_rest::aggregate::compile(&store.domain)?;
    let mut document = mongo_rest::openapi::document(store, &aggregations);
    // The schema by reference, with the ones it refers to as components
    // (utoipa inlines an enum with a doc comment as an `allOf` that no
    // string matches).
    let mut components = vec![("Readiness".to_owned(), <Readiness as utoipa::PartialSchema>::schema())];
    <Readiness as utoipa::ToSchema>::schemas(&mut components);
    for (name, schema) in components {
        document["components"]["schemas"][name] = serde_json::to_value(schema)?;
    }
    let schema = json!({ "$ref": "#/components/schemas/Readiness" });
    let responses = &mut document["paths"]["/health/ready"]["get"]["responses"];
    for status in ["200", "503"] {
        responses[status]["content"]["application/json"]["schema"] = schema.clone();
    }
    Ok(document)
}

/// `GET /openapi.json`: [`document`].
async fn openapi(document: web::Data<Value>) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok().json(document.get_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// schemathesis found posts' and tags' `/health/ready` contradicting
    /// their document (the engine's `"database": "up"` against the kit's
    /// `{"status": "up"}`): the document now states the kit's body, and
    /// that body matches it.
    #[actix_web::test]
    async fn the_document_states_the_readiness_body_answered() {
        let domain = mongo_rest::Domain::parse("[resources.things.schema]\nname = { type = \"string\" }\n").unwrap();
        // Lazily connected: nothing is sent to the server.
        let client = mongodb::Client::with_uri_str("mongodb://127.0.0.1:27017").await.unwrap();
        let document = document(&Store::new(client, "unused", domain).unwrap()).unwrap();
        let path = &document["paths"]["/health/ready"]["get"]["responses"]["200"]["content"]["application/json"];
        assert_eq!(path["schema"]["$ref"], "#/components/schemas/Readiness");
        let schemas = &document["components"]["schemas"];
        let ours = json!([schemas["Readiness"], schemas["CheckState"], schemas["ReadyStatus"], schemas["UpDown"]]);
        let text = ours.to_string();
        assert_eq!(schemas["ReadyStatus"]["enum"], json!(["ready", "not ready"]), "{text}");
        assert_eq!(schemas["UpDown"]["enum"], json!(["up", "down"]), "{text}");
        assert!(!text.contains("allOf"), "no `allOf` (utoipa's inlined enums): {ours:#}");
        assert!(document["paths"]["/things"].is_object(), "the rest of the engine's document is kept");

        let answered = health::ready(vec![Check::new("database", true)], Map::new());
        let body: Value =
            serde_json::from_slice(&actix_web::body::to_bytes(answered.into_body()).await.unwrap()).unwrap();
        assert_eq!(body["checks"]["database"]["status"], "up");
    }
}
