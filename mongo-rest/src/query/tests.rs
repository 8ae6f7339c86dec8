//! Tests of the query string: both `where` syntaxes, the refusals, `sort`,
//! `projection` and `embedded`.

use super::*;
use crate::domain::{Domain, Resource};
use mongodb::bson::{doc, oid::ObjectId, DateTime, Document};

const DOMAIN: &str = r#"
    [resources.posts]
    allowed_filters = ["title", "author", "score", "num_comments", "ratio", "created_utc", "tags",
                       "comments", "author_id", "related", "address", "extra", "view_count"]
    regex_filters = ["title", "comments.body"]
    hidden_fields = ["keywords"]
    [resources.posts.schema]
    title = { type = "string" }
    author = { type = "string" }
    selftext = { type = "string" }
    score = { type = "integer" }
    num_comments = { type = "integer" }
    ratio = { type = "float" }
    view_count = { type = "integer", nullable = true }
    created_utc = { type = "datetime" }
    tags = { type = "list", items = { type = "string" } }
    keywords = { type = "list", items = { type = "string" } }
    author_id = { type = "objectid", data_relation = { resource = "users", embeddable = true } }
    editor_id = { type = "objectid", data_relation = { resource = "users" } }
    related = { type = "list", items = { type = "objectid", data_relation = { resource = "posts", embeddable = true } } }
    address = { type = "dict", schema = { city = { type = "string" } } }
    extra = { type = "dict" }
    [resources.posts.schema.comments]
    type = "list"
    items = { type = "dict", schema = { body = { type = "string" }, by = { type = "objectid" }, votes = { type = "integer" } } }

    [resources.users.schema]
    name = { type = "string" }
"#;

const ID: &str = "4b43a616a1b588c68c000000";
const ID2: &str = "5f0c2a9e8b3c4d5e6f708192";
const DATE: &str = "Tue, 02 Apr 2013 10:29:13 GMT";

fn posts() -> Resource {
    Domain::parse(DOMAIN).unwrap().resource("posts").unwrap().clone()
}

fn filter(text: &str) -> Result<Document, QueryError> {
    parse_where(text, &posts())
}

/// The message of a refused `where`, checked to name the parameter.
fn refused(text: &str) -> String {
    let e = filter(text).expect_err(text);
    assert_eq!(e.param, "where", "{text}");
    let shown = e.to_string();
    assert!(shown.starts_with("invalid where: "), "{shown}");
    shown
}

fn oid(hex: &str) -> ObjectId {
    ObjectId::parse_str(hex).unwrap()
}

