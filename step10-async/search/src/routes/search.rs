//! `GET /v1/search?q=TEXT&page=N&max_results=M`: the posts holding every
//! keyword of `q`, best score first, in the posts API's envelope.
//!
//! The semantics are step 06's: `q` goes through `datasets::keywords`
//! (the extractor that made the posts' keywords), every keyword must be
//! present, ties in score go to the newest `_id`. A `q` made only of stop
//! words has no keywords and finds nothing (200, no items). The page is
//! Eve's: `_items` rendered by `mongo_rest::convert` (hex ids, RFC 1123
//! dates, as the posts API shows them), `_meta` and `_links` with `next`
//! only when a next page exists.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::{error::SearchError, settings::Settings, store::Store};

/// The longest `q`, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// The last page a client may ask for (deep pages cost a long skip; no
/// reader goes that far).
pub const MAX_PAGE: u64 = 500;
/// The query parameters this route reads; others are ignored and left out
/// of the links.
const PARAMETERS: [&str; 3] = ["q", "page", "max_results"];

/// One result: what a results list shows of a post.
///
/// Fields the post does not have are left out, as the posts API does.
#[derive(Serialize, ToSchema)]
pub struct SearchItem {
    /// The post's id (24 hex digits).
    #[serde(rename = "_id")]
    pub id: String,
    /// The title.
    pub title: String,
    /// The link (the post itself for a self post).
    pub url: String,
    /// The path of the post's page on reddit.
    pub permalink: String,
    /// The link's domain (`self.<subreddit>` for a self post).
    pub domain: String,
    /// Who posted it.
    pub author: String,
    /// The thumbnail URL, or a word such as `self` or `default`.
    pub thumbnail: String,
    /// When it was posted (RFC 1123).
    #[schema(example = "Tue, 02 Apr 2013 10:29:13 GMT")]
    pub created_utc: String,
    /// Upvotes minus downvotes.
    pub score: i64,
    /// How many comments it has.
    pub num_comments: i64,
    /// Whether it is a text post.
    pub is_self: bool,
}

/// `_meta` of a page.
#[derive(Serialize, ToSchema)]
pub struct Meta {
    /// The page (from 1).
    pub page: u64,
    /// The page size.
    pub max_results: u32,
}

/// A link of `_links`.
#[derive(Serialize, ToSchema)]
pub struct Link {
    /// What it points to.
    pub title: String,
    /// Relative to the service's root, as Eve writes them.
    pub href: String,
}

/// `_links` of a page.
#[derive(Serialize, ToSchema)]
pub struct Links {
    /// The service's root.
    pub parent: Link,
    /// This page.
    #[serde(rename = "self")]
    pub this: Link,
    /// The next page, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<Link>,
    /// The previous page, from page 2 on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prev: Option<Link>,
}

/// A page of results.
#[derive(Serialize, ToSchema)]
pub struct SearchPage {
    /// The results, best first.
    #[serde(rename = "_items")]
    #[schema(value_type = Vec<SearchItem>)]
    pub items: Vec<Map<String, Value>>,
    /// Which page this is.
    #[serde(rename = "_meta")]
    pub meta: Meta,
    /// Links to this page and its neighbours.
    #[serde(rename = "_links")]
    pub links: Links,
}

/// The checked query.
#[derive(Debug, PartialEq)]
pub struct SearchQuery {
    /// The text searched for.
    pub q: String,
    /// The page, from 1 to [`MAX_PAGE`].
    pub page: u64,
    /// The page size, from 1 to `settings::MAX_RESULTS`.
    pub max_results: u32,
}

impl SearchQuery {
    /// Checks the query's pairs; the first of a repeated name counts.
    /// `page_size` is the default `max_results`.
    pub fn parse(pairs: &[(String, String)], page_size: u32) -> Result<Self, SearchError> {
        let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        let q = match get("q") {
            Some(q) if !q.trim().is_empty() => q,
            _ => return Err(SearchError::BadQuery("the query parameter q (the text to search for) is missing".into())),
        };
        let chars = q.chars().count();
        if chars > MAX_QUERY_CHARS {
            return Err(SearchError::BadQuery(format!("q is {chars} characters long; at most {MAX_QUERY_CHARS}")));
        }
        let page = match get("page") {
            None => 1,
            Some(text) => match text.trim().parse::<u64>() {
                Ok(n) if (1..=MAX_PAGE).contains(&n) => n,
                _ => {
                    return Err(SearchError::BadQuery(format!(
                        "invalid page: {text:?}; expected a whole number from 1 to {MAX_PAGE}"
                    )))
                }
            },
        };
        let limit = crate::settings::MAX_RESULTS;
        let max_results = match get("max_results") {
            None => page_size,
            Some(text) => match text.trim().parse::<u32>() {
                Ok(n) if (1..=limit).contains(&u64::from(n)) => n,
                _ => {
                    return Err(SearchError::BadQuery(format!(
                        "invalid max_results: {text:?}; expected a whole number from 1 to {limit}"
                    )))
                }
            },
        };
        Ok(Self { q: q.to_owned(), page, max_results })
    }
}

