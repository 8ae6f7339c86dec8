//! Builds the API program: domain, database, middleware, routes.
//!
//! [`build`] binds the listener first, so that `PORT=0` (what the tests use)
//! picks a free port that [`Application::port`] reports; the API is an
//! [`Application`] like the web front.

use std::net::TcpListener;

use actix_cors::Cors;
use actix_web::{
    body::MessageBody,
    dev::{Server, ServiceRequest, ServiceResponse},
    http::{header, Method},
    middleware::{from_fn, DefaultHeaders, ErrorHandlers, Logger, Next},
    web, App, HttpServer,
};

use crate::startup::{ensure_indexes, Application};

use super::{
    aggregate,
    domain::Domain,
    error::{json_errors, ApiError},
    openapi,
    routes::{self, ApiState},
    settings::ApiSettings,
    store::Store,
};

/// How long a browser may cache a CORS preflight answer.
const CORS_MAX_AGE_SECS: usize = 600;

/// Loads the domain, connects, creates the indexes (or keeps retrying in
/// the background while MongoDB is down), binds and builds the server.
pub async fn build(settings: ApiSettings) -> anyhow::Result<Application> {
    let domain = Domain::load(&settings.domain)?;
    log::info!(
        "domain {}: resources {:?}, aggregations {:?}",
        settings.domain.display(),
        domain.resources.keys().collect::<Vec<_>>(),
        domain.aggregations.keys().collect::<Vec<_>>()
    );
    let store = Store::connect(&settings, domain).await?;
    build_with_store(settings, store).await
}

/// Builds the server around an existing store (the tests bring their own
/// database and domain).
pub async fn build_with_store(settings: ApiSettings, store: Store) -> anyhow::Result<Application> {
    let aggregations = aggregate::compile(&store.domain)?;
    let openapi = openapi::document(&store, &aggregations);
    let state = web::Data::new(ApiState { store, aggregations, settings: settings.clone(), openapi });
    match state.store.supports_transactions().await {
        Ok(true) => {}
        Ok(false) => log::error!(
            "MongoDB at MONGODB_URI is not a replica set: writes (which go into a transaction with their oplog \
             entry) will fail. Start mongod with --replSet (see step08-rest/compose.yaml) or use `make db`."
        ),
        Err(e) => log::warn!("cannot ask MongoDB about transactions yet: {e}"),
    }
    let indexes = state.clone();
    ensure_indexes(move || {
        let state = indexes.clone();
        async move { state.store.ensure_indexes().await }
    })
    .await;
    let listener = TcpListener::bind((settings.host.as_str(), settings.port))?;
    let port = listener.local_addr()?.port();
    let server = run(listener, state, settings.clone())?;
    Ok(Application::new(settings.host, port, server))
}

/// CORS for the browser client (`/browse` of the web front): the allowed
/// origins come from `CORS_ORIGINS`; the headers Eve clients use are let in
/// and the ones they read are exposed.
fn cors(settings: &ApiSettings) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "HEAD", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"])
        .allowed_headers([
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::IF_MODIFIED_SINCE,
            header::HeaderName::from_static("x-http-method-override"),
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::LAST_MODIFIED,
            header::HeaderName::from_static("x-total-count"),
        ])
        .max_age(CORS_MAX_AGE_SECS);
    for origin in &settings.cors_origins {
        cors = if origin == "*" { cors.allow_any_origin() } else { cors.allowed_origin(origin) };
    }
    cors
}

/// Eve's `X-HTTP-Method-Override`: a `POST` carrying the header is handled
/// as the method it names (for clients and proxies that only speak GET and
/// POST). Only `POST` can be overridden, and only to a method the API knows.
async fn method_override(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let wanted = req.headers().get("x-http-method-override").and_then(|v| v.to_str().ok()).map(str::to_ascii_uppercase);
    if let Some(wanted) = wanted {
        if req.method() != Method::POST {
            return Err(ApiError::BadRequest("X-HTTP-Method-Override is only honoured on POST".into()).into());
        }
        let method = match wanted.as_str() {
            "PATCH" => Method::PATCH,
            "PUT" => Method::PUT,
            "DELETE" => Method::DELETE,
            "GET" => Method::GET,
            "POST" => Method::POST,
            other => {
                return Err(ApiError::BadRequest(format!("X-HTTP-Method-Override: unknown method {other:?}")).into())
            }
        };
        req.head_mut().method = method;
    }
    next.call(req).await
}

fn run(listener: TcpListener, state: web::Data<ApiState>, settings: ApiSettings) -> anyhow::Result<Server> {
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(web::PayloadConfig::default().limit(settings.max_body_bytes))
            .app_data(
                web::QueryConfig::default()
                    .error_handler(|e, _| ApiError::BadRequest(format!("invalid query string: {e}")).into()),
            )
            .configure(routes::configure)
            .default_service(web::to(|| async {
                Err::<actix_web::HttpResponse, _>(ApiError::NotFound(
                    "the requested URL was not found on the server".into(),
                ))
            }))
            .wrap(from_fn(method_override))
            .wrap(cors(&settings))
            // Turns every 4xx/5xx that is not JSON yet into Eve's envelope.
            .wrap(ErrorHandlers::new().default_handler(json_errors))
            .wrap(DefaultHeaders::new().add(("X-Content-Type-Options", "nosniff")))
            // Outermost: one line per request, with status and duration.
            .wrap(Logger::new(r#"%a "%r" %s %b %Dms"#))
    })
    .listen(listener)?
    .run();
    Ok(server)
}
