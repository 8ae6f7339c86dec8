//! Builds the web front: database handle (sessions and users), the clients
//! of the services, templates, middleware, routes.
//!
//! [`Application::build`] binds the listener first, so that `PORT=0` (what
//! the tests use) picks a free port that [`Application::port`] reports.

use std::{net::TcpListener, time::Duration};

use actix_session::{config::PersistentSession, storage::SessionStore, SessionMiddleware};
use actix_web::{
    body::MessageBody,
    cookie::{time::Duration as CookieDuration, Key, SameSite},
    dev::Server,
    dev::{ServiceRequest, ServiceResponse},
    http::header::{HeaderName, HeaderValue},
    middleware::{from_fn, DefaultHeaders, ErrorHandlers, Logger, Next},
    web, App, HttpServer,
};
use kit::{health, latency, request_id};
use tera::Tera;

use crate::{
    db::Db,
    error::{render_error_page, session_failures},
    flash, routes,
    services::{request_timings, Directory},
    session_store::MongoSessionStore,
    settings::Settings,
};

/// The largest form body accepted (login, search and tag forms are tiny).
pub const MAX_FORM_BYTES: usize = 16 * 1024;
/// How often startup retries creating the indexes while MongoDB is down.
const INDEX_RETRY: Duration = Duration::from_secs(5);

/// A bound, ready-to-run server.
pub struct Application {
    host: String,
    port: u16,
    server: Server,
}

impl Application {
    /// Connects, creates the indexes (or keeps retrying in the background
    /// while MongoDB is down), binds `HOST:PORT` and builds the server.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        if settings.uses_development_secret() {
            log::warn!("SECRET_KEY is not set: using the development key. Set SECRET_KEY in production.");
        }
        let db = Db::connect(&settings).await?;
        if let Err(e) = db.ensure_indexes().await {
            log::warn!("cannot create the indexes yet ({e}); retrying every {INDEX_RETRY:?} in the background");
            let db = db.clone();
            actix_web::rt::spawn(async move {
                loop {
                    actix_web::rt::time::sleep(INDEX_RETRY).await;
                    if db.ensure_indexes().await.is_ok() {
                        log::info!("indexes created");
                        break;
                    }
                }
            });
        }
        let listener = TcpListener::bind((settings.host.as_str(), settings.port))?;
        let port = listener.local_addr()?.port();
        let host = settings.host.clone();
        let server = run(listener, db, settings)?;
        Ok(Self { host, port, server })
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

/// Loads the templates from the crate's `templates/` folder, wherever the
/// binary is started from.
pub fn templates() -> Result<Tera, tera::Error> {
    Tera::new(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/**/*.html"))
}

/// The session middleware: the cookie holds only an encrypted random key,
/// the state lives in MongoDB ([`MongoSessionStore`]).
fn sessions<S: SessionStore>(store: S, settings: &Settings) -> SessionMiddleware<S> {
    let lifetime = CookieDuration::try_from(settings.remember_ttl).unwrap_or(CookieDuration::days(30));
    SessionMiddleware::builder(store, Key::derive_from(settings.secret_key.as_bytes()))
        .cookie_name("reddit_session".into())
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Lax)
        .cookie_secure(settings.cookie_secure)
        .session_lifecycle(PersistentSession::default().session_ttl(lifetime))
        .build()
}

/// The `Server-Timing` response header.
const SERVER_TIMING: HeaderName = HeaderName::from_static("server-timing");

/// Middleware: gives the request its [`kit::timing::Timings`] (the
/// service calls and the render add themselves to it) and, after the
/// handler and the error pages, answers them as the `Server-Timing` header,
/// ending with `total`, the whole request: since step 10's calls run at
/// once, the calls' durations add up to more than it.
async fn server_timing(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let timings = request_timings(req.request());
    let started = std::time::Instant::now();
    let mut res = next.call(req).await?;
    timings.record("total", "the whole request", started.elapsed());
    let value = timings.header_value();
    if let Ok(value) = HeaderValue::from_str(&value) {
        if !value.is_empty() {
            res.headers_mut().insert(SERVER_TIMING, value);
        }
    }
    Ok(res)
}

fn run(listener: TcpListener, db: Db, settings: Settings) -> anyhow::Result<Server> {
    let tera = web::Data::new(templates()?);
    let store = MongoSessionStore::new(db.database(), settings.session_ttl);
    let db = web::Data::new(db);
    // The instances of every service, once: the round robin and what the
    // workers learnt about dead instances are shared.
    let directory = Directory::new(&settings);
    let jobs = crate::jobs::JobsDirectory::new(&settings);
    let settings = web::Data::new(settings);
    let document = web::Data::new(crate::openapi::document());
    // Only this site: a browser reaches no service but the web front.
    let csp = "default-src 'self'; img-src 'self' http: https: data:";
    let (simulated_latency, workers) = (settings.simulated_latency, settings.workers);
    let server = HttpServer::new(move || {
        // One client per service per worker: awc clients are not `Send`.
        let clients = web::Data::new(directory.clients());
        let jobs_client = web::Data::new(jobs.client());
        App::new()
            .app_data(tera.clone())
            .app_data(db.clone())
            .app_data(clients)
            .app_data(jobs_client)
            .app_data(settings.clone())
            .app_data(document.clone())
            .app_data(web::FormConfig::default().limit(MAX_FORM_BYTES))
            .app_data(web::PayloadConfig::default().limit(MAX_FORM_BYTES))
            // Health checks, static files and the OpenAPI document need no session: they stay
            // outside the session layer, so they never touch MongoDB for it.
            .service(web::resource("/health/live").route(web::get().to(health::live)))
            .service(web::resource("/health/ready").route(web::get().to(routes::ready)))
            .service(web::resource("/static/style.css").route(web::get().to(routes::stylesheet)))
            .service(web::resource("/openapi.json").route(web::get().to(crate::openapi::openapi)))
            // The blocking vs async demo needs no session either.
            .service(web::resource("/demo/blocking").route(web::get().to(routes::demo::blocking)))
            .service(web::resource("/demo/async").route(web::get().to(routes::demo::asynchronous)))
            .service(
                web::scope("")
                    .wrap(flash::framework())
                    .wrap(sessions(store.clone(), &settings))
                    .wrap(from_fn(session_failures))
                    .configure(routes::configure),
            )
            // Turns every 4xx/5xx that is not a page yet into the error page.
            .wrap(ErrorHandlers::new().default_handler(render_error_page))
            // Outside the error pages, whose render it times too.
            .wrap(from_fn(server_timing))
            .wrap(
                DefaultHeaders::new()
                    .add(("X-Content-Type-Options", "nosniff"))
                    .add(("X-Frame-Options", "DENY"))
                    .add(("Referrer-Policy", "same-origin"))
                    // Images come from the posts' own hosts; scripts only
                    // from this site (no CDN: pages render offline).
                    .add(("Content-Security-Policy", csp)),
            )
            // SIMULATED_LATENCY_MS (off by default; never on /health/*),
            // inside the log line, whose duration then includes it.
            .wrap(from_fn(move |req, next| latency::delay(simulated_latency, req, next)))
            // One line per request, the request id first.
            .wrap(Logger::new(request_id::LOG_FORMAT))
            // Outermost: the request id is kept or made before anything
            // logs, and echoed on every answer.
            .wrap(from_fn(request_id::middleware))
    });
    // WORKERS: actix's default (one per CPU) unless set.
    let server = match workers {
        Some(workers) => server.workers(workers),
        None => server,
    };
    Ok(server.listen(listener)?.run())
}
