//! Tests of the shared helpers: paging, links, entity tags.

use super::*;

#[test]
fn paging_refuses_out_of_range_values_with_the_limit_named() {
    assert_eq!(paging(None, None, (25, 50)).unwrap(), (1, 25));
    assert_eq!(paging(Some("3"), Some("50"), (25, 50)).unwrap(), (3, 50));
    for (page, max) in [(Some("0"), None), (Some("-1"), None), (Some("x"), None), (None, Some("51")), (None, Some("0"))]
    {
        let err = paging(page, max, (25, 50)).unwrap_err().to_string();
        assert!(err.contains("page") || err.contains("max_results"), "{err}");
    }
    assert!(paging(None, Some("51"), (25, 50)).unwrap_err().to_string().contains("50"));
}

#[test]
fn links_keep_the_query_and_replace_the_page() {
    let query = vec![("where".to_string(), "{\"a\": 1}".to_string()), ("page".to_string(), "2".to_string())];
    assert_eq!(href("posts", &query, Some(3)), "posts?where=%7B%22a%22%3A%201%7D&page=3");
    assert_eq!(href("posts", &[], None), "posts");
}

#[test]
fn entity_tags_are_compared_without_quotes() {
    assert_eq!(unquote("\"abc\""), "abc");
    assert_eq!(unquote("W/\"abc\""), "abc");
    assert_eq!(unquote(" abc "), "abc");
}
