//! `Idempotency-Key`: a retried write gets the first answer again instead
//! of doing the work twice.
//!
//! As in the IETF draft "The Idempotency-Key HTTP Header Field" and
//! Stripe's API: a client that may retry a `POST` (or any write) sends a
//! key of its own making, the same on every retry. The service keeps, per
//! key, a fingerprint of the request and the answer it gave, in its own
//! database (collection [`COLLECTION`]), for [`RETENTION`].
//!
//! [`middleware`] is mounted on each route (method) that takes the header,
//! `web::put().to(handler).wrap(actix_web::middleware::from_fn(kit::idempotency::middleware))`,
//! not on the whole resource: a method the resource does not route is
//! then a 405 (with `Allow`) whatever its headers, as the router answers
//! it before any route's middleware runs. It finds the [`Store`] as `web::Data<Store>` in the app data (missing,
//! it answers 500 and logs why: a programming error, caught by any test of
//! the resource). For each request:
//! - **No header, or a safe method** (`GET`, `HEAD`, `OPTIONS`: retrying
//!   them is harmless already, and a resource may mix reads and writes):
//!   the request passes through untouched.
//! - **A bad key** (not 1 to [`MAX_KEY_CHARS`] visible ASCII characters, or
//!   the header twice): 400. The draft's quoted form (`"abc"`, a
//!   structured-field string) is accepted and means the key `abc`.
//! - **A new key**: a `pending` record is inserted with `_id` = the key,
//!   so that of two requests racing with one key exactly one insert
//!   succeeds (the unique `_id` decides, not a read before the write). The
//!   handler runs; its answer is buffered (at most
//!   [`Store::max_response_bytes`]) and, when its status is below 500 and
//!   not 429, kept (status, `Content-Type`, `Location`, body). A 5xx or a
//!   429 (the work was not done, or not started) deletes the record, so
//!   that the retry runs the handler again.
//! - **A known key, same fingerprint**: the kept answer again (a 201
//!   included), with `Idempotent-Replayed: true`; the handler does not run.
//! - **A known key, another fingerprint** (method, path, query string and
//!   body bytes, hashed with SHA-256): 422. A key names one request.
//! - **A known key still pending**: 409 with `Retry-After: 1`. A pending
//!   record whose holder died (its lock older than [`PENDING_FOR`]) is
//!   taken over by the next request with the same fingerprint.
//!
//! Shortcuts, named: keys are per service, not per client (there is no
//! client identity in this workshop's internal APIs); and when keeping the
//! answer fails after the handler ran (the database went away), the
//! answer is still sent and the record stays pending until its lock
//! expires, so a retry after that runs the handler again. The services
//! that mount this make their writes idempotent anyway (a second like is
//! "already liked"), so that costs a duplicate answer, never a duplicate
//! effect.

use std::time::{Duration, SystemTime};

