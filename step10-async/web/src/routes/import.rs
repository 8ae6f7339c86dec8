//! The import page and the job page: long work seen from the browser.
//!
//! `GET /import` shows two forms (a file to upload, or a number of posts to
//! generate); `POST /import` reads the multipart form (bounded), submits an
//! import job to the jobs service ([`crate::jobs`]) and answers the browser
//! with **303 See Other** to `/jobs/{id}`: the browser follows the same
//! "redirecting" exchange that jobs answers the web front with. The job
//! page shows the status and a progress bar and, while the job is queued or
//! running, a `<meta http-equiv="refresh">` at the pace of jobs'
//! `Retry-After`: plain HTML, no JavaScript. Once jobs answers 303 the page
//! shows the result's counts. A cancel button sends `DELETE` to jobs.
//!
//! Every form carries the session's CSRF token; the import forms also carry
//! an `Idempotency-Key` made when the page was rendered, so a double submit
//! (two clicks, a reload that re-posts) is one job: jobs answers the second
//! with the first 202. A refused or replayed-with-another-body submission
//! re-renders the page with a fresh key.
//!
//! Teaching shortcut: jobs has no owner field, so any logged-in user who
//! knows a job's id (128 random bits) can see and cancel it.

use actix_multipart::{Field, Multipart, MultipartError};
use actix_session::Session;
use actix_web::{
    http::{header, StatusCode},
    web::{self, Bytes, BytesMut},
    HttpResponse,
};
use actix_web_flash_messages::{FlashMessage, IncomingFlashMessages};
use futures::StreamExt;
use rand::distr::{Alphanumeric, SampleString};
use serde::Deserialize;
use tera::Tera;

use super::see_other;
use crate::{
    csrf,
    db::Db,
    error::AppError,
    jobs::{is_job_id, Canceled, JobsService, Polled, Submitted, MAX_REPORTS_SHOWN},
    settings::Settings,
    views::{current_user, page_context, render_html},
};

/// The most posts one generate job makes (jobs' own limit, shown in the form).
pub const MAX_GENERATE: u64 = 100_000;
/// The largest seed the form takes (jobs stores it as a signed 64-bit number).
pub const MAX_SEED: u64 = u32::MAX as u64;
/// The largest text field of the import form (the token, the key, numbers).
pub const MAX_FIELD_BYTES: usize = 1024;
/// The most parts one import form may have (it has five).
pub const MAX_PARTS: usize = 8;
/// The length of the `Idempotency-Key` the page renders.
pub const KEY_LEN: usize = 32;
/// The file types the import takes, by extension, and what jobs is told.
pub const FILE_TYPES: [(&str, &str); 4] = [
    (".jsonl", "application/x-ndjson"),
    (".ndjson", "application/x-ndjson"),
    (".json", "application/json"),
    (".xml", "application/xml"),
];

/// A size in words: whole MiB, else KiB.
fn size(bytes: usize) -> String {
    if bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{} KiB", bytes >> 10)
    }
}

/// A fresh `Idempotency-Key` for a form.
fn new_key() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), KEY_LEN)
}

/// Whether a submitted key is one this page could have rendered.
fn is_key(key: &str) -> bool {
    key.len() == KEY_LEN && key.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The content type jobs is sent for an uploaded file: from its name's
/// extension, else from the part's own content type when it is one jobs
/// reads; `None` when neither says.
pub fn content_type_for(file_name: &str, part_type: Option<&str>) -> Option<&'static str> {
    let name = file_name.to_ascii_lowercase();
    if let Some((_, content_type)) = FILE_TYPES.iter().find(|(ext, _)| name.ends_with(ext)) {
        return Some(content_type);
    }
    let essence = part_type?.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match essence.as_str() {
        "application/x-ndjson" | "application/jsonl" | "application/x-jsonlines" => Some("application/x-ndjson"),
        "application/json" => Some("application/json"),
        "application/xml" | "text/xml" => Some("application/xml"),
        _ => None,
    }
}

/// The import form, read from its multipart body.
#[derive(Default)]
struct ImportForm {
    csrf_token: String,
    idempotency_key: String,
    /// `file` or `generate`: which of the two forms was sent.
    source: String,
    generate: String,
    seed: String,
    /// The file's name, its part's content type and its bytes.
    file: Option<(String, Option<String>, Bytes)>,
}

