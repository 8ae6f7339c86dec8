//! Eve's Python-style syntax (`score > 50 and author == "x"`): a tokenizer
//! and a recursive-descent [`Parser`] that turn it into the JSON filter the
//! checker of [`super::where_json`] takes. The tokenizer and the parser also
//! read `sort`'s list form (`[("a", -1)]`).

use mongodb::bson::DateTime;
use serde_json::{Map, Number, Value};

use super::*;
use crate::convert::{parse_object_id, rfc1123};

/// One token of the Python-style syntax (also used for `sort`'s list form).
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    /// `==`, `!=`, `>`, `>=`, `<` or `<=`.
    Cmp(&'static str),
    /// An identifier, possibly dotted: a field, a keyword, `True`, `ObjectId`.
    Name(String),
    Str(String),
    Num(Number),
    End,
}

/// A token and the column (1-based, in characters) where it starts.
#[derive(Debug, Clone)]
pub(super) struct Token {
    pub(super) tok: Tok,
    pub(super) column: usize,
}

/// Splits Python-style text into tokens; the last one is always `End`.
pub(super) fn tokenize(param: &'static str, text: &str) -> Result<Vec<Token>, QueryError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        let tok = match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' | ')' | '[' | ']' | ',' => {
                i += 1;
                match c {
                    '(' => Tok::LParen,
                    ')' => Tok::RParen,
                    '[' => Tok::LBracket,
                    ']' => Tok::RBracket,
                    _ => Tok::Comma,
                }
            }
            '=' | '!' | '<' | '>' => {
                let op = match (c, chars.get(i + 1) == Some(&'=')) {
                    ('=', true) => "==",
                    ('!', true) => "!=",
                    ('<', true) => "<=",
                    ('>', true) => ">=",
                    ('<', false) => "<",
                    ('>', false) => ">",
                    _ => {
                        return Err(error(
                            param,
                            format!("unexpected {c:?} at column {column} (comparisons are ==, !=, >, >=, <, <=)"),
                        ))
                    }
                };
                i += op.len();
                Tok::Cmp(op)
            }
            '"' | '\'' => {
                let (text, next) = string_literal(param, &chars, i)?;
                i = next;
                Tok::Str(text)
            }
            '-' | '0'..='9' => {
                let (number, next) = number_literal(param, &chars, i)?;
                i = next;
                Tok::Num(number)
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '.') {
                    i += 1;
                }
                let name: String = chars[start..i].iter().collect();
                if name.split('.').any(str::is_empty) {
                    return Err(error(param, format!("invalid name {name:?} at column {column}")));
                }
                Tok::Name(name)
            }
            other => return Err(error(param, format!("unexpected character {other:?} at column {column}"))),
        };
        tokens.push(Token { tok, column });
    }
    tokens.push(Token { tok: Tok::End, column: chars.len() + 1 });
    Ok(tokens)
}

/// A quoted string starting at `chars[start]`, with Python's common escapes;
/// returns the text and the index after the closing quote.
pub(super) fn string_literal(param: &'static str, chars: &[char], start: usize) -> Result<(String, usize), QueryError> {
    let quote = chars[start];
    let mut text = String::new();
    let mut i = start + 1;
    loop {
        match chars.get(i) {
            None => return Err(error(param, format!("unterminated string at column {}", start + 1))),
            Some(&c) if c == quote => return Ok((text, i + 1)),
            Some('\\') => {
                let escaped = match chars.get(i + 1) {
                    Some('n') => '\n',
                    Some('t') => '\t',
                    Some('r') => '\r',
                    Some('0') => '\0',
                    Some(&c @ ('\\' | '\'' | '"')) => c,
                    Some(&c @ ('u' | 'x')) => {
                        let len = if c == 'u' { 4 } else { 2 };
                        let hex: String = chars.iter().skip(i + 2).take(len).collect();
                        let code = (hex.len() == len).then(|| u32::from_str_radix(&hex, 16).ok()).flatten();
                        match code.and_then(char::from_u32) {
                            Some(decoded) => {
                                i += len;
                                decoded
                            }
                            None => return Err(error(param, format!("invalid \\{c} escape at column {}", i + 1))),
                        }
                    }
                    _ => return Err(error(param, format!("unknown escape at column {}", i + 1))),
                };
                text.push(escaped);
                i += 2;
            }
            Some(&c) => {
                text.push(c);
                i += 1;
            }
        }
    }
}