use actix_web::{
    body::{to_bytes_limited, BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::{
        header::{self, HeaderName, HeaderValue},
        StatusCode,
    },
    middleware::Next,
    web, Error, HttpResponse, ResponseError,
};
use mongo_rest::error::error_body;
use mongodb::{
    bson::{doc, spec::BinarySubtype, Binary, DateTime, Document},
    error::{ErrorKind, WriteFailure},
    options::IndexOptions,
    Collection, Database, IndexModel,
};
use sha2::{Digest, Sha256};

use crate::mongo::is_unavailable;

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// The header a replayed answer carries (`true`).
pub const REPLAYED: &str = "idempotent-replayed";
/// The collection, in the service's own database.
pub const COLLECTION: &str = "idempotency";
/// How long a key and its answer are kept (24 h, as Stripe and the issue
/// say): a TTL index on `expires_at` deletes them afterwards.
pub const RETENTION: Duration = Duration::from_secs(24 * 60 * 60);
/// How long a pending record blocks its key: after that, its holder is
/// taken for dead and the next request with the same fingerprint runs the
/// handler. Much longer than any handler of these services takes.
pub const PENDING_FOR: Duration = Duration::from_secs(30);
/// The longest key, in characters (the draft sets no limit; Stripe's is
/// 255).
pub const MAX_KEY_CHARS: usize = 255;
/// The default of [`Store::max_response_bytes`]: 1 MiB, far more than the
/// JSON answers of the services that use keys.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 1 << 20;
/// `Retry-After` on a 409 for a key still pending, in seconds.
pub const RETRY_AFTER_SECS: u32 = 1;
/// How many times a request tries to insert or read the record before
/// giving up with 409 (a record deleted between our insert and our read,
/// by a 5xx of its holder, is the only way round this loop).
const ATTEMPTS: usize = 3;

/// The keys and answers of one service.
#[derive(Clone)]
pub struct Store {
    records: Collection<Document>,
    max_response_bytes: usize,
}

impl Store {
    /// The store in `db` (the service's own database), collection
    /// [`COLLECTION`]. Call [`Store::ensure_indexes`] once at startup.
    pub fn new(db: &Database) -> Self {
        Self { records: db.collection(COLLECTION), max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES }
    }

    /// Sets the largest answer body kept (default
    /// [`DEFAULT_MAX_RESPONSE_BYTES`]). A handler whose answer is larger
    /// gets a 500 instead, logged: raise it, or do not put keys on it.
    pub fn with_max_response_bytes(mut self, max: usize) -> Self {
        self.max_response_bytes = max;
        self
    }

    /// The largest answer body kept.
    pub fn max_response_bytes(&self) -> usize {
        self.max_response_bytes
    }

    /// The collection (tests look into it).
    pub fn collection(&self) -> &Collection<Document> {
        &self.records
    }

    /// Creates the TTL index: a record is deleted once `expires_at` is
    /// past (MongoDB's TTL monitor runs about once a minute).
    pub async fn ensure_indexes(&self) -> mongodb::error::Result<()> {
        let ttl = IndexModel::builder()
            .keys(doc! { "expires_at": 1 })
            .options(IndexOptions::builder().expire_after(Duration::ZERO).name("expires_at_ttl".to_owned()).build())
            .build();
        self.records.create_index(ttl).await.map(|_| ())
    }

    /// Inserts a pending record for `key`, or tells what holds the key.
    async fn claim(&self, key: &str, fingerprint: &str, owner: i64) -> Result<Claim, IdempotencyError> {
        for _ in 0..ATTEMPTS {
            let now = SystemTime::now();
            let record = doc! {
                "_id": key,
                "fingerprint": fingerprint,
                "state": "pending",
                "owner": owner,
                "locked_until": DateTime::from_system_time(now + PENDING_FOR),
                "created_at": DateTime::from_system_time(now),
                "expires_at": DateTime::from_system_time(now + RETENTION),
            };
            match self.records.insert_one(record).await {
                Ok(_) => return Ok(Claim::Ours),
                Err(e) if is_duplicate_key(&e) => {}
                Err(e) => return Err(e.into()),
            }
            let Some(found) = self.records.find_one(doc! { "_id": key }).await? else {
                continue; // deleted meanwhile (its holder got a 5xx): try again
            };
            if found.get_str("fingerprint").ok() != Some(fingerprint) {
                return Err(IdempotencyError::Mismatch);
            }
            if found.get_str("state").ok() == Some("done") {
                return Ok(Claim::Done(found));
            }
            // Pending: in progress, unless its lock has expired.
            let locked_until = found.get_datetime("locked_until").ok().copied();
            let expired = locked_until.is_some_and(|until| until.to_system_time() <= now);
            if !expired {
                return Err(IdempotencyError::InProgress);
            }
            // Take it over if nobody else did first (the filter on the old
            // lock makes this a compare-and-set).
            let taken = self
                .records
                .update_one(
                    doc! { "_id": key, "state": "pending", "locked_until": locked_until },
                    doc! { "$set": {
                        "owner": owner,
                        "locked_until": DateTime::from_system_time(now + PENDING_FOR),
                    } },
                )
                .await?;
            return if taken.modified_count == 1 {
                log::warn!("idempotency key {key:?}: its pending holder expired; running the request again");
                Ok(Claim::Ours)
            } else {
                Err(IdempotencyError::InProgress)
            };
        }
        Err(IdempotencyError::InProgress)
    }

    /// Keeps the answer of the request that holds `key`.
    async fn complete(&self, key: &str, owner: i64, kept: &Kept) -> mongodb::error::Result<()> {
        let mut headers = Document::new();
        if let Some(v) = &kept.content_type {
            headers.insert("content-type", v);
        }
        if let Some(v) = &kept.location {
            headers.insert("location", v);
        }
        let body = Binary { subtype: BinarySubtype::Generic, bytes: kept.body.to_vec() };
        let now = SystemTime::now();
        let updated = self
            .records
            .update_one(
                doc! { "_id": key, "owner": owner },
                doc! { "$set": {
                    "state": "done",
                    "status": i32::from(kept.status.as_u16()),
                    "headers": headers,
                    "body": body,
                    "completed_at": DateTime::from_system_time(now),
                    "expires_at": DateTime::from_system_time(now + RETENTION),
                }, "$unset": { "locked_until": "" } },
            )
            .await?;
        if updated.matched_count == 0 {
            log::warn!("idempotency key {key:?}: taken over while the request ran; its answer is not kept");
        }
        Ok(())
    }

    /// Frees `key` (the handler failed with a 5xx: the retry may run it).
    async fn release(&self, key: &str, owner: i64) {
        if let Err(e) = self.records.delete_one(doc! { "_id": key, "owner": owner, "state": "pending" }).await {
            log::warn!("idempotency key {key:?}: could not be released ({e}); it frees itself in {PENDING_FOR:?}");
        }
    }
}

/// What [`Store::claim`] found.
enum Claim {
    /// The pending record is ours: run the handler.
    Ours,
    /// The request already ran: its record.
    Done(Document),
}

/// An answer as kept.
struct Kept {
    status: StatusCode,
    content_type: Option<String>,
    location: Option<String>,
    body: web::Bytes,
}

/// Why the middleware answered instead of the handler.
#[derive(Debug, thiserror::Error)]
pub enum IdempotencyError {
    /// The header is not a usable key (400).
    #[error("Idempotency-Key must be one header of 1 to {MAX_KEY_CHARS} visible ASCII characters")]
    BadKey,
    /// The key was used for another request (422).
    #[error("this Idempotency-Key was used for a different request (method, path, query or body)")]
    Mismatch,
    /// The first request with this key is still running (409).
    #[error("a request with this Idempotency-Key is still in progress; retry in {RETRY_AFTER_SECS} s")]
    InProgress,
    /// The body is larger than the service takes (413).
    #[error("the request body is too large: {0}")]
    TooLarge(String),
    /// The body could not be read (400).
    #[error("the request body could not be read: {0}")]
    BadBody(String),
    /// The database cannot be reached (503).
    #[error("the idempotency store is unavailable")]
    Unavailable(#[source] mongodb::error::Error),
    /// Any other database failure (500).
    #[error("idempotency store error")]
    Database(#[source] mongodb::error::Error),
    /// No `web::Data<Store>` in the app data: a programming error (500).
    #[error("the idempotency store is not configured")]
    NoStore,
    /// The handler's answer is larger than [`Store::max_response_bytes`] (500).
    #[error("the answer is too large to keep for Idempotency-Key")]
    AnswerTooLarge,
}

impl From<mongodb::error::Error> for IdempotencyError {
    fn from(e: mongodb::error::Error) -> Self {
        if is_unavailable(&e) {
            Self::Unavailable(e)
        } else {
            Self::Database(e)
        }
    }
}

impl ResponseError for IdempotencyError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadKey | Self::BadBody(_) => StatusCode::BAD_REQUEST,
            Self::Mismatch => StatusCode::UNPROCESSABLE_ENTITY,
            Self::InProgress => StatusCode::CONFLICT,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Database(_) | Self::NoStore | Self::AnswerTooLarge => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let message = match self {
            Self::Unavailable(e) => {
                log::warn!("idempotency: {self}: {e}");
                format!("{self}; retry in 5 s")
            }
            Self::Database(e) => {
                log::error!("idempotency: {self}: {e}");
                "database error (logged)".to_owned()
            }
            Self::NoStore | Self::AnswerTooLarge => {
                log::error!("idempotency: {self} (a programming error)");
                format!("{self} (logged)")
            }
            _ => self.to_string(),
        };
        let mut response = HttpResponse::build(status);
        match self {
            Self::InProgress => {
                response.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECS.to_string()));
            }
            Self::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, "5"));
            }
            _ => {}
        }
        response.json(error_body(status, &message))
    }
}

