//! The client of another service: round robin across its instances, one
//! timeout over the whole call, failing instances skipped, the request id
//! forwarded, each call timed.
//!
//! - **One [`Instances`] per service, shared by every worker** (the round
//!   robin position and which instances failed lately), and **one
//!   [`Upstream`] per worker** around it (an `awc::Client` is not `Send`:
//!   it is made in the `HttpServer::new` closure, never in a handler).
//! - **Round robin per call.** A pooled keep-alive connection would stay
//!   on one instance, so DNS round robin alone (Compose's `--scale`) does
//!   not spread the load: each call picks the next instance itself.
//! - **The whole call under one timeout.** awc's own timeout covers the
//!   response head only, so a slow body could hang without limit: here
//!   sending and reading the body are one future under
//!   `actix_web::rt::time::timeout`. Redirects are not followed (a 3xx is
//!   an answer the caller sees).
//! - **Names stand for every address** they resolve to (see [`Instances`]),
//!   so `--scale` instances behind one name share the calls too.
//! - **Skipping.** An instance that refuses a connection, times out or
//!   answers 503 is marked down for [`DOWN_FOR`] and tried last meanwhile.
//!   A refused connection sent nothing, so any call moves on to the next
//!   instance; a read (`GET`, `HEAD`) that timed out or got a 503 is tried
//!   once more on another instance (a 503 or a lost connection on the
//!   same one when the service has only one), after a random pause of up to [`RETRY_JITTER_MAX`]
//!   (jitter: the callers that saw the same failure at the same moment do
//!   not all retry at the same moment); a write is never sent twice.
//! - **Bodies**: JSON ([`Upstream::call`]) or raw bytes with their content
//!   type ([`Upstream::call_raw`]: an uploaded file passed on as it came),
//!   under the same rules.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use actix_web::{
    http::{header::HeaderMap, Method, StatusCode},
    web::Bytes,
};
use awc::{Client, Connector};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{request_id, timing::Timings};

/// How long an instance that failed is tried last.
pub const DOWN_FOR: Duration = Duration::from_secs(2);
/// The longest random pause before a read is tried again (a refused
/// connection, which sent nothing, moves on to the next instance at once).
pub const RETRY_JITTER_MAX: Duration = Duration::from_millis(25);
/// The largest answer body read from a service.
pub const MAX_BODY_BYTES: usize = 16 << 20;

/// How long a host name's addresses are used before they are looked up
/// again (so that instances started by `docker compose up --scale` are
/// found, and stopped ones dropped).
pub const RESOLVE_EVERY: Duration = Duration::from_secs(5);

/// The instances of one service, and what the workers learnt about them.
///
/// A configured URL whose host is a name (`http://search:5003`) stands for
/// every address the name resolves to: Compose's `--scale` and a Kubernetes
/// headless service give one name many addresses, and a pooled keep-alive
/// connection would otherwise stay on whichever one it reached first. The
/// name is looked up again every [`RESOLVE_EVERY`]; while it cannot be
/// resolved, the URL is used as it is (and the call fails as unreachable).
pub struct Instances {
    name: &'static str,
    urls: Vec<String>,
    next: AtomicUsize,
    state: Mutex<State>,
}

/// What the workers share about the instances.
#[derive(Default)]
struct State {
    /// The concrete base URLs (names resolved), and when they were made.
    resolved: Option<(Instant, Vec<String>)>,
    /// Per concrete URL: until when it is tried last.
    down_until: HashMap<String, Instant>,
}

impl Instances {
    /// The instances of the service `name` (`posts`, `search`…) at `urls`
    /// (base URLs without a trailing `/`; at least one).
    pub fn new(name: &'static str, urls: Vec<String>) -> Arc<Self> {
        assert!(!urls.is_empty(), "a service needs at least one instance");
        Arc::new(Self { name, urls, next: AtomicUsize::new(0), state: Mutex::new(State::default()) })
    }