/// The search.
#[utoipa::path(
    get,
    path = "/v1/search",
    tag = "search",
    params(
        ("q" = String, Query, description = "The text to search for: every keyword of it must be in a post (stop words are ignored); not blank (U+0085 is blank to `str::trim`, not to ECMA-262's `\\s`)", min_length = 1, max_length = 200, pattern = r"[^\s\u0085]"),
        ("page" = Option<u64>, Query, description = "The page, from 1", minimum = 1, maximum = 500),
        ("max_results" = Option<u32>, Query, description = "The page size (default PAGE_SIZE, 20)", minimum = 1, maximum = 50),
    ),
    responses(
        (status = 200, description = "A page of results, best score first", body = SearchPage),
        (status = 400, description = "A missing or too long q, or a page or max_results out of range", body = crate::openapi::ErrorBody),
        (status = 503, description = "The search database is unavailable", body = crate::openapi::ErrorBody),
    )
)]
pub async fn search(
    store: web::Data<Store>,
    settings: web::Data<Settings>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, SearchError> {
    let pairs: Vec<(String, String)> =
        query.into_inner().into_iter().filter(|(k, _)| PARAMETERS.contains(&k.as_str())).collect();
    let SearchQuery { q, page, max_results } = SearchQuery::parse(&pairs, settings.page_size)?;
    let keywords = datasets::keywords(&q);
    let (docs, has_next) =
        if keywords.is_empty() { (Vec::new(), false) } else { store.search(&keywords, page, max_results).await? };
    let items = docs.iter().map(mongo_rest::convert::document_to_json).collect();
    Ok(HttpResponse::Ok().json(SearchPage {
        items,
        meta: Meta { page, max_results },
        links: page_links(&pairs, page, has_next),
    }))
}

/// The base of the links (relative, as Eve writes them).
const BASE: &str = "v1/search";

/// Eve's `_links` of a page, as mongo-rest renders a collection's.
fn page_links(pairs: &[(String, String)], page: u64, has_next: bool) -> Links {
    let link = |title: &str, page| Link { title: title.into(), href: href(pairs, page) };
    Links {
        parent: Link { title: "home".into(), href: "/".into() },
        this: link("search", None),
        next: has_next.then(|| link("next page", Some(page + 1))),
        prev: (page > 1).then(|| link("previous page", Some(page - 1))),
    }
}

/// A link to the search with the request's parameters, `page` replaced.
fn href(pairs: &[(String, String)], page: Option<u64>) -> String {
    let mut parts: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| page.is_none() || k != "page")
        .map(|(k, v)| format!("{}={}", urlencoding::encode(k), urlencoding::encode(v)))
        .collect();
    if let Some(page) = page {
        parts.push(format!("page={page}"));
    }
    if parts.is_empty() {
        BASE.to_owned()
    } else {
        format!("{BASE}?{}", parts.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn a_query_is_checked_against_its_limits() {
        let ok = SearchQuery::parse(&pairs(&[("q", "rust"), ("page", "2"), ("max_results", "5")]), 20).unwrap();
        assert_eq!(ok, SearchQuery { q: "rust".into(), page: 2, max_results: 5 });
        assert_eq!(SearchQuery::parse(&pairs(&[("q", "rust")]), 20).unwrap().max_results, 20);
        let long = "é".repeat(MAX_QUERY_CHARS);
        assert!(SearchQuery::parse(&pairs(&[("q", &long)]), 20).is_ok());
        for bad in [
            pairs(&[]),
            pairs(&[("q", "  ")]),
            pairs(&[("q", &"a".repeat(MAX_QUERY_CHARS + 1))]),
            pairs(&[("q", "a"), ("page", "0")]),
            pairs(&[("q", "a"), ("page", "501")]),
            pairs(&[("q", "a"), ("page", "x")]),
            pairs(&[("q", "a"), ("max_results", "0")]),
            pairs(&[("q", "a"), ("max_results", "51")]),
        ] {
            assert!(matches!(SearchQuery::parse(&bad, 20), Err(SearchError::BadQuery(_))), "{bad:?}");
        }
    }

    #[test]
    fn links_keep_the_query_and_replace_the_page() {
        let query = pairs(&[("q", "rust async"), ("page", "2")]);
        let links = page_links(&query, 2, true);
        assert_eq!(links.this.href, "v1/search?q=rust%20async&page=2");
        assert_eq!(links.next.unwrap().href, "v1/search?q=rust%20async&page=3");
        assert_eq!(links.prev.unwrap().href, "v1/search?q=rust%20async&page=1");
        let first = page_links(&pairs(&[("q", "x")]), 1, false);
        assert!(first.next.is_none() && first.prev.is_none());
        assert_eq!(first.parent.href, "/");
    }
}
