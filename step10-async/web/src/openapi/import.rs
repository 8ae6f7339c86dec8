//! The import and job pages in the OpenAPI document: their own
//! [`ImportApiDoc`], merged into the web front's by [`super::document`]
//! (kept apart so that the pages and forms of other features and these
//! change independently).

use serde::Deserialize;
use utoipa::{OpenApi, ToSchema};

/// The import and job pages.
#[derive(OpenApi)]
#[openapi(paths(import_form, import_submit, job, job_cancel), components(schemas(ImportForm, CancelForm)))]
pub struct ImportApiDoc;

/// Either import form (`POST /import`, `multipart/form-data`).
#[derive(Deserialize, ToSchema)]
pub struct ImportForm {
    /// The session's token.
    pub csrf_token: String,
    /// The key the page rendered (32 letters or digits): the same form
    /// sent twice is one job.
    #[schema(min_length = 32, max_length = 32)]
    pub idempotency_key: String,
    /// `file` or `generate`: which form it is.
    pub source: String,
    /// The file (`source=file`): `.jsonl`, `.ndjson`, `.json` or `.xml`, at
    /// most `IMPORT_MAX_BYTES` (32 MiB).
    #[schema(value_type = Option<String>, format = Binary)]
    pub file: Option<String>,
    /// How many posts to generate (`source=generate`), 1 to 100,000.
    pub generate: Option<u64>,
    /// The generator's seed, 0 to 4,294,967,295 (optional).
    pub seed: Option<u64>,
}

/// The cancel button (`POST /jobs/{id}/cancel`).
#[derive(Deserialize, ToSchema)]
pub struct CancelForm {
    /// The session's token.
    pub csrf_token: String,
}

/// The import page: a file form and a generate form.
#[utoipa::path(get, path = "/import", tag = "pages", responses(
    (status = 200, description = "The page", body = String, content_type = "text/html"),
    (status = 303, description = "Not logged in: to the login page", headers(("Location" = String, description = "Where to go"))),
    (status = 503, description = "The sessions' database is unavailable (Retry-After)", body = String, content_type = "text/html"),
))]
pub async fn import_form() {}

/// Submits an import job to the jobs service; to its page.
#[utoipa::path(post, path = "/import", tag = "forms",
    request_body(content = ImportForm, content_type = "multipart/form-data"),
    responses(
        (status = 303, description = "Submitted: to `/jobs/{id}`; or (not logged in) to the login page", headers(("Location" = String, description = "Where to go"))),
        (status = 400, description = "The import page again: the form cannot be read, lacks a file or a number, or its key has expired; or jobs refused the body", body = String, content_type = "text/html"),
        (status = 403, description = "The CSRF token is not the session's", body = String, content_type = "text/html"),
        (status = 409, description = "The import page again: the same submission is still being answered", body = String, content_type = "text/html"),
        (status = 413, description = "The import page again: the file is larger than IMPORT_MAX_BYTES (or jobs' MAX_BODY_BYTES)", body = String, content_type = "text/html"),
        (status = 415, description = "The import page again: not a file type the import reads", body = String, content_type = "text/html"),
        (status = 422, description = "The import page again with jobs' message (a malformed record, a number out of range)", body = String, content_type = "text/html"),
        (status = 429, description = "The import page again: the queue is full (Retry-After)", body = String, content_type = "text/html"),
        (status = 502, description = "Jobs answered something unexpected", body = String, content_type = "text/html"),
        (status = 503, description = "Jobs (or the sessions' database) is unavailable (Retry-After)", body = String, content_type = "text/html"),
        (status = 504, description = "Jobs did not answer within JOBS_TIMEOUT_MS", body = String, content_type = "text/html"),
    )
)]
pub async fn import_submit() {}

/// A job: status, progress bar, timestamps; refreshes itself (`<meta
/// http-equiv="refresh">`, at jobs' Retry-After) while queued or running;
/// the counts once it has succeeded.
#[utoipa::path(get, path = "/jobs/{id}", tag = "pages",
    params(("id" = String, Path, description = "The job's id (32 lowercase hex digits); anything else is a missing job")),
    responses(
        (status = 200, description = "The page", body = String, content_type = "text/html"),
        (status = 303, description = "Not logged in: to the login page", headers(("Location" = String, description = "Where to go"))),
        (status = 404, description = "No such job, or it expired", body = String, content_type = "text/html"),
        (status = 502, description = "Jobs answered something unexpected", body = String, content_type = "text/html"),
        (status = 503, description = "Jobs (or the sessions' database) is unavailable (Retry-After)", body = String, content_type = "text/html"),
        (status = 504, description = "Jobs did not answer within JOBS_TIMEOUT_MS", body = String, content_type = "text/html"),
    )
)]
pub async fn job() {}

/// Cancels a job; back to its page with a message.
#[utoipa::path(post, path = "/jobs/{id}/cancel", tag = "forms",
    params(("id" = String, Path, description = "The job's id")),
    request_body(content = CancelForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "Back to the job's page, or (not logged in) to the login page", headers(("Location" = String, description = "Where to go"))),
        (status = 400, description = "The form lacks its token", body = String, content_type = "text/html"),
        (status = 403, description = "The CSRF token is not the session's", body = String, content_type = "text/html"),
        (status = 404, description = "No such job, or it expired", body = String, content_type = "text/html"),
        (status = 413, description = "The form is longer than MAX_FORM_BYTES (16 KiB)", body = String, content_type = "text/html"),
        (status = 415, description = "The body is not a form", body = String, content_type = "text/html"),
        (status = 502, description = "Jobs answered something unexpected", body = String, content_type = "text/html"),
        (status = 503, description = "Jobs (or the sessions' database) is unavailable (Retry-After)", body = String, content_type = "text/html"),
        (status = 504, description = "Jobs did not answer within JOBS_TIMEOUT_MS", body = String, content_type = "text/html"),
    )
)]
pub async fn job_cancel() {}

#[cfg(test)]
mod tests {
    #[test]
    fn the_import_pages_are_in_the_web_fronts_document() {
        let doc = super::super::document();
        let paths = doc["paths"].as_object().unwrap();
        for (path, method) in
            [("/import", "get"), ("/import", "post"), ("/jobs/{id}", "get"), ("/jobs/{id}/cancel", "post")]
        {
            assert!(paths.get(path).and_then(|p| p.get(method)).is_some(), "{method} {path} is documented");
        }
        assert!(doc["paths"]["/import"]["post"]["requestBody"]["content"]["multipart/form-data"].is_object());
        // The pages of the main document are still there.
        assert!(paths.contains_key("/me"));
    }
}