    /// The service's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The base URLs, as configured.
    pub fn urls(&self) -> &[String] {
        &self.urls
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn mark_down(&self, url: &str) {
        self.state().down_until.insert(url.to_owned(), Instant::now() + DOWN_FOR);
    }

    fn mark_up(&self, url: &str) {
        self.state().down_until.remove(url);
    }

    /// The concrete base URLs, names resolved (looked up again when stale).
    async fn concrete(&self) -> Vec<String> {
        if let Some((at, urls)) = &self.state().resolved {
            if at.elapsed() < RESOLVE_EVERY {
                return urls.clone();
            }
        }
        let mut urls = Vec::new();
        for url in &self.urls {
            for expanded in expand(url).await {
                if !urls.contains(&expanded) {
                    urls.push(expanded);
                }
            }
        }
        self.state().resolved = Some((Instant::now(), urls.clone()));
        urls
    }

    /// The order to try the instances in for one call: round robin from the
    /// next position, instances marked down last.
    pub async fn order(&self) -> Vec<String> {
        let urls = self.concrete().await;
        let n = urls.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed) % n;
        let now = Instant::now();
        let state = self.state();
        let is_down = |url: &String| state.down_until.get(url).is_some_and(|until| *until > now);
        let (mut up, down): (Vec<String>, Vec<String>) =
            (0..n).map(|k| urls[(start + k) % n].clone()).partition(|url| !is_down(url));
        up.extend(down);
        up
    }
}

/// A random pause from zero to [`RETRY_JITTER_MAX`].
fn retry_jitter() -> Duration {
    let max = RETRY_JITTER_MAX.as_millis() as u64;
    Duration::from_millis(rand::random_range(0..=max))
}

/// The concrete URLs one configured URL stands for: itself when its host is
/// an address or `localhost` (or cannot be resolved), else one per address
/// its name resolves to.
async fn expand(url: &str) -> Vec<String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return vec![url.to_owned()];
    };
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    let default_port = if scheme == "https" { 443 } else { 80 };
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() => match port.parse::<u16>() {
            Ok(port) => (host, port),
            Err(_) => (authority, default_port),
        },
        _ => (authority, default_port),
    };
    // https needs the name for certificate checks; addresses and localhost
    // are what they are.
    if scheme == "https" || host == "localhost" || host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        return vec![url.to_owned()];
    }
    match tokio::net::lookup_host((host, port)).await {
        Ok(addresses) => {
            let mut urls: Vec<String> = addresses
                .map(|a| {
                    let path = if path.is_empty() { String::new() } else { format!("/{path}") };
                    format!("{scheme}://{a}{path}")
                })
                .collect();
            urls.sort();
            urls.dedup();
            if urls.is_empty() {
                vec![url.to_owned()]
            } else {
                urls
            }
        }
        Err(e) => {
            log::warn!("cannot resolve {host}: {e}; calling {url} as it is");
            vec![url.to_owned()]
        }
    }
}

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// No instance could be reached, or they answered 503.
    #[error("the {service} service is unavailable: {detail}")]
    Unavailable {
        /// The service.
        service: &'static str,
        /// What happened.
        detail: String,
    },
    /// No answer within the timeout.
    #[error("the {service} service did not answer within {timeout:?}")]
    Timeout {
        /// The service.
        service: &'static str,
        /// The timeout.
        timeout: Duration,
    },
    /// An answer the caller cannot use.
    #[error("unexpected answer from the {service} service: {detail}")]
    Unexpected {
        /// The service.
        service: &'static str,
        /// What was wrong.
        detail: String,
    },
}

/// A whole answer.
#[derive(Debug)]
pub struct Reply {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body, read whole.
    pub body: Bytes,
    service: &'static str,
}

impl Reply {
    /// The body as JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, UpstreamError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| UpstreamError::Unexpected { service: self.service, detail: format!("bad JSON: {e}") })
    }

    /// The error this answer is, when it is not a success: Eve's
    /// `_error.message` when the body has one.
    pub fn error(&self) -> UpstreamError {
        let message = serde_json::from_slice::<Value>(&self.body)
            .ok()
            .and_then(|v| v["_error"]["message"].as_str().map(str::to_owned))
            .unwrap_or_default();
        let detail = format!("{}: {message}", self.status);
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            UpstreamError::Unavailable { service: self.service, detail }
        } else {
            UpstreamError::Unexpected { service: self.service, detail }
        }
    }
}

/// Who is calling: the request id to forward, and where to record timings.
#[derive(Clone, Debug, Default)]
pub struct Ctx {
    /// Sent as `X-Request-Id` on every call.
    pub request_id: String,
    /// Every call's duration is recorded here.
    pub timings: Timings,
}

impl Ctx {
    /// A context for work that no request started (sync's polls): a fresh id.
    pub fn background() -> Self {
        Self { request_id: request_id::fresh(), timings: Timings::default() }
    }
}

/// One worker's client of one service.
pub struct Upstream {
    instances: Arc<Instances>,
    http: Client,
    timeout: Duration,
}