/// Why the form could not be read.
enum FormError {
    /// The file is larger than `IMPORT_MAX_BYTES` (413).
    TooLarge,
    /// Anything else (400), said in words.
    Bad(String),
}

impl From<MultipartError> for FormError {
    fn from(e: MultipartError) -> Self {
        FormError::Bad(format!("The form could not be read ({e}). Please try again."))
    }
}

/// Reads one part whole, refusing it past `limit` bytes.
async fn read_part(field: &mut Field, limit: usize) -> Result<Option<Bytes>, FormError> {
    let mut bytes = BytesMut::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk?;
        if bytes.len() + chunk.len() > limit {
            return Ok(None);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Some(bytes.freeze()))
}

/// Reads the import form: at most [`MAX_PARTS`] parts, text fields of at
/// most [`MAX_FIELD_BYTES`], a file of at most `max_file` bytes. Reading
/// stops at the first part past its limit.
async fn read_form(mut multipart: Multipart, max_file: usize) -> Result<ImportForm, FormError> {
    let mut form = ImportForm::default();
    let mut parts = 0;
    while let Some(field) = multipart.next().await {
        let mut field = field?;
        parts += 1;
        if parts > MAX_PARTS {
            return Err(FormError::Bad("The form has more fields than the import form.".into()));
        }
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let file_name = field.content_disposition().and_then(|d| d.get_filename()).unwrap_or_default().to_owned();
            let part_type = field.content_type().map(|m| m.essence_str().to_owned());
            let bytes = read_part(&mut field, max_file).await?.ok_or(FormError::TooLarge)?;
            form.file = Some((file_name, part_type, bytes));
            continue;
        }
        let value = read_part(&mut field, MAX_FIELD_BYTES)
            .await?
            .ok_or_else(|| FormError::Bad(format!("The field {name:?} is too long.")))?;
        let value = String::from_utf8(value.to_vec())
            .map_err(|_| FormError::Bad(format!("The field {name:?} is not text.")))?
            .trim()
            .to_owned();
        match name.as_str() {
            "csrf_token" => form.csrf_token = value,
            "idempotency_key" => form.idempotency_key = value,
            "source" => form.source = value,
            "generate" => form.generate = value,
            "seed" => form.seed = value,
            _ => return Err(FormError::Bad(format!("The form has an unknown field {name:?}."))),
        }
    }
    Ok(form)
}

/// What the import page shows besides its forms.
struct ImportPage<'a> {
    status: StatusCode,
    error: Option<String>,
    generate: &'a str,
    seed: &'a str,
    retry_after: Option<u64>,
}

impl Default for ImportPage<'_> {
    fn default() -> Self {
        Self { status: StatusCode::OK, error: None, generate: "1000", seed: "", retry_after: None }
    }
}

/// Renders the import page with a fresh `Idempotency-Key`.
fn render_import(
    tera: &Tera,
    settings: &Settings,
    session: &Session,
    flashes: &IncomingFlashMessages,
    jobs: &JobsService,
    page: ImportPage<'_>,
) -> Result<HttpResponse, AppError> {
    let mut context = page_context(session, flashes);
    context.insert("csrf_token", &csrf::token(session)?);
    context.insert("idempotency_key", &new_key());
    context.insert("error", &page.error);
    context.insert("generate", page.generate);
    context.insert("seed", page.seed);
    context.insert("max_generate", &MAX_GENERATE);
    context.insert("max_seed", &MAX_SEED);
    context.insert("max_size", &size(settings.import_max_bytes));
    context.insert("accept", &FILE_TYPES.iter().map(|(ext, _)| *ext).collect::<Vec<_>>().join(","));
    let html = render_html(tera, "import.html", &mut context, jobs.timings())?;
    let mut response = HttpResponse::build(page.status);
    if let Some(seconds) = page.retry_after {
        response.insert_header((header::RETRY_AFTER, seconds.to_string()));
    }
    Ok(response.content_type("text/html; charset=utf-8").body(html))
}

/// Sends an anonymous visitor to the login page, back to `path` afterwards.
fn to_login(what: &str, path: &str) -> HttpResponse {
    FlashMessage::info(format!("Please log in to {what}.")).send();
    see_other(&format!("/login?next={}", urlencoding::encode(path)))
}

/// `GET /import`: the two forms (logged-in users only).
pub async fn form(
    tera: web::Data<Tera>,
    settings: web::Data<Settings>,
    session: Session,
    flashes: IncomingFlashMessages,
    jobs: JobsService,
) -> Result<HttpResponse, AppError> {
    if current_user(&session).is_none() {
        return Ok(to_login("import posts", "/import"));
    }
    render_import(&tera, &settings, &session, &flashes, &jobs, ImportPage::default())
}