#[test]
fn both_syntaxes_give_the_same_filter() {
    let expected = doc! { "$and": [
        { "score": { "$gt": 50_i64 } },
        { "$or": [ { "author": "x" }, { "num_comments": { "$gte": 10_i64 } } ] },
    ] };
    let python = filter(r#"score > 50 and (author == "x" or num_comments >= 10)"#).unwrap();
    let json =
        filter(r#"{"$and": [{"score": {"$gt": 50}}, {"$or": [{"author": "x"}, {"num_comments": {"$gte": 10}}]}]}"#)
            .unwrap();
    assert_eq!(python, expected);
    assert_eq!(json, expected);
    assert_eq!(filter("  ").unwrap(), Document::new());
    assert_eq!(filter("{}").unwrap(), Document::new());
}

#[test]
fn python_operators_map_to_mongodb_ones() {
    assert_eq!(filter("score != 3").unwrap(), doc! { "score": { "$ne": 3_i64 } });
    assert_eq!(filter("score < -1.5").unwrap(), doc! { "score": { "$lt": -1.5 } });
    assert_eq!(filter("score <= 2e1").unwrap(), doc! { "score": { "$lte": 20.0 } });
    assert_eq!(filter("ratio == 2").unwrap(), doc! { "ratio": 2.0 });
    assert_eq!(filter(r#"tags in ["a", 'b\'c', "\u00e9"]"#).unwrap(), doc! { "tags": { "$in": ["a", "b'c", "é"] } });
    assert_eq!(filter("tags not in ['x',]").unwrap(), doc! { "tags": { "$nin": ["x"] } });
    assert_eq!(
        filter("not score > 5 and view_count == None").unwrap(),
        doc! { "$and": [ { "$nor": [ { "score": { "$gt": 5_i64 } } ] }, { "view_count": null } ] }
    );
    assert_eq!(
        filter("address.city == 'Oslo' or title == True or title == false").unwrap(),
        doc! { "$or": [ { "address.city": "Oslo" }, { "title": true }, { "title": false } ] }
    );
}

#[test]
fn ids_and_dates_are_converted_by_the_schema() {
    let by_id = doc! { "_id": oid(ID) };
    assert_eq!(filter(&format!(r#"{{"_id": "{ID}"}}"#)).unwrap(), by_id);
    assert_eq!(filter(&format!(r#"_id == ObjectId("{ID}")"#)).unwrap(), by_id);
    assert_eq!(filter(&format!(r#"_id == "{ID}""#)).unwrap(), by_id);
    assert_eq!(
        filter(&format!(r#"{{"author_id": {{"$in": ["{ID}", "{ID2}"], "$ne": "{ID2}"}}}}"#)).unwrap(),
        doc! { "author_id": { "$in": [oid(ID), oid(ID2)], "$ne": oid(ID2) } }
    );
    // A list of ids compares its items; `in` takes ObjectId(…) too.
    assert_eq!(
        filter(&format!(r#"related in [ObjectId("{ID}"), "{ID2}"]"#)).unwrap(),
        doc! { "related": { "$in": [oid(ID), oid(ID2)] } }
    );
    // A string field keeps hex strings as strings.
    assert_eq!(filter(&format!(r#"title == "{ID}""#)).unwrap(), doc! { "title": ID });

    let date = DateTime::from_millis(1_364_898_553_000);
    let expected = doc! { "created_utc": { "$gt": date } };
    assert_eq!(filter(&format!(r#"{{"created_utc": {{"$gt": "{DATE}"}}}}"#)).unwrap(), expected);
    assert_eq!(filter("created_utc > datetime(2013, 4, 2, 10, 29, 13)").unwrap(), expected);
    assert_eq!(
        filter("_created >= datetime(2013, 4, 2)").unwrap(),
        doc! { "_created": { "$gte": DateTime::from_millis(1_364_860_800_000) } }
    );
    // Inside $elemMatch the items' schema types the subfields.
    assert_eq!(
        filter(&format!(r#"{{"comments": {{"$elemMatch": {{"by": "{ID}", "votes": {{"$gt": 2}}}}}}}}"#)).unwrap(),
        doc! { "comments": { "$elemMatch": { "by": oid(ID), "votes": { "$gt": 2_i64 } } } }
    );

    // Malformed ids and dates name the field.
    assert!(refused(r#"{"_id": "4b43"}"#).contains("_id"));
    assert!(refused(r#"{"author_id": {"$in": ["nothex"]}}"#).contains("author_id"));
    assert!(refused(r#"{"author_id": 12}"#).contains("author_id"));
    assert!(refused(r#"created_utc > "yesterday""#).contains("created_utc"));
    assert!(refused(r#"_id == ObjectId("xyz")"#).contains("ObjectId at column 8"));
    assert!(refused("created_utc > datetime(2013, 13, 2)").contains("datetime at column 15"));
}

#[test]
fn untyped_fields_get_eves_guess() {
    assert_eq!(
        filter(&format!(r#"{{"extra.ref": "{ID}", "extra.at": "{DATE}", "extra.name": "bob", "extra.n": 2}}"#))
            .unwrap(),
        doc! {
            "extra.ref": oid(ID),
            "extra.at": DateTime::from_millis(1_364_898_553_000),
            "extra.name": "bob",
            "extra.n": 2_i64,
        }
    );
}

#[test]
fn code_running_operators_are_refused_everywhere() {
    let templates = [
        r#"{"OP": "sleep(1000)"}"#,
        r#"{"$and": [{"score": 1}, {"OP": "sleep(1000)"}]}"#,
        r#"{"$or": [{"OP": "sleep(1000)"}]}"#,
        r#"{"$nor": [{"OP": "sleep(1000)"}]}"#,
        r#"{"$and": [{"$or": [{"$nor": [{"OP": "sleep(1000)"}]}]}]}"#,
        r#"{"score": {"$not": {"OP": "sleep(1000)"}}}"#,
        r#"{"score": {"$not": {"$gt": 1, "OP": "sleep(1000)"}}}"#,
        r#"{"score": {"$gt": 1, "OP": "sleep(1000)"}}"#,
        r#"{"score": {"OP": "sleep(1000)", "plain": 1}}"#,
        r#"{"tags": {"$elemMatch": {"OP": "sleep(1000)"}}}"#,
        r#"{"comments": {"$elemMatch": {"body": "x", "OP": "sleep(1000)"}}}"#,
        r#"{"comments": {"$elemMatch": {"$and": [{"OP": "sleep(1000)"}]}}}"#,
        r#"{"comments": {"$elemMatch": {"votes": {"$not": {"OP": "sleep(1000)"}}}}}"#,
    ];
    for operator in ["$where", "$function", "$accumulator", "$expr", "$jsonSchema", "$text", "$comment", "$lookup"] {
        for template in templates {
            let text = template.replace("OP", operator);
            let message = refused(&text);
            assert!(message.contains(&format!("operator {operator} is not allowed")), "{text}: {message}");
        }
    }
    assert!(refused(r#"{"$where": "1"}"#).contains("JavaScript"));
}

#[test]
fn extended_json_and_operator_keys_in_values_are_refused() {
    assert!(refused(&format!(r#"{{"_id": {{"$oid": "{ID}"}}}}"#)).contains("$oid is not allowed"));
    assert!(refused(r#"{"title": {"$code": "function() {}"}}"#).contains("$code is not allowed"));
    assert!(refused(r#"{"title": {"$eq": {"$code": "x"}}}"#).contains("not allowed"));
    assert!(refused(r#"{"address": {"city": {"$where": "1"}}}"#).contains("not allowed"));
    assert!(refused(r#"{"score": {"$in": [{"a": [{"$where": "1"}]}]}}"#).contains("not allowed"));
    // A plain sub-document is an exact match.
    assert_eq!(filter(r#"{"address": {"city": "Oslo"}}"#).unwrap(), doc! { "address": { "city": "Oslo" } });
    // Operators in the wrong place name themselves.
    assert!(refused(r#"{"$gt": 5}"#).contains("$gt applies to a field"));
    assert!(refused(r#"{"score": {"$or": [{"a": 1}]}}"#).contains("$or combines queries"));
}

#[test]
fn regex_only_on_regex_fields() {
    assert_eq!(
        filter(r#"{"title": {"$regex": "^rust", "$options": "i"}}"#).unwrap(),
        doc! { "title": { "$regex": "^rust", "$options": "i" } }
    );
    assert_eq!(
        filter(r#"{"title": {"$not": {"$regex": "java"}}}"#).unwrap(),
        doc! { "title": { "$not": { "$regex": "java" } } }
    );
    assert!(filter(r#"{"comments": {"$elemMatch": {"body": {"$regex": "x"}}}}"#).is_ok());
    for text in [
        r#"{"author": {"$regex": "^a"}}"#,
        r#"{"author": {"$options": "i", "$regex": "^a"}}"#,
        r#"{"author": {"$not": {"$regex": "^a"}}}"#,
        r#"{"$or": [{"author": {"$regex": "^a"}}]}"#,
        r#"{"comments": {"$elemMatch": {"by": {"$regex": "^a"}}}}"#,
    ] {
        assert!(refused(text).contains("regex is not allowed on field"), "{text}");
    }
    assert!(refused(r#"{"title": {"$regex": "a", "$options": "g"}}"#).contains("unknown flag"));
    assert!(refused(r#"{"title": {"$options": "i"}}"#).contains("needs a $regex"));
    assert!(refused(r#"{"title": {"$regex": 5}}"#).contains("needs a string"));
    assert!(refused(r#"{"title": {"$regex": "("}}"#).contains("$regex on field title"));
    assert!(refused(r#"{"title": {"$regex": "a(?=b)"}}"#).contains("look-around"));
}

#[test]
fn fields_must_be_allowed_and_well_formed() {
    assert!(refused(r#"{"selftext": "x"}"#).contains("filter on field selftext is not allowed"));
    assert!(refused(r#"selftext == "x""#).contains("filter on field selftext is not allowed"));
    assert!(refused(r#"{"$or": [{"score": 1}, {"keywords": "x"}]}"#).contains("keywords"));
    assert!(refused(r#"{"ghost": 1}"#).contains("ghost"));
    assert!(refused(r#"{"": 1}"#).contains("empty field name"));
    assert!(refused(r#"{"title$x": 1}"#).contains("may not contain '$'"));
    assert!(refused(r#"{"address..city": 1}"#).contains("invalid field name"));
}

#[test]
fn operand_types_are_checked() {
    assert_eq!(
        filter(r#"{"tags": {"$size": 2, "$all": ["a", "b"], "$exists": true, "$type": ["array", 4]}}"#).unwrap(),
        doc! { "tags": { "$size": 2_i64, "$all": ["a", "b"], "$exists": true, "$type": ["array", 4] } }
    );
    assert_eq!(
        filter(r#"{"score": {"$mod": [4, 1]}, "tags": {"$elemMatch": {"$gt": "a", "$lt": "m"}}}"#).unwrap(),
        doc! { "score": { "$mod": [4_i64, 1_i64] }, "tags": { "$elemMatch": { "$gt": "a", "$lt": "m" } } }
    );
    for (text, operator) in [
        (r#"{"tags": {"$size": -1}}"#, "$size"),
        (r#"{"tags": {"$size": 1.5}}"#, "$size"),
        (r#"{"tags": {"$exists": 1}}"#, "$exists"),
        (r#"{"tags": {"$type": "bogus"}}"#, "$type"),
        (r#"{"score": {"$mod": [0, 1]}}"#, "$mod"),
        (r#"{"score": {"$mod": [3]}}"#, "$mod"),
        (r#"{"score": {"$in": 3}}"#, "$in"),
        (r#"{"score": {"$not": 3}}"#, "$not"),
        (r#"{"$or": []}"#, "$or"),
        (r#"{"$and": [1]}"#, "$and"),
        (r#"{"tags": {"$elemMatch": "a"}}"#, "$elemMatch"),
        (r#"{"comments": {"$elemMatch": {"$gt": 1, "body": "x"}}}"#, "$elemMatch"),
    ] {
        assert!(refused(text).contains(operator), "{text}");
    }
}

#[test]
fn malformed_text_is_refused_with_the_column() {
    assert!(refused(r#"{"score": "#).contains("not valid JSON"));
    assert!(refused(r#"{"score": 1} trailing"#).contains("not valid JSON"));
    assert_eq!(refused("score >= and x"), "invalid where: expected a value at column 10");
    assert!(refused("score > ").contains("expected a value at column 9"));
    assert!(refused("score > 5 and").contains("expected a field name or '(' at column 14"));
    assert!(refused("(score > 5").contains("expected ')' at column 11"));
    assert!(refused("score = 5").contains("column 7"));
    assert!(refused("score 5").contains("expected a comparison"));
    assert!(refused("score > 5 author == 'x'").contains("expected 'and', 'or' or the end at column 11"));
    assert!(refused(r#"title == "open"#).contains("unterminated string at column 10"));
    assert!(refused(r#"title == "a\qb""#).contains("unknown escape"));
    assert!(refused("title == other").contains("expected a value at column 10"));
    assert!(refused("tags in 'a'").contains("expected a list"));
    assert!(refused("tags not 'a'").contains("'in' after 'not'"));
    assert!(refused("score > 99999999999999999999").contains("out of range"));
    assert!(refused(r#"title == {"$where": "1"}"#).contains("unexpected character '{'"));
    assert!(refused("[1]").contains("expected a field name"));
}

#[test]
fn size_and_depth_are_limited() {
    let long = format!(r#"{{"title": "{}"}}"#, "a".repeat(MAX_WHERE_LEN));
    assert!(refused(&long).contains("longer than 4096"));

    let mut deep = String::from(r#"{"score": 1}"#);
    for _ in 0..10 {
        deep = format!(r#"{{"$and": [{deep}]}}"#);
    }
    assert!(refused(&deep).contains("nested deeper than 20"));
    let mut shallow = String::from(r#"{"score": 1}"#);
    for _ in 0..9 {
        shallow = format!(r#"{{"$and": [{shallow}]}}"#);
    }
    assert!(filter(&shallow).is_ok());

    let parens = format!("{}score == 1{}", "(".repeat(30), ")".repeat(30));
    assert!(refused(&parens).contains("nested deeper than 20"));
    assert!(refused(&format!("{}score == 1", "not ".repeat(30))).contains("nested deeper than 20"));

    let many: Vec<String> = (0..=MAX_LIST_ITEMS).map(|i| i.to_string()).collect();
    assert!(refused(&format!(r#"{{"score": {{"$in": [{}]}}}}"#, many.join(","))).contains("at most 1000"));
    assert!(refused(&format!("score in [{}]", many.join(","))).contains("at most 1000"));
}

#[test]
fn sort_takes_both_syntaxes_and_ends_with_id() {
    let resource = posts();
    let sort = |text: &str| parse_sort(text, &resource);
    let expected = doc! { "score": -1, "title": 1, "_id": 1 };
    assert_eq!(sort("-score, title").unwrap(), expected);
    assert_eq!(sort(r#"[("score", -1), ("title", 1)]"#).unwrap(), expected);
    assert_eq!(sort(r#"[["score", -1], ["title", 1]]"#).unwrap(), expected);
    assert_eq!(sort(r#"[["score", -1]]"#).unwrap(), doc! { "score": -1, "_id": -1 });
    assert_eq!(sort("-_created,-_id").unwrap(), doc! { "_created": -1, "_id": -1 });
    assert_eq!(sort(" _id ").unwrap(), doc! { "_id": 1 });

    let message = |text: &str| {
        let e = sort(text).expect_err(text);
        assert_eq!(e.param, "sort");
        e.to_string()
    };
    assert!(message(r#"[("score", 2)]"#).contains("expected a direction, 1 or -1, at column 12"));
    assert!(message(r#"[("score", "desc")]"#).contains("direction"));
    assert!(message("selftext").contains("sorting by field selftext is not allowed"));
    assert!(message("ghost").contains("ghost"));
    assert!(message("$where").contains("'$'"));
    assert!(message("score,-score").contains("appears twice"));
    assert!(message("").contains("empty"));
    assert!(message("score,,title").contains("empty field name"));
    assert!(message("score,title,author,tags,ratio,num_comments").contains("at most 5"));
    assert!(message(r#"[("score", -1)"#).contains("expected ',' or ']'"));
    assert_eq!(message("-"), "invalid sort: empty field name");
}

#[test]
fn projection_is_inclusive_or_exclusive_and_keeps_meta_fields() {
    let resource = posts();
    let projection = |text: &str| parse_projection(text, &resource);
    assert_eq!(
        projection(r#"{"title": 1, "address.city": true, "_id": 0}"#).unwrap(),
        doc! { "title": 1, "address.city": 1, "_id": 1, "_created": 1, "_updated": 1, "_etag": 1 }
    );
    assert_eq!(projection(r#"{"keywords": 1}"#).unwrap().get_i32("keywords"), Ok(1));
    assert_eq!(projection(r#"{"selftext": 0, "_etag": 0}"#).unwrap(), doc! { "selftext": 0, "keywords": 0 });
    assert_eq!(projection(r#"{"keywords": 0}"#).unwrap(), doc! { "keywords": 0 });
    assert_eq!(projection("{}").unwrap(), doc! { "keywords": 0 });
    assert_eq!(default_projection(&resource), Some(doc! { "keywords": 0 }));
    let users = Domain::parse(DOMAIN).unwrap().resource("users").unwrap().clone();
    assert_eq!(default_projection(&users), None);
    assert_eq!(parse_projection(r#"{"name": 0}"#, &users).unwrap(), doc! { "name": 0 });

    let message = |text: &str| {
        let e = projection(text).expect_err(text);
        assert_eq!(e.param, "projection");
        e.to_string()
    };
    assert!(message(r#"{"title": 1, "selftext": 0}"#).contains("cannot mix"));
    assert!(message(r#"{"ghost": 1}"#).contains("unknown field ghost"));
    assert!(message(r#"{"tags": {"$slice": 1}}"#).contains("$slice on tags is not allowed"));
    assert!(message(r#"{"tags.$": 1}"#).contains("positional"));
    assert!(message(r#"{"title": 2}"#).contains("must be 1 or 0"));
    assert!(message(r#"{"address": 1, "address.city": 1}"#).contains("overlap"));
    assert!(message("[1]").contains("must be a JSON object"));
    assert!(message("{title: 1}").contains("not valid JSON"));
}

#[test]
fn only_embeddable_relations_can_be_embedded() {
    let resource = posts();
    let embedded = |text: &str| parse_embedded(text, &resource);
    assert_eq!(embedded(r#"{"author_id": 1, "related": 0}"#).unwrap(), ["author_id"]);
    assert_eq!(embedded(r#"{"related": true}"#).unwrap(), ["related"]);
    assert!(embedded("{}").unwrap().is_empty());
    for (text, expected) in [
        (r#"{"editor_id": 1}"#, "field editor_id cannot be embedded"),
        (r#"{"title": 1}"#, "field title cannot be embedded"),
        (r#"{"ghost": 1}"#, "unknown field ghost"),
        (r#"{"address.city": 1}"#, "unknown field address.city"),
        (r#"{"author_id": 2}"#, "must be 1 or 0"),
        (r#"["author_id"]"#, "must be a JSON object"),
        ("author_id", "not valid JSON"),
    ] {
        let e = embedded(text).expect_err(text);
        assert_eq!(e.param, "embedded");
        assert!(e.to_string().contains(expected), "{text}: {e}");
    }
}
