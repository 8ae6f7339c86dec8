//! Builds the API server: domain, database, middleware, routes.
//!
//! [`Application::build`] (or [`Application::builder`], to add routes of
//! one's own) binds the listener first, so that `PORT=0` (what the tests
//! use) picks a free port that [`Application::port`] reports.

use std::{net::TcpListener, sync::Arc, time::Duration};

use actix_cors::Cors;
use actix_web::{
    body::MessageBody,
    dev::{Server, ServiceRequest, ServiceResponse},
    http::{header, Method},
    middleware::{from_fn, DefaultHeaders, ErrorHandlers, Logger, Next},
    web, App, HttpServer,
};

use crate::{
    aggregate,
    domain::Domain,
    error::{json_errors, ApiError},
    latency, openapi, request_id,
    routes::{self, ApiState},
    settings::Settings,
    store::Store,
};

/// How long a browser may cache a CORS preflight answer.
const CORS_MAX_AGE_SECS: usize = 600;
/// How often startup retries creating the indexes while MongoDB is down.
const INDEX_RETRY: Duration = Duration::from_secs(5);

/// Routes a service adds beside the generic ones (see [`Builder::routes`]).
type Extra = Arc<dyn Fn(&mut web::ServiceConfig) + Send + Sync>;

/// A bound, ready-to-run API server.
pub struct Application {
    host: String,
    port: u16,
    server: Server,
}

impl Application {
    /// Loads the domain file of `settings.domain`, connects, creates the
    /// indexes (or keeps retrying in the background while MongoDB is down),
    /// binds `HOST:PORT` and builds the server with the generic routes.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::builder(settings).build().await
    }

    /// A [`Builder`], to add routes or bring one's own [`Store`] before
    /// building.
    pub fn builder(settings: Settings) -> Builder {
        Builder { settings, store: None, extra: Vec::new() }
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `host:port` as bound.
    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// Serves until the process is stopped (Ctrl-C stops it gracefully).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Builds an [`Application`] step by step: [`Application::builder`], then
/// any [`routes`](Builder::routes) and an optional [`store`](Builder::store),
/// then [`build`](Builder::build).
pub struct Builder {
    settings: Settings,
    store: Option<Store>,
    extra: Vec<Extra>,
}

impl Builder {
    /// Adds routes of the embedding service beside the generic ones, e.g.
    /// `.routes(|cfg| { cfg.route("/version", web::get().to(version)); })`.
    ///
    /// They are mounted before the generic routes, so they win over a
    /// resource of the same name, and inside the same middleware (CORS,
    /// method override, Eve's JSON errors, the request log). Their handlers
    /// may extract `web::Data<`[`ApiState`]`>` to reach the [`Store`] and
    /// the domain. A method an added route does not take falls through to
    /// the generic routes (a `POST` to a `GET`-only `/version` is then a 404
    /// for the unknown resource `version`). `configure` runs once per
    /// worker; call `routes` again to add more.
    pub fn routes(mut self, configure: impl Fn(&mut web::ServiceConfig) + Send + Sync + 'static) -> Self {
        self.extra.push(Arc::new(configure));
        self
    }

    /// Serves this store (a database handle and a compiled domain) instead
    /// of connecting to `settings.mongodb_uri` and loading `settings.domain`
    /// (the tests bring their own database and domain).
    pub fn store(mut self, store: Store) -> Self {
        self.store = Some(store);
        self
    }

    /// Loads the domain (unless a store was given), connects, creates the
    /// indexes (or keeps retrying in the background while MongoDB is down),
    /// binds and builds the server.
    pub async fn build(self) -> anyhow::Result<Application> {
        let Builder { settings, store, extra } = self;
        let store = match store {
            Some(store) => store,
            None => {
                let domain = Domain::load(&settings.domain)?;
                log::info!(
                    "domain {}: resources {:?}, aggregations {:?}",
                    settings.domain.display(),
                    domain.resources.keys().collect::<Vec<_>>(),
                    domain.aggregations.keys().collect::<Vec<_>>()
                );
                Store::connect(&settings, domain).await?
            }
        };
        let aggregations = aggregate::compile(&store.domain)?;
        let openapi = openapi::document(&store, &aggregations);
        let state = web::Data::new(ApiState { store, aggregations, settings: settings.clone(), openapi });
        match state.store.supports_transactions().await {
            Ok(true) => {}
            Ok(false) => log::error!(
                "MongoDB at MONGODB_URI is not a replica set: writes (which go into a transaction with their oplog \
                 entry) will fail. Start mongod with --replSet (a single-node replica set is enough)."
            ),
            Err(e) => log::warn!("cannot ask MongoDB about transactions yet: {e}"),
        }
        ensure_indexes(state.clone()).await;
        let listener = TcpListener::bind((settings.host.as_str(), settings.port))?;
        let port = listener.local_addr()?.port();
        let server = run(listener, state, settings.clone(), extra)?;
        Ok(Application { host: settings.host, port, server })
    }
}

/// Creates the domain's indexes, or, while MongoDB is down, keeps retrying
/// every [`INDEX_RETRY`] in the background so that the API starts (and
/// serves its 503s) anyway.
async fn ensure_indexes(state: web::Data<ApiState>) {
    if let Err(e) = state.store.ensure_indexes().await {
        log::warn!("cannot create the indexes yet ({e}); retrying every {INDEX_RETRY:?} in the background");
        actix_web::rt::spawn(async move {
            loop {
                actix_web::rt::time::sleep(INDEX_RETRY).await;
                if state.store.ensure_indexes().await.is_ok() {
                    log::info!("indexes created");
                    break;
                }
            }
        });
    }
}

/// CORS for browser clients: the allowed
/// origins come from `CORS_ORIGINS`; the headers Eve clients use are let in
/// and the ones they read are exposed.
fn cors(settings: &Settings) -> Cors {
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

fn run(
    listener: TcpListener,
    state: web::Data<ApiState>,
    settings: Settings,
    extra: Vec<Extra>,
) -> anyhow::Result<Server> {
    let simulated_latency = settings.simulated_latency;
    let server = HttpServer::new(move || {
        let mut app = App::new()
            .app_data(state.clone())
            .app_data(web::PayloadConfig::default().limit(settings.max_body_bytes))
            .app_data(web::QueryConfig::default().error_handler(|e, _| ApiError::InvalidQueryString(e).into()));
        for configure in &extra {
            app = app.configure(|cfg| configure(cfg));
        }
        app.configure(routes::configure)
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
            // SIMULATED_LATENCY_MS (off by default), inside the log line,
            // whose duration then includes it.
            .wrap(from_fn(move |req, next| latency::delay(simulated_latency, req, next)))
            // One line per request, with its id, status and duration.
            .wrap(Logger::new(request_id::LOG_FORMAT))
            // Outermost: the request id exists before the log line is begun.
            .wrap(from_fn(request_id::middleware))
    })
    .listen(listener)?
    .run();
    Ok(server)
}