/// What one call sends as its body.
#[derive(Clone, Copy)]
enum Payload<'a> {
    /// No body.
    Empty,
    /// A JSON value (`Content-Type: application/json`).
    Json(&'a Value),
    /// Bytes as they are, with their content type.
    Raw(&'a Bytes, &'a str),
}

/// How one attempt failed.
enum Failure {
    /// No connection was made: nothing was sent.
    Refused(String),
    /// Sent, but the answer did not come (or failed half-way).
    Lost(String),
    /// No whole answer within the timeout.
    Timeout,
}

impl Upstream {
    /// A client of `instances` whose calls give up after `timeout` (connect,
    /// send and the whole body).
    pub fn new(instances: Arc<Instances>, timeout: Duration) -> Self {
        let http = Client::builder()
            .connector(Connector::new().timeout(timeout))
            .timeout(timeout)
            .disable_redirects()
            .add_default_header(("accept", "application/json"))
            .finish();
        Self { instances, http, timeout }
    }

    /// The instances this client calls.
    pub fn instances(&self) -> &Arc<Instances> {
        &self.instances
    }

    /// Sends `method path` (the path with its query string) with an
    /// optional JSON body to one instance after another, as the module
    /// explains, and returns the first whole answer (any status).
    pub async fn call(
        &self,
        ctx: &Ctx,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Reply, UpstreamError> {
        self.call_with_headers(ctx, method, path, body, &[]).await
    }

    /// [`call`](Self::call) with request headers of the caller's own
    /// (`If-Match` on a conditional write, say).
    pub async fn call_with_headers(
        &self,
        ctx: &Ctx,
        method: Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Result<Reply, UpstreamError> {
        self.send(ctx, method, path, body.map_or(Payload::Empty, Payload::Json), headers).await
    }

    /// [`call_with_headers`](Self::call_with_headers) with a body of raw
    /// bytes sent as `content_type` (a file passed on as it was uploaded),
    /// under the same timeout, round robin and retry rules: a `POST` is
    /// sent to another instance only when the connection was refused
    /// (nothing was sent).
    pub async fn call_raw(
        &self,
        ctx: &Ctx,
        method: Method,
        path: &str,
        body: &Bytes,
        content_type: &str,
        headers: &[(&str, &str)],
    ) -> Result<Reply, UpstreamError> {
        self.send(ctx, method, path, Payload::Raw(body, content_type), headers).await
    }

    /// One call, to one instance after another as the module explains.
    async fn send(
        &self,
        ctx: &Ctx,
        method: Method,
        path: &str,
        body: Payload<'_>,
        headers: &[(&str, &str)],
    ) -> Result<Reply, UpstreamError> {
        let service = self.instances.name;
        let read = method == Method::GET || method == Method::HEAD;
        let mut last = UpstreamError::Unavailable { service, detail: "not tried".into() };
        let mut order = self.instances.order().await;
        let single = order.len() == 1;
        if read && single {
            // One instance: a read's one retry goes to it again (but not
            // after a timeout: that call's time is spent).
            order.push(order[0].clone());
        }
        for (attempt, base) in order.into_iter().enumerate() {
            let i = base.as_str();
            let url = format!("{base}{path}");
            let started = Instant::now();
            let outcome = self.attempt(ctx, method.clone(), &url, body, headers).await;
            ctx.timings.record(service, path, started.elapsed());
            // Whether to try the next instance, and whether to pause first.
            let (retry, jitter) = match outcome {
                Ok(reply) if reply.status == StatusCode::SERVICE_UNAVAILABLE && read => {
                    self.instances.mark_down(i);
                    last = reply.error();
                    (attempt == 0, true)
                }
                Ok(reply) => {
                    self.instances.mark_up(i);
                    return Ok(reply);
                }
                Err(Failure::Refused(detail)) => {
                    self.instances.mark_down(i);
                    log::warn!("{service} at {url}: {detail}; trying the next instance if there is one");
                    last = UpstreamError::Unavailable { service, detail };
                    (true, false)
                }
                Err(Failure::Lost(detail)) => {
                    self.instances.mark_down(i);
                    last = UpstreamError::Unavailable { service, detail };
                    (read && attempt == 0, true)
                }
                Err(Failure::Timeout) => {
                    self.instances.mark_down(i);
                    log::warn!("{service} at {url}: no answer within {:?}", self.timeout);
                    last = UpstreamError::Timeout { service, timeout: self.timeout };
                    (read && attempt == 0 && !single, true)
                }
            };
            if !retry {
                break;
            }
            if jitter {
                actix_web::rt::time::sleep(retry_jitter()).await;
            }
        }
        Err(last)
    }

    async fn attempt(
        &self,
        ctx: &Ctx,
        method: Method,
        url: &str,
        body: Payload<'_>,
        headers: &[(&str, &str)],
    ) -> Result<Reply, Failure> {
        let mut request = self.http.request(method, url).insert_header((request_id::HEADER, ctx.request_id.as_str()));
        for &(name, value) in headers {
            request = request.insert_header((name, value));
        }
        // ANCHOR: whole_call
        let whole = async {
            let sent = match body {
                Payload::Json(body) => request.send_json(body).await,
                Payload::Raw(bytes, content_type) => {
                    request.insert_header(("content-type", content_type)).send_body(bytes.clone()).await
                }
                Payload::Empty => request.send().await,
            };
            let mut response = sent.map_err(|e| match e {
                awc::error::SendRequestError::Connect(awc::error::ConnectError::Timeout)
                | awc::error::SendRequestError::Timeout => Failure::Timeout,
                awc::error::SendRequestError::Connect(e) => Failure::Refused(e.to_string()),
                other => Failure::Lost(other.to_string()),
            })?;
            let body = response.body().limit(MAX_BODY_BYTES).await.map_err(|e| Failure::Lost(e.to_string()))?;
            Ok(Reply {
                status: response.status(),
                headers: response.headers().clone(),
                body,
                service: self.instances.name,
            })
        };
        actix_web::rt::time::timeout(self.timeout, whole).await.unwrap_or(Err(Failure::Timeout))
        // ANCHOR_END: whole_call
    }

    /// `GET path` as JSON: `None` on 404, an error for any other failure.
    pub async fn get_json<T: DeserializeOwned>(&self, ctx: &Ctx, path: &str) -> Result<Option<T>, UpstreamError> {
        let reply = self.call(ctx, Method::GET, path, None).await?;
        match reply.status {
            StatusCode::NOT_FOUND => Ok(None),
            status if status.is_success() => reply.json().map(Some),
            _ => Err(reply.error()),
        }
    }

    /// `GET path` as JSON, where a 404 is an error too.
    pub async fn get_found<T: DeserializeOwned>(&self, ctx: &Ctx, path: &str) -> Result<T, UpstreamError> {
        self.get_json(ctx, path)
            .await?
            .ok_or_else(|| UpstreamError::Unexpected { service: self.instances.name, detail: format!("{path}: 404") })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn calls_go_round_robin_and_skip_an_instance_that_failed() {
        let instances = Instances::new("search", vec!["http://127.0.0.1:5003".into(), "http://127.0.0.1:5103".into()]);
        let mut seen = Vec::new();
        for _ in 0..4 {
            seen.push(instances.order().await[0].clone());
        }
        assert_eq!(
            seen,
            ["http://127.0.0.1:5003", "http://127.0.0.1:5103", "http://127.0.0.1:5003", "http://127.0.0.1:5103"]
        );
        instances.mark_down("http://127.0.0.1:5003");
        for _ in 0..3 {
            assert_eq!(instances.order().await, ["http://127.0.0.1:5103", "http://127.0.0.1:5003"]);
        }
        instances.mark_up("http://127.0.0.1:5003");
        let both: Vec<String> = vec![instances.order().await[0].clone(), instances.order().await[0].clone()];
        assert!(both.contains(&"http://127.0.0.1:5003".to_string()), "{both:?}");
    }

    #[test]
    fn retry_pauses_stay_within_the_jitter_bound_and_vary() {
        let pauses: Vec<Duration> = (0..200).map(|_| retry_jitter()).collect();
        assert!(pauses.iter().all(|p| *p <= RETRY_JITTER_MAX), "{pauses:?}");
        let first = pauses[0];
        assert!(pauses.iter().any(|p| *p != first), "the pauses are random");
    }

    #[actix_web::test]
    async fn addresses_stay_and_unresolvable_names_are_kept_as_they_are() {
        for url in ["http://127.0.0.1:5003", "http://localhost:5003", "http://[::1]:5003", "https://search:5003"] {
            assert_eq!(expand(url).await, [url]);
        }
        assert_eq!(expand("http://no-such-host.invalid:5003").await, ["http://no-such-host.invalid:5003"]);
    }
}