/// `POST /import`: submits the job, then 303 to its page.
#[allow(clippy::too_many_arguments)] // a handler's extractors
pub async fn submit(
    tera: web::Data<Tera>,
    settings: web::Data<Settings>,
    db: web::Data<Db>,
    session: Session,
    flashes: IncomingFlashMessages,
    jobs: JobsService,
    multipart: Multipart,
) -> Result<HttpResponse, AppError> {
    let Some(user) = current_user(&session) else {
        return Ok(to_login("import posts", "/import"));
    };
    let refuse =
        |status: StatusCode, message: String| ImportPage { status, error: Some(message), ..Default::default() };
    let form = match read_form(multipart, settings.import_max_bytes).await {
        Ok(form) => form,
        Err(FormError::TooLarge) => {
            let message = format!(
                "The file is larger than {}: split it, or import it with `datasets import`.",
                size(settings.import_max_bytes)
            );
            return render_import(
                &tera,
                &settings,
                &session,
                &flashes,
                &jobs,
                refuse(StatusCode::PAYLOAD_TOO_LARGE, message),
            );
        }
        Err(FormError::Bad(message)) => {
            return render_import(
                &tera,
                &settings,
                &session,
                &flashes,
                &jobs,
                refuse(StatusCode::BAD_REQUEST, message),
            );
        }
    };
    csrf::verify(&session, &form.csrf_token, &db).await?;
    let bad = |message: &str| refuse(StatusCode::BAD_REQUEST, message.to_owned());
    if !is_key(&form.idempotency_key) {
        let page = bad("This form has expired. Please submit it again.");
        return render_import(&tera, &settings, &session, &flashes, &jobs, page);
    }
    let key = form.idempotency_key.as_str();
    let submitted = match form.source.as_str() {
        "generate" => {
            let again = |message: &str| ImportPage { generate: &form.generate, seed: &form.seed, ..bad(message) };
            // The range is jobs' to check (its message is shown); a number
            // is ours.
            let Ok(count) = form.generate.parse::<u64>() else {
                let page =
                    again(&format!("Enter how many posts to generate: a whole number from 1 to {MAX_GENERATE}."));
                return render_import(&tera, &settings, &session, &flashes, &jobs, page);
            };
            let seed = match form.seed.as_str() {
                "" => None,
                text => match text.parse::<u64>() {
                    Ok(seed) if seed <= MAX_SEED => Some(seed),
                    _ => {
                        let page = again(&format!("The seed is a whole number from 0 to {MAX_SEED}, or empty."));
                        return render_import(&tera, &settings, &session, &flashes, &jobs, page);
                    }
                },
            };
            log::info!("{user} submits an import of {count} generated posts");
            jobs.submit_generate(count, seed, key).await?
        }
        "file" => {
            let Some((name, part_type, bytes)) =
                form.file.filter(|(name, _, bytes)| !name.is_empty() || !bytes.is_empty())
            else {
                return render_import(&tera, &settings, &session, &flashes, &jobs, bad("Choose a file to import."));
            };
            let Some(content_type) = content_type_for(&name, part_type.as_deref()) else {
                let message = "Choose a .jsonl, .ndjson, .json or .xml file: the import reads JSON lines, \
                               a JSON array of posts or reddit listings, and StackExchange's Posts.xml."
                    .to_owned();
                let page = refuse(StatusCode::UNSUPPORTED_MEDIA_TYPE, message);
                return render_import(&tera, &settings, &session, &flashes, &jobs, page);
            };
            log::info!("{user} submits an import of {name:?} ({} bytes, {content_type})", bytes.len());
            jobs.submit_file(&bytes, content_type, key).await?
        }
        _ => {
            return render_import(
                &tera,
                &settings,
                &session,
                &flashes,
                &jobs,
                bad("Choose a file or a number of posts."),
            )
        }
    };
    match submitted {
        Submitted::Accepted(job) => Ok(see_other(&format!("/jobs/{}", job.id))),
        Submitted::Refused { status, message } => {
            let page = ImportPage { generate: &form.generate, seed: &form.seed, ..refuse(status, message) };
            render_import(&tera, &settings, &session, &flashes, &jobs, page)
        }
        Submitted::Busy { retry_after } => {
            let message = format!("The import queue is full right now: please try again in {retry_after} s.");
            let page = ImportPage { retry_after: Some(retry_after), ..refuse(StatusCode::TOO_MANY_REQUESTS, message) };
            render_import(&tera, &settings, &session, &flashes, &jobs, page)
        }
    }
}