/// Whether a write failed on a unique index (E11000).
pub fn is_duplicate_key(e: &mongodb::error::Error) -> bool {
    match &*e.kind {
        ErrorKind::Write(WriteFailure::WriteError(w)) => w.code == 11000,
        ErrorKind::Command(c) => c.code == 11000,
        ErrorKind::InsertMany(m) => m.write_errors.as_ref().is_some_and(|es| es.iter().any(|w| w.code == 11000)),
        _ => false,
    }
}

/// The key in the request's headers: `None` without one, an error when
/// it is unusable.
pub fn key(headers: &header::HeaderMap) -> Result<Option<String>, IdempotencyError> {
    let mut values = headers.get_all(HEADER);
    let Some(value) = values.next() else { return Ok(None) };
    if values.next().is_some() {
        return Err(IdempotencyError::BadKey);
    }
    let text = value.to_str().map_err(|_| IdempotencyError::BadKey)?.trim();
    // The draft's form is a structured-field string: `"…"`.
    let text = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(text);
    let visible = |c: char| c.is_ascii_graphic();
    if text.is_empty() || text.len() > MAX_KEY_CHARS || !text.chars().all(visible) {
        return Err(IdempotencyError::BadKey);
    }
    Ok(Some(text.to_owned()))
}

/// The request's fingerprint: SHA-256 of its method, path, query string
/// and body bytes, in hex.
pub fn fingerprint(method: &str, path: &str, query: &str, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    for part in [method.as_bytes(), b"\n", path.as_bytes(), b"?", query.as_bytes(), b"\n", body] {
        hash.update(part);
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The kept answer of a `done` record, replayed.
fn replay(record: &Document) -> HttpResponse {
    let status = record
        .get_i32("status")
        .ok()
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let mut response = HttpResponse::build(status);
    if let Ok(headers) = record.get_document("headers") {
        for (name, value) in headers {
            if let (Ok(name), Some(Ok(value))) =
                (HeaderName::try_from(name.as_str()), value.as_str().map(HeaderValue::from_str))
            {
                response.insert_header((name, value));
            }
        }
    }
    response.insert_header((HeaderName::from_static(REPLAYED), HeaderValue::from_static("true")));
    let body = record.get_binary_generic("body").cloned().unwrap_or_default();
    response.body(body)
}

/// The middleware: see the module's documentation.
pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let safe = req.method().is_safe();
    let key = match key(req.headers()) {
        Ok(None) => return next.call(req).await.map(ServiceResponse::map_into_boxed_body),
        Ok(Some(_)) | Err(_) if safe => return next.call(req).await.map(ServiceResponse::map_into_boxed_body),
        Ok(Some(key)) => key,
        Err(e) => return Ok(req.error_response(e)),
    };
    let Some(store) = req.app_data::<web::Data<Store>>().cloned() else {
        return Ok(req.error_response(IdempotencyError::NoStore));
    };
    // The body is read whole (bounded by the service's `PayloadConfig`,
    // which the kit's server sets to `MAX_BODY_BYTES`) and put back for
    // the handler.
    let body = match req.extract::<web::Bytes>().await {
        Ok(body) => body,
        Err(e) => {
            let too_large = e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE;
            let error = if too_large {
                IdempotencyError::TooLarge(e.to_string())
            } else {
                IdempotencyError::BadBody(e.to_string())
            };
            return Ok(req.error_response(error));
        }
    };
    let print = fingerprint(req.method().as_str(), req.path(), req.query_string(), &body);
    req.set_payload(actix_web::dev::Payload::from(body));
    let owner: i64 = rand::random();
    match store.claim(&key, &print, owner).await {
        Err(e) => return Ok(req.error_response(e)),
        Ok(Claim::Done(record)) => return Ok(req.into_response(replay(&record))),
        Ok(Claim::Ours) => {}
    }
    let response = match next.call(req).await {
        Ok(response) => response,
        Err(e) => {
            store.release(&key, owner).await;
            return Err(e);
        }
    };
    let status = response.status();
    // A 5xx may not have done the work; a 429 did not start it: neither
    // is the answer to keep, so the retry runs the handler again.
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        store.release(&key, owner).await;
        return Ok(response.map_into_boxed_body());
    }
    let (request, response) = response.into_parts();
    let header_text =
        |name: HeaderName| response.headers().get(name).and_then(|v: &HeaderValue| v.to_str().ok()).map(str::to_owned);
    let (content_type, location) = (header_text(header::CONTENT_TYPE), header_text(header::LOCATION));
    let (head, body) = response.into_parts();
    let body = match to_bytes_limited(body, store.max_response_bytes).await {
        Ok(Ok(body)) => body,
        Ok(Err(e)) => {
            store.release(&key, owner).await;
            let e: Box<dyn std::error::Error> = e.into();
            return Err(actix_web::error::ErrorInternalServerError(e.to_string()));
        }
        Err(_) => {
            store.release(&key, owner).await;
            let error = IdempotencyError::AnswerTooLarge;
            return Ok(ServiceResponse::new(request, error.error_response()));
        }
    };
    let kept = Kept { status, content_type, location, body: body.clone() };
    if let Err(e) = store.complete(&key, owner, &kept).await {
        // The work is done: the answer goes out all the same (see the
        // module's shortcuts).
        log::error!("idempotency key {key:?}: the answer could not be kept: {e}");
    }
    Ok(ServiceResponse::new(request, head.set_body(body).map_into_boxed_body()))
}
