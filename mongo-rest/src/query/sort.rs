//! `sort`: `a,-b` or Eve's `[("a", -1), ("b", 1)]` (or JSON), checked
//! against the allowed filters, with an `_id` tiebreaker appended.

use mongodb::bson::Document;

use super::python::{tokenize, Parser, Tok};
use super::*;
use crate::domain::Resource;

/// `sort=`: `a,-b` or Eve's `[("a", -1), ("b", 1)]`. Returns the sort document; always ends with `_id` (same direction as the last key, or 1) as a tiebreaker unless `_id` already appears, so pages never overlap.
///
/// The list form also takes JSON (`[["a", -1]]`). Fields must be allowed
/// filters (sorting by a field reveals its order as much as filtering does).
pub fn parse_sort(text: &str, resource: &Resource) -> Result<Document, QueryError> {
    check_length(SORT, text)?;
    let trimmed = text.trim();
    let keys = if trimmed.is_empty() {
        return Err(error(SORT, "empty"));
    } else if trimmed.starts_with('[') {
        sort_list(text)?
    } else {
        trimmed
            .split(',')
            .map(|part| {
                let part = part.trim();
                match part.strip_prefix('-') {
                    Some(field) => (field.trim().to_owned(), -1),
                    None => (part.to_owned(), 1),
                }
            })
            .collect::<Vec<_>>()
    };
    if keys.len() > MAX_SORT_KEYS {
        return Err(error(SORT, format!("at most {MAX_SORT_KEYS} keys")));
    }
    let mut sort = Document::new();
    for (field, direction) in &keys {
        check_name(SORT, field)?;
        if !resource.filter_allowed(field) {
            return Err(error(SORT, format!("sorting by field {field} is not allowed")));
        }
        if sort.contains_key(field) {
            return Err(error(SORT, format!("field {field} appears twice")));
        }
        sort.insert(field.clone(), *direction);
    }
    if !sort.contains_key("_id") {
        sort.insert("_id", keys.last().map_or(1, |(_, direction)| *direction));
    }
    Ok(sort)
}

/// The list form of `sort`: `[("a", -1), ("b", 1)]` or `[["a", -1]]`.
pub(super) fn sort_list(text: &str) -> Result<Vec<(String, i32)>, QueryError> {
    let tokens = tokenize(SORT, text)?;
    let mut parser = Parser { param: SORT, tokens, pos: 0, depth: 0 };
    parser.expect(&Tok::LBracket, "'['")?;
    let mut keys = Vec::new();
    while !parser.eat(&Tok::RBracket) {
        let close = match parser.peek().tok {
            Tok::LParen => Tok::RParen,
            Tok::LBracket => Tok::RBracket,
            _ => return Err(parser.expected("a (\"field\", direction) pair")),
        };
        parser.advance();
        let Tok::Str(field) = parser.peek().tok.clone() else {
            return Err(parser.expected("a quoted field name"));
        };
        parser.advance();
        parser.expect(&Tok::Comma, "','")?;
        let direction = match &parser.peek().tok {
            Tok::Num(n) if n.as_i64() == Some(1) => 1,
            Tok::Num(n) if n.as_i64() == Some(-1) => -1,
            _ => return Err(parser.expected("a direction, 1 or -1,")),
        };
        parser.advance();
        parser.eat(&Tok::Comma);
        parser.expect(&close, if close == Tok::RParen { "')'" } else { "']'" })?;
        keys.push((field, direction));
        if !parser.eat(&Tok::Comma) && parser.peek().tok != Tok::RBracket {
            return Err(parser.expected("',' or ']'"));
        }
        if keys.len() > MAX_SORT_KEYS {
            return Err(error(SORT, format!("at most {MAX_SORT_KEYS} keys")));
        }
    }
    if parser.peek().tok != Tok::End {
        return Err(parser.expected("the end"));
    }
    Ok(keys)
}
