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

use std::collections::BTreeMap;

use actix_web::{http::header, HttpResponse};
use serde::Serialize;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

/// `GET /health/live`.
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "live" }))
}

/// The body [`ready`] answers, for the OpenAPI documents (the services
/// that are not utoipa's, posts and tags, put its schema in theirs: see
/// [`crate::rest`]). Services add fields of their own (`databases`, …).
#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// Whether every check passed.
    pub status: ReadyStatus,
    /// Each check by name: `{"status": "up"|"down", …details}`.
    pub checks: BTreeMap<String, CheckState>,
    /// The databases this process sent commands to.
    pub databases: Option<Vec<String>>,
}

/// [`Readiness::status`].
#[derive(Serialize, ToSchema)]
pub enum ReadyStatus {
    /// Every check passed (200).
    #[serde(rename = "ready")]
    Ready,
    /// Some check failed (503).
    #[serde(rename = "not ready")]
    NotReady,
}

/// One entry of [`Readiness::checks`] (details may follow `status`).
#[derive(Serialize, ToSchema)]
pub struct CheckState {
    /// Whether the check passed.
    pub status: UpDown,
}

/// [`CheckState::status`].
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum UpDown {
    /// Passed.
    Up,
    /// Failed.
    Down,
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
