//! The crate's one error type, and the error pages.
//!
//! Handlers return [`AppError`]; its [`ResponseError`] impl picks the status
//! code, and [`render_error_page`] (installed with `ErrorHandlers`) turns every
//! 4xx/5xx response, ours or actix-web's own, into an HTML page from
//! `templates/error.html`. Internal causes are logged, never shown.

use actix_web::{
    body::{BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::{header, StatusCode},
    middleware::{ErrorHandlerResponse, Next},
    web, HttpResponse, ResponseError,
};
use tera::Tera;

use kit::timing::Timings;

use crate::{
    services::{request_timings, service_of, UpstreamError},
    views::render_html,
};

/// Everything that can go wrong while answering a request.
#[derive(thiserror::Error)]
pub enum AppError {
    /// The page or post does not exist (404).
    #[error("not found: {0}")]
    NotFound(String),
    /// The request cannot be understood (400); the message is shown.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// A form came without a valid CSRF token (403).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// MongoDB cannot be reached right now (503). The driver reconnects by
    /// itself, so the next request succeeds once the database is back.
    #[error("the database is unavailable")]
    DatabaseUnavailable(#[source] mongodb::error::Error),
    /// Any other database failure (500).
    #[error("database error")]
    Database(#[source] mongodb::error::Error),
    /// A service the page cannot do without (posts; search on the search
    /// page) cannot be reached, or cannot reach its database (503). The
    /// error names the service.
    #[error("a service is unavailable")]
    ServiceUnavailable(#[source] UpstreamError),
    /// That service did not answer within `SERVICE_TIMEOUT_MS` (504).
    #[error("a service timed out")]
    ServiceTimeout(#[source] UpstreamError),
    /// That service answered something unexpected (502).
    #[error("bad answer from a service")]
    Service(#[source] UpstreamError),
    /// A template failed to render (500).
    #[error("template error")]
    Template(#[from] tera::Error),
    /// Anything else (500).
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<mongodb::error::Error> for AppError {
    fn from(e: mongodb::error::Error) -> Self {
        if crate::db::is_unavailable(&e) {
            AppError::DatabaseUnavailable(e)
        } else {
            AppError::Database(e)
        }
    }
}

impl From<UpstreamError> for AppError {
    fn from(e: UpstreamError) -> Self {
        match e {
            UpstreamError::Unavailable { .. } => AppError::ServiceUnavailable(e),
            UpstreamError::Timeout { .. } => AppError::ServiceTimeout(e),
            UpstreamError::Unexpected { .. } => AppError::Service(e),
        }
    }
}

impl std::fmt::Debug for AppError {
    /// Prints the error and every `source()` below it, one per line, so that
    /// the log names the root cause.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{self}")?;
        let mut current = std::error::Error::source(self);
        while let Some(cause) = current {
            writeln!(f, "Caused by:\n\t{cause}")?;
            current = cause.source();
        }
        Ok(())
    }
}

impl AppError {
    /// The message a visitor may see. Internal details stay in the log.
    pub fn public_message(&self) -> String {
        match self {
            AppError::NotFound(what) => what.clone(),
            AppError::BadRequest(why) | AppError::Forbidden(why) => why.clone(),
            AppError::DatabaseUnavailable(_) => {
                "The database is unavailable right now. Please try again in a moment.".into()
            }
            AppError::ServiceUnavailable(e) | AppError::ServiceTimeout(e) => match service_of(e) {
                "search" => "Search is unavailable right now. Please try again in a moment.".into(),
                service => format!("The {service} service is unavailable right now. Please try again in a moment."),
            },
            _ => "Something went wrong on our side. It has been logged.".into(),
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::DatabaseUnavailable(_) | AppError::ServiceUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::ServiceTimeout(_) => StatusCode::GATEWAY_TIMEOUT,
            AppError::Service(_) => StatusCode::BAD_GATEWAY,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        let status = self.status_code();
        if status.is_server_error() {
            log::error!("{self:?}");
        }
        let mut response = HttpResponse::build(status);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header((header::RETRY_AFTER, "5"));
        }
        // The body is replaced by `render_error_page`; this one is the fallback.
        response.body(self.public_message())
    }
}

/// `ErrorHandlers` callback: renders `error.html` for any 4xx/5xx response.
/// Responses that already are HTML pages (the login form answered with 400
/// and its message, say) or JSON are left as they are.
pub fn render_error_page<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let status = res.status();
    // JSON answers (`/health/ready`'s 503) are for machines: left as they are.
    let is_page = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html") || v.starts_with("application/json"));
    if is_page {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let message = match res.response().error() {
        Some(e) => match e.as_error::<AppError>() {
            Some(app_error) => app_error.public_message(),
            // actix-web's own errors (a malformed form, a too-large body...)
            // describe the client's mistake, so they are safe to show.
            None if status.is_client_error() => e.to_string(),
            None => "Something went wrong on our side. It has been logged.".into(),
        },
        None if status == StatusCode::NOT_FOUND => "There is no page at this address.".into(),
        None if status == StatusCode::METHOD_NOT_ALLOWED => "This page does not accept that method.".into(),
        None => status.canonical_reason().unwrap_or("Error").into(),
    };
    let Some(tera) = res.request().app_data::<web::Data<Tera>>().cloned() else {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    };
    let timings = request_timings(res.request());
    let (req, mut response) = res.into_parts();
    response.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/html; charset=utf-8"));
    let res = ServiceResponse::new(req, response.set_body(error_page_body(&tera, status, message, &timings)))
        .map_into_boxed_body()
        .map_into_right_body();
    Ok(ErrorHandlerResponse::Response(res))
}

/// The HTML of the error page.
fn error_page_body(tera: &Tera, status: StatusCode, message: String, timings: &Timings) -> String {
    let mut context = tera::Context::new();
    context.insert("status", &status.as_u16());
    context.insert("reason", status.canonical_reason().unwrap_or("Error"));
    context.insert("message", &message);
    context.insert("user", &None::<String>);
    context.insert("flashes", &Vec::<String>::new());
    context.insert("notices", &Vec::<String>::new());
    match render_html(tera, "error.html", &mut context, timings) {
        Ok(body) => body,
        Err(e) => {
            log::error!("cannot render the error page: {e:?}");
            message
        }
    }
}

/// Middleware around the session layer, whose store failures arrive as bare
/// errors (handlers' errors are responses by then). When MongoDB is down the
/// visitor gets the 503 page, like everywhere else; any other failure gets
/// the 500 page.
pub async fn session_failures(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // Only shared handles are kept: cloning the request itself here would
    // stop the router from filling in its path parameters.
    let tera = req.app_data::<web::Data<Tera>>().cloned();
    let db = req.app_data::<web::Data<crate::db::Db>>().cloned();
    let timings = request_timings(req.request());
    let error = match next.call(req).await {
        Ok(res) => return Ok(res.map_into_boxed_body()),
        Err(e) => e,
    };
    let app_error = match db {
        Some(db) => match db.ping().await {
            Err(e) => AppError::from(e),
            Ok(()) => AppError::Unexpected(anyhow::anyhow!("session layer: {error}")),
        },
        None => AppError::Unexpected(anyhow::anyhow!("session layer: {error}")),
    };
    let mut response = app_error.error_response();
    if let Some(tera) = tera {
        let body = error_page_body(&tera, app_error.status_code(), app_error.public_message(), &timings);
        response = response.set_body(BoxBody::new(body));
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/html; charset=utf-8"));
    }
    Err(actix_web::error::InternalError::from_response(app_error, response).into())
}
