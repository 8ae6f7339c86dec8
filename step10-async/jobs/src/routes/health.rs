//! `GET /health/ready`: the jobs database answers.
//!
//! Readiness is the database only: submitting, polling and reading
//! results need nothing else, and while posts or tags are down the workers
//! retry (and fail jobs after `JOBS_MAX_ATTEMPTS`), which taking this
//! instance out of the load balancer would not help. Whether posts answers
//! is reported beside it (`posts`: `up` or `down`, not counted), with the
//! databases this process has touched and how many jobs are queued.

use std::time::Duration;

use actix_web::{web, HttpResponse};
use kit::{
    health::{self, Check},
    upstream::{Ctx, Instances, Upstream},
};
use serde_json::{json, Map};

use crate::store::Store;

/// How long the probe waits for posts.
pub const POSTS_PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// The probe's client of posts (one per server worker).
pub struct PostsProbe(pub Upstream);

impl PostsProbe {
    /// A client of `instances` with [`POSTS_PROBE_TIMEOUT`].
    pub fn new(instances: std::sync::Arc<Instances>) -> Self {
        Self(Upstream::new(instances, POSTS_PROBE_TIMEOUT))
    }
}

/// Readiness: 200 when the database answers a ping, else 503.
#[utoipa::path(
    get,
    path = "/health/ready",
    tag = "health",
    responses(
        (status = 200, description = "Ready: `{status, checks: {database}, posts, queued, databases}`", body = Object),
        (status = 503, description = "The database does not answer (Retry-After)", body = Object),
    )
)]
pub async fn ready(store: web::Data<Store>, posts: web::Data<PostsProbe>) -> HttpResponse {
    let ctx = Ctx::background();
    let (database, posts) =
        futures::join!(store.mongo.ping(), posts.0.call(&ctx, actix_web::http::Method::GET, "/health/live", None));
    if let Err(e) = &database {
        log::warn!("ready: database unreachable: {e}");
    }
    let queued = match database {
        Ok(()) => store.queued().await.ok(),
        Err(_) => None,
    };
    let posts_up = posts.is_ok_and(|reply| reply.status.is_success());
    let mut extra = Map::new();
    extra.insert("posts".into(), json!({ "status": if posts_up { "up" } else { "down" } }));
    extra.insert("queued".into(), json!(queued));
    extra.insert("databases".into(), json!(store.mongo.touched()));
    health::ready(vec![Check::new("database", database.is_ok())], extra)
}
