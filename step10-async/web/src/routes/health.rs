//! `GET /health/ready`: whether this instance can serve pages
//! (`/health/live` is the kit's).
//!
//! Ready means its database and posts answer: without them no page works.
//! Search, recommend, tags, likes, shares and hide are checked and reported
//! too, but do not fail readiness: the pages degrade without them (a notice, a 503 search page),
//! and taking every web instance out of the load balancer because search is
//! down would turn a degraded site into no site.

use actix_web::{http::Method, HttpResponse};
use kit::health::{self, Check};
use serde_json::{json, Map};

use crate::{db::Db, services::Services};

/// The path each service is probed at: its own readiness (posts that
/// cannot reach its database cannot serve a page either).
const PROBE: &str = "/health/ready";

/// `GET /health/ready`: 200 when the database and posts answer, else 503;
/// the body has every check and the databases this process touched (its
/// own only).
pub async fn ready(db: actix_web::web::Data<Db>, services: Services) -> HttpResponse {
    let (database, posts, search, recommend, tags, likes, shares, hide) = futures::join!(
        db.ping(),
        services.probe("posts", Method::GET, PROBE),
        services.probe("search", Method::GET, PROBE),
        services.probe("recommend", Method::GET, PROBE),
        services.probe("tags", Method::GET, PROBE),
        services.probe("likes", Method::GET, PROBE),
        services.probe("shares", Method::GET, PROBE),
        services.probe("hide", Method::GET, PROBE),
    );
    if let Err(e) = &database {
        log::warn!("ready: database unreachable: {e}");
    }
    let optional = |name: &'static str, up: bool| Check {
        name,
        // Reported, never failing: see the module's doc.
        up: true,
        detail: json!({ "reachable": up, "required": false }),
    };
    let checks = vec![
        Check::new("database", database.is_ok()),
        Check::new("posts", posts),
        optional("search", search),
        optional("recommend", recommend),
        optional("tags", tags),
        optional("likes", likes),
        optional("shares", shares),
        optional("hide", hide),
    ];
    let mut extra = Map::new();
    extra.insert("databases".into(), json!(db.mongo().touched()));
    health::ready(checks, extra)
}
