//! Search: the form posts here, the results live at a bookmarkable URL.

use actix_session::Session;
use actix_web::{web, HttpResponse};
use actix_web_flash_messages::{FlashMessage, IncomingFlashMessages};
use serde::Deserialize;
use tera::Tera;

use super::see_other;
use crate::{
    error::AppError,
    services::Services,
    settings::Settings,
    views::{page_context, render, PostView},
};

/// The longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// The deepest results page (search's own limit too).
pub const MAX_PAGE: u32 = 500;

/// The search box.
#[derive(Deserialize)]
pub struct SearchForm {
    q: String,
}

/// `POST /search`: validates the query and redirects to its results page.
pub async fn submit(form: web::Form<SearchForm>) -> HttpResponse {
    let query = form.q.trim();
    if query.is_empty() {
        FlashMessage::warning("Please type something to search for.").send();
        return see_other("/");
    }
    if query.chars().count() > MAX_QUERY_CHARS {
        FlashMessage::warning(format!("Searches are limited to {MAX_QUERY_CHARS} characters.")).send();
        return see_other("/");
    }
    see_other(&format!("/search_results/{}", urlencoding::encode(query)))
}

/// The results page's query string.
#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<String>,
}

/// `GET /search_results/{query}?page=N`: posts carrying every keyword of the
/// query, best score first.
pub async fn results(
    tera: web::Data<Tera>,
    services: Services,
    settings: web::Data<Settings>,
    session: Session,
    flashes: IncomingFlashMessages,
    query: web::Path<String>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let page = parse_page(page.page.as_deref())?;
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(AppError::BadRequest(format!("Searches are limited to {MAX_QUERY_CHARS} characters.")));
    }
    // The same function stems the query in search: a query of stop words
    // only needs no call.
    let keywords = datasets::keywords(&query);
    let (posts, has_next) = if keywords.is_empty() {
        (Vec::new(), false)
    } else {
        services.search(&query, page, settings.page_size).await?
    };
    let posts: Vec<PostView> = posts.into_iter().map(PostView::from).collect();
    let mut context = page_context(&session, &flashes);
    context.insert("query", &query);
    context.insert("query_path", &urlencoding::encode(&query));
    context.insert("keywords", &keywords);
    context.insert("posts", &posts);
    context.insert("page", &page);
    context.insert("has_next", &has_next);
    render(&tera, "search_results.html", &mut context, services.timings())
}

/// `page` must be a whole number from 1 to [`MAX_PAGE`]; absent means 1.
fn parse_page(raw: Option<&str>) -> Result<u32, AppError> {
    match raw {
        None => Ok(1),
        Some(raw) => raw.trim().parse::<u32>().ok().filter(|p| (1..=MAX_PAGE).contains(p)).ok_or_else(|| {
            AppError::BadRequest(format!("The page number must be a whole number from 1 to {MAX_PAGE}."))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_page;

    #[test]
    fn page_numbers_are_validated() {
        assert_eq!(parse_page(None).unwrap(), 1);
        assert_eq!(parse_page(Some("3")).unwrap(), 3);
        for bad in ["0", "-1", "x", "501", "1.5", ""] {
            assert!(parse_page(Some(bad)).is_err(), "{bad}");
        }
    }
}
