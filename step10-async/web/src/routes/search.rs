//! Search: the form posts here, the results live at a bookmarkable URL.
//!
//! The results page asks search and hide at once (neither needs the
//! other), leaves the user's hidden posts out (a page may then list fewer
//! than `PAGE_SIZE` posts: asking search for more would shift every later
//! page), then asks likes and shares for the counts at once.

use actix_session::Session;
use actix_web::{web, HttpResponse};
use actix_web_flash_messages::{FlashMessage, IncomingFlashMessages};
use serde::Deserialize;
use tera::Tera;

use super::see_other;
use crate::{
    error::AppError,
    reactions::{self, Hidden},
    services::Services,
    settings::Settings,
    views::{current_user, page_context, render, PostView},
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
    let user = current_user(&session);
    let mut notices = Vec::new();
    // Round 1: the results and the hidden posts, at once.
    let search = async {
        if keywords.is_empty() {
            Ok((Vec::new(), false))
        } else {
            services.search(&query, page, settings.page_size).await
        }
    };
    let hidden = async {
        match &user {
            Some(user) => Some(services.hidden(user).await),
            None => None,
        }
    };
    let (found, hidden) = futures::join!(search, hidden);
    let (posts, has_next) = found?;
    let hidden = match hidden {
        Some(answer) => Hidden::from_answer(answer, &mut notices),
        None => Hidden::nothing(),
    };
    let mut posts: Vec<PostView> = hidden.leave_out(posts).into_iter().map(PostView::from).collect();
    // Round 2: the counts, likes and shares at once.
    reactions::counts(&services, user.as_deref(), &mut posts, &hidden, &mut notices).await;
    let here = format!("/search_results/{}?page={page}", urlencoding::encode(&query));
    let mut context = page_context(&session, &flashes);
    context.insert("notices", &notices);
    context.insert("here", &here);
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
