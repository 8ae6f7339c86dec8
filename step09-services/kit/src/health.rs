//! The two probes every service answers.
//!
//! - `GET /health/live`: 200 while the process serves requests. An
//!   orchestrator restarts the process when it stops answering; it says
//!   nothing about dependencies (a database outage must not restart every
//!   service at once).
//! - `GET /health/ready`: 200 when the service can do its work (its
//!   database and the services it cannot work without answer), 503
//!   otherwise: the instance is taken out of the load balancer meanwhile.
//!   The body names each check, so that an operator sees why.

use actix_web::{http::header, HttpResponse};
use serde_json::{json, Map, Value};

/// `GET /health/live`.
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "live" }))
}

/// One readiness check: its name, whether it passed, and details.
pub struct Check {
    /// What was checked (`database`, `posts`, …).
    pub name: &'static str,
    /// Whether it passed.
    pub up: bool,
    /// What the body says about it besides up/down.
    pub detail: Value,
}

impl Check {
    /// A check with no details.
    pub fn new(name: &'static str, up: bool) -> Self {
        Self { name, up, detail: Value::Null }
    }
}

/// The readiness answer: 200 if every check passed, else 503 with
/// `Retry-After`. `extra` fields are added to the body (sync's lag, the
/// databases a service touched).
pub fn ready(checks: Vec<Check>, extra: Map<String, Value>) -> HttpResponse {
    let all_up = checks.iter().all(|c| c.up);
    let mut body = Map::new();
    body.insert("status".into(), json!(if all_up { "ready" } else { "not ready" }));
    let mut by_name = Map::new();
    for check in checks {
        let mut entry = json!({ "status": if check.up { "up" } else { "down" } });
        if let Value::Object(detail) = check.detail {
            entry.as_object_mut().expect("an object").extend(detail);
        }
        by_name.insert(check.name.into(), entry);
    }
    body.insert("checks".into(), Value::Object(by_name));
    body.extend(extra);
    if all_up {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().insert_header((header::RETRY_AFTER, "5")).json(body)
    }
}