/// A job id from the path, or the 404 page (jobs is not called).
fn job_id(raw: &str) -> Result<&str, AppError> {
    if is_job_id(raw) {
        Ok(raw)
    } else {
        Err(AppError::NotFound("There is no job with this id.".into()))
    }
}

/// The 404 for a job jobs does not know (never submitted, or expired).
fn gone() -> AppError {
    AppError::NotFound(
        "There is no job with this id: it never existed, or it finished long enough ago to have expired.".into(),
    )
}

/// `GET /jobs/{id}`: the job, refreshing itself until it is done.
pub async fn show(
    tera: web::Data<Tera>,
    session: Session,
    flashes: IncomingFlashMessages,
    jobs: JobsService,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let raw = path.into_inner();
    if current_user(&session).is_none() {
        return Ok(to_login("follow an import", &format!("/jobs/{}", urlencoding::encode(&raw))));
    }
    let id = job_id(&raw)?;
    let mut context = page_context(&session, &flashes);
    let (job, result, refresh) = match jobs.poll(id).await? {
        Polled::Pending { job, retry_after } => (job, None, Some(retry_after)),
        Polled::Ended(job) => (job, None, None),
        Polled::Succeeded { job, mut result } => {
            result.reports.truncate(MAX_REPORTS_SHOWN);
            (job, Some(result), None)
        }
        Polled::Gone => return Err(gone()),
    };
    let percent = match job.progress.total {
        total if total > 0 => (job.progress.done.clamp(0, total) * 100) / total,
        _ if result.is_some() => 100,
        _ => 0,
    };
    context.insert("pending", &job.is_pending());
    context.insert("job", &job);
    context.insert("result", &result);
    context.insert("refresh", &refresh);
    context.insert("percent", &percent);
    let html = render_html(&tera, "job.html", &mut context, jobs.timings())?;
    // A page that changes by the second is not cached.
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("text/html; charset=utf-8")
        .body(html))
}

/// The cancel form.
#[derive(Deserialize)]
pub struct CancelForm {
    csrf_token: String,
}

/// `POST /jobs/{id}/cancel`: cancels the job, then back to its page.
pub async fn cancel(
    db: web::Data<Db>,
    session: Session,
    jobs: JobsService,
    path: web::Path<String>,
    form: web::Form<CancelForm>,
) -> Result<HttpResponse, AppError> {
    let raw = path.into_inner();
    if current_user(&session).is_none() {
        return Ok(to_login("cancel an import", &format!("/jobs/{}", urlencoding::encode(&raw))));
    }
    csrf::verify(&session, &form.csrf_token, &db).await?;
    let id = job_id(&raw)?;
    match jobs.cancel(id).await? {
        Canceled::Done => FlashMessage::info("The job is canceled. The posts it had written stay.").send(),
        Canceled::TooLate(message) => FlashMessage::warning(format!("It is too late to cancel: {message}.")).send(),
        Canceled::Gone => return Err(gone()),
    }
    Ok(see_other(&format!("/jobs/{id}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_type_comes_from_the_name_then_the_part() {
        assert_eq!(content_type_for("posts.jsonl", None), Some("application/x-ndjson"));
        assert_eq!(content_type_for("POSTS.NDJSON", Some("application/octet-stream")), Some("application/x-ndjson"));
        assert_eq!(content_type_for("listing.json", Some("text/plain")), Some("application/json"));
        assert_eq!(content_type_for("Posts.xml", None), Some("application/xml"));
        assert_eq!(content_type_for("export", Some("text/xml; charset=utf-8")), Some("application/xml"));
        assert_eq!(content_type_for("export", Some("application/json")), Some("application/json"));
        assert_eq!(content_type_for("notes.txt", Some("text/plain")), None);
        assert_eq!(content_type_for("", None), None);
    }

    #[test]
    fn keys_are_the_ones_the_page_renders() {
        let key = new_key();
        assert!(is_key(&key), "{key}");
        assert_ne!(key, new_key());
        assert!(!is_key("short"));
        assert!(!is_key(&format!("{}!", &key[..KEY_LEN - 1])));
    }
}