/// A number starting at `chars[start]` (`-12`, `3.5`, `1e3`); returns it and
/// the index after it. Whole numbers must fit an i64.
pub(super) fn number_literal(param: &'static str, chars: &[char], start: usize) -> Result<(Number, usize), QueryError> {
    let column = start + 1;
    let digits = |mut i: usize| {
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let mut i = start + usize::from(chars[start] == '-');
    let integer_end = digits(i);
    if integer_end == i {
        return Err(error(param, format!("unexpected '-' at column {column}")));
    }
    i = integer_end;
    let mut is_float = false;
    if chars.get(i) == Some(&'.') && chars.get(i + 1).is_some_and(char::is_ascii_digit) {
        i = digits(i + 1);
        is_float = true;
    }
    if matches!(chars.get(i), Some('e' | 'E')) {
        let sign = usize::from(matches!(chars.get(i + 1), Some('+' | '-')));
        let end = digits(i + 1 + sign);
        if end == i + 1 + sign {
            return Err(error(param, format!("invalid number at column {column}")));
        }
        i = end;
        is_float = true;
    }
    let text: String = chars[start..i].iter().collect();
    let number = if is_float {
        text.parse::<f64>().ok().and_then(Number::from_f64)
    } else {
        text.parse::<i64>().ok().map(Number::from)
    };
    number.map(|n| (n, i)).ok_or_else(|| error(param, format!("number out of range at column {column}")))
}

/// Parses the Python-style `where` into the JSON the checker takes:
/// `a == 1` → `{"a": 1}`, `a > 1` → `{"a": {"$gt": 1}}`, `a in [..]` →
/// `$in`, `a not in [..]` → `$nin`, `not x` → `{"$nor": [x]}`, `and`/`or` →
/// `$and`/`$or`. `ObjectId("…")` and `datetime(…)` become the strings the
/// JSON syntax would carry (a hex id, an RFC 1123 date), so that their
/// conversion is decided by the field's type in one place.
pub(super) fn parse_python(text: &str) -> Result<Value, QueryError> {
    let tokens = tokenize(WHERE, text)?;
    let mut parser = Parser { param: WHERE, tokens, pos: 0, depth: 0 };
    let query = parser.or_expr()?;
    if parser.peek().tok != Tok::End {
        return Err(parser.expected("'and', 'or' or the end"));
    }
    Ok(query)
}

/// A recursive-descent parser over the tokens, with a depth limit so that
/// `((((…` cannot exhaust the stack.
pub(super) struct Parser {
    pub(super) param: &'static str,
    pub(super) tokens: Vec<Token>,
    pub(super) pos: usize,
    pub(super) depth: usize,
}

/// Words that cannot be field names in the Python syntax.
pub(super) const KEYWORDS: [&str; 4] = ["and", "or", "not", "in"];

impl Parser {
    pub(super) fn peek(&self) -> &Token {
        &self.tokens[self.pos]
    }

    /// Moves past the current token (never past `End`).
    pub(super) fn advance(&mut self) {
        if self.pos + 1 < self.tokens.len() {
            self.pos += 1;
        }
    }

    pub(super) fn expected(&self, what: &str) -> QueryError {
        error(self.param, format!("expected {what} at column {}", self.peek().column))
    }

    pub(super) fn at_word(&self, word: &str) -> bool {
        matches!(&self.peek().tok, Tok::Name(name) if name == word)
    }

    /// Consumes `tok` if it is next.
    pub(super) fn eat(&mut self, tok: &Tok) -> bool {
        let found = self.peek().tok == *tok;
        if found {
            self.advance();
        }
        found
    }

    pub(super) fn expect(&mut self, tok: &Tok, what: &str) -> Result<(), QueryError> {
        if self.eat(tok) {
            Ok(())
        } else {
            Err(self.expected(what))
        }
    }

    /// Enters one level of nesting (parenthesis, `not`, list).
    pub(super) fn enter(&mut self) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > MAX_WHERE_DEPTH {
            return Err(error(
                self.param,
                format!("nested deeper than {MAX_WHERE_DEPTH} levels at column {}", self.peek().column),
            ));
        }
        Ok(())
    }

    /// `or_expr := and_expr ("or" and_expr)*`
    pub(super) fn or_expr(&mut self) -> Result<Value, QueryError> {
        let mut terms = vec![self.and_expr()?];
        while self.at_word("or") {
            self.advance();
            terms.push(self.and_expr()?);
        }
        Ok(combine("$or", terms))
    }

    /// `and_expr := not_expr ("and" not_expr)*`
    pub(super) fn and_expr(&mut self) -> Result<Value, QueryError> {
        let mut terms = vec![self.not_expr()?];
        while self.at_word("and") {
            self.advance();
            terms.push(self.not_expr()?);
        }
        Ok(combine("$and", terms))
    }

    /// `not_expr := "not" not_expr | atom`
    pub(super) fn not_expr(&mut self) -> Result<Value, QueryError> {
        if !self.at_word("not") {
            return self.atom();
        }
        self.advance();
        self.enter()?;
        let negated = self.not_expr()?;
        self.depth -= 1;
        Ok(single("$nor", Value::Array(vec![negated])))
    }

    /// `atom := "(" expr ")" | NAME op VALUE | NAME "in" LIST | NAME "not" "in" LIST`
    pub(super) fn atom(&mut self) -> Result<Value, QueryError> {
        match &self.peek().tok {
            Tok::LParen => {
                self.advance();
                self.enter()?;
                let inner = self.or_expr()?;
                self.expect(&Tok::RParen, "')'")?;
                self.depth -= 1;
                Ok(inner)
            }
            Tok::Name(name) if !KEYWORDS.contains(&name.as_str()) => {
                let field = name.clone();
                self.advance();
                self.comparison(field)
            }
            _ => Err(self.expected("a field name or '('")),
        }
    }

    /// What follows a field name: a comparison, `in` or `not in`.
    pub(super) fn comparison(&mut self, field: String) -> Result<Value, QueryError> {
        let condition = match self.peek().tok.clone() {
            Tok::Cmp(op) => {
                self.advance();
                let value = self.value()?;
                match op {
                    "==" => value,
                    "!=" => single("$ne", value),
                    ">" => single("$gt", value),
                    ">=" => single("$gte", value),
                    "<" => single("$lt", value),
                    _ => single("$lte", value),
                }
            }
            Tok::Name(word) if word == "in" => {
                self.advance();
                single("$in", self.list()?)
            }
            Tok::Name(word) if word == "not" => {
                self.advance();
                if !self.at_word("in") {
                    return Err(self.expected("'in' after 'not'"));
                }
                self.advance();
                single("$nin", self.list()?)
            }
            _ => return Err(self.expected("a comparison (==, !=, >, >=, <, <=, in, not in)")),
        };
        Ok(single(&field, condition))
    }

    /// A list value (after `in` / `not in`).
    pub(super) fn list(&mut self) -> Result<Value, QueryError> {
        if self.peek().tok != Tok::LBracket {
            return Err(self.expected("a list [...]"));
        }
        self.value()
    }

    /// `VALUE := STRING | NUMBER | True | False | None | LIST | ObjectId("…") | datetime(y, m, d[, H, M, S])`
    pub(super) fn value(&mut self) -> Result<Value, QueryError> {
        let value = match self.peek().tok.clone() {
            Tok::Str(text) => Value::String(text),
            Tok::Num(number) => Value::Number(number),
            Tok::Name(word) => match word.as_str() {
                "True" | "true" => Value::Bool(true),
                "False" | "false" => Value::Bool(false),
                "None" | "null" => Value::Null,
                "ObjectId" => return self.object_id(),
                "datetime" => return self.datetime(),
                _ => return Err(self.expected("a value")),
            },
            Tok::LBracket => {
                self.advance();
                self.enter()?;
                let mut items = Vec::new();
                while !self.eat(&Tok::RBracket) {
                    if items.len() == MAX_LIST_ITEMS {
                        return Err(self.expected(&format!("at most {MAX_LIST_ITEMS} values in a list, and ']'")));
                    }
                    items.push(self.value()?);
                    if !self.eat(&Tok::Comma) && self.peek().tok != Tok::RBracket {
                        return Err(self.expected("',' or ']'"));
                    }
                }
                self.depth -= 1;
                return Ok(Value::Array(items));
            }
            _ => return Err(self.expected("a value")),
        };
        self.advance();
        Ok(value)
    }

    /// `ObjectId("…")` → the id's hex string (checked here, so that a bad id
    /// is reported at its column).
    pub(super) fn object_id(&mut self) -> Result<Value, QueryError> {
        let column = self.peek().column;
        self.advance();
        self.expect(&Tok::LParen, "'(' after ObjectId")?;
        let Tok::Str(hex) = self.peek().tok.clone() else {
            return Err(self.expected("a quoted id"));
        };
        let id = parse_object_id(&hex)
            .ok_or_else(|| error(self.param, format!("ObjectId at column {column} needs 24 hex digits")))?;
        self.advance();
        self.expect(&Tok::RParen, "')'")?;
        Ok(Value::String(id.to_hex()))
    }

    /// `datetime(2013, 4, 2, 10, 29, 13)` (UTC, 3 to 6 numbers) → its RFC 1123 string.
    pub(super) fn datetime(&mut self) -> Result<Value, QueryError> {
        let column = self.peek().column;
        self.advance();
        self.expect(&Tok::LParen, "'(' after datetime")?;
        let mut parts = Vec::new();
        while !self.eat(&Tok::RParen) {
            match &self.peek().tok {
                Tok::Num(n) if parts.len() < 6 && n.is_i64() => parts.push(n.as_i64().unwrap_or_default()),
                _ => return Err(self.expected("a whole number or ')'")),
            }
            self.advance();
            if !self.eat(&Tok::Comma) && self.peek().tok != Tok::RParen {
                return Err(self.expected("',' or ')'"));
            }
        }
        datetime_string(&parts).map(Value::String).ok_or_else(|| {
            error(
                self.param,
                format!("datetime at column {column} needs a valid year, month, day[, hour, minute, second]"),
            )
        })
    }
}

/// `{key: value}`.
pub(super) fn single(key: &str, value: Value) -> Value {
    let mut map = Map::new();
    map.insert(key.to_owned(), value);
    Value::Object(map)
}

/// One term as it is, several under `$and` / `$or`.
pub(super) fn combine(operator: &str, mut terms: Vec<Value>) -> Value {
    if terms.len() == 1 {
        terms.remove(0)
    } else {
        single(operator, Value::Array(terms))
    }
}

/// The RFC 1123 string of `datetime(year, month, day[, hour, minute, second])`, UTC.
pub(super) fn datetime_string(parts: &[i64]) -> Option<String> {
    if parts.len() < 3 {
        return None;
    }
    let part = |i: usize| u32::try_from(parts.get(i).copied().unwrap_or(0)).ok();
    let date = chrono::NaiveDate::from_ymd_opt(i32::try_from(parts[0]).ok()?, part(1)?, part(2)?)?;
    let time = date.and_hms_opt(part(3)?, part(4)?, part(5)?)?;
    Some(rfc1123(DateTime::from_millis(time.and_utc().timestamp_millis())))
}
