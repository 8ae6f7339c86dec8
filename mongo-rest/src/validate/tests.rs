//! Tests of body validation: types, rules, defaults, computed fields, the
//! keys a body may not hold, and the `PATCH` merge.

use std::path::Path;

use mongodb::bson::{doc, oid::ObjectId, DateTime};
use serde_json::json;

use super::*;
use crate::domain::Domain;

/// A resource that exercises every rule; `pets` is a list of dicts,
/// `address` a dict with a schema, `meta` a free-form dict.
const PEOPLE: &str = r#"
    [resources.people]
    resource_methods = ["GET", "POST"]
    [resources.people.schema]
    name = { type = "string", required = true, minlength = 2, maxlength = 5 }
    age = { type = "integer", min = 0, max = 150 }
    ratio = { type = "float", min = 0.5 }
    amount = { type = "number", allowed = [1, 2.5, 10] }
    active = { type = "boolean", default = true }
    born = { type = "datetime", default = "Tue, 02 Apr 2013 10:29:13 GMT" }
    friend = { type = "objectid", data_relation = { resource = "people" } }
    code = { type = "string", maxlength = 5, regex = "[a-z]+[0-9]" }
    role = { type = "string", allowed = ["admin", "user"], default = "user" }
    nickname = { type = "string", nullable = true }
    tags = { type = "list", minlength = 1, maxlength = 3, allowed = ["a", "b", "cé"], items = { type = "string", maxlength = 2 } }
    scores = { type = "list", items = { type = "integer", min = 0 } }
    anything = { type = "list" }
    meta = { type = "dict" }
    secret = { type = "string", readonly = true }
    email = { type = "string", unique = true }
    [resources.people.schema.address]
    type = "dict"
    nullable = true
    [resources.people.schema.address.schema]
    city = { type = "string", required = true }
    zip = { type = "string", regex = "[0-9]{5}" }
    country = { type = "string", default = "FR" }
    geo = { type = "dict", schema = { lat = { type = "float" }, lon = { type = "float" } } }
    [resources.people.schema.pets]
    type = "list"
    [resources.people.schema.pets.items]
    type = "dict"
    schema = { kind = { type = "string", required = true }, legs = { type = "integer", default = 4 } }

    [resources.notes]
    allow_unknown = true
    [resources.notes.schema]
    text = { type = "string" }
"#;

fn validator(resource: &str) -> Validator {
    let domain = Domain::parse(PEOPLE).unwrap();
    Validator::new(domain.resource(resource).unwrap()).unwrap()
}

/// The test domain's posts (`tests/domain.toml`), shaped like reddit's.
fn reddit() -> (Resource, Validator) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/domain.toml");
    let posts = Domain::load(&path).unwrap().resource("posts").unwrap().clone();
    let validator = Validator::new(&posts).unwrap();
    (posts, validator)
}

/// The issues of a body that must fail.
fn issues(validator: &Validator, body: Value, mode: Mode) -> Issues {
    validator.validate(&body, mode).unwrap_err()
}

/// The one issue of a body that must fail with exactly one.
fn issue(validator: &Validator, body: Value, mode: Mode) -> (String, String) {
    let issues = issues(validator, body, mode);
    assert_eq!(issues.len(), 1, "{issues:?}");
    issues.into_iter().next().unwrap()
}

fn one(key: &str, message: &str) -> (String, String) {
    (key.to_owned(), message.to_owned())
}

#[test]
fn the_body_must_be_an_object() {
    let people = validator("people");
    for body in [json!([1]), json!("x"), json!(null)] {
        assert_eq!(issue(&people, body, Mode::Create), one("_body", "expected a JSON object"));
    }
}

#[test]
fn each_type_is_converted_to_its_bson_type() {
    let people = validator("people");
    let id = "4b43a616a1b588c68c000000";
    let body = json!({"name": "Ann", "age": 30, "ratio": 1, "amount": 2.5, "active": false,
        "born": "Thu, 01 Jan 1970 00:00:00 GMT", "friend": id, "scores": [1, 2]});
    let document = people.validate(&body, Mode::Create).unwrap().document;
    assert_eq!(document.get("age"), Some(&Bson::Int64(30)));
    assert_eq!(document.get("ratio"), Some(&Bson::Double(1.0)));
    assert_eq!(document.get("amount"), Some(&Bson::Double(2.5)));
    assert_eq!(document.get("active"), Some(&Bson::Boolean(false)));
    assert_eq!(document.get("born"), Some(&Bson::DateTime(DateTime::from_millis(0))));
    assert_eq!(document.get("friend"), Some(&Bson::ObjectId(ObjectId::parse_str(id).unwrap())));
    assert_eq!(document.get("scores"), Some(&Bson::Array(vec![Bson::Int64(1), Bson::Int64(2)])));

    let mismatch = |field: &str, value: Value| {
        let (key, message) = issue(&people, json!({"name": "Ann", field: value}), Mode::Create);
        assert_eq!(key, field);
        message
    };
    assert_eq!(mismatch("age", json!(1.5)), "must be of integer type");
    assert_eq!(mismatch("age", json!("1")), "must be of integer type");
    assert_eq!(mismatch("ratio", json!("x")), "must be of float type");
    assert_eq!(mismatch("amount", json!(true)), "must be of number type");
    assert_eq!(mismatch("active", json!(1)), "must be of boolean type");
    assert_eq!(mismatch("born", json!("1970-01-01")), "must be of datetime type (an RFC 1123 date)");
    assert_eq!(mismatch("friend", json!("4b43")), "must be of objectid type (24 hex digits)");
    assert_eq!(mismatch("name", json!(7)), "must be of string type");
    assert_eq!(mismatch("tags", json!("a")), "must be of list type");
    assert_eq!(mismatch("address", json!(["x"])), "must be of dict type");
    assert_eq!(mismatch("meta", json!(1)), "must be of dict type");
}

#[test]
fn required_fields_are_enforced_on_create_and_replace_only() {
    let people = validator("people");
    for mode in [Mode::Create, Mode::Replace] {
        assert_eq!(issue(&people, json!({"age": 3}), mode), one("name", "required field"));
    }
    let patch = people.validate(&json!({"age": 3}), Mode::Patch).unwrap();
    assert_eq!(patch.document, doc! {"age": 3_i64});
    // Fields with a default are never missing (`role`, `active`, `born`).
    assert!(people.validate(&json!({"name": "Ann"}), Mode::Create).is_ok());
}

#[test]
fn defaults_are_applied_on_create_and_replace_but_not_on_patch() {
    let people = validator("people");
    for mode in [Mode::Create, Mode::Replace] {
        let document = people.validate(&json!({"name": "Ann"}), mode).unwrap().document;
        assert_eq!(document.get("active"), Some(&Bson::Boolean(true)));
        assert_eq!(document.get("role"), Some(&Bson::String("user".into())));
        // Datetime defaults are written as RFC 1123 strings in TOML.
        assert_eq!(document.get("born"), Some(&Bson::DateTime(DateTime::from_millis(1_364_898_553_000))));
        assert_eq!(document.get("age"), None);
    }
    let given = people.validate(&json!({"name": "Ann", "role": "admin"}), Mode::Create).unwrap();
    assert_eq!(given.document.get_str("role"), Ok("admin"));
    let patch = people.validate(&json!({"name": "Ann"}), Mode::Patch).unwrap();
    assert_eq!(patch.document, doc! {"name": "Ann"});
}

#[test]
fn defaults_that_the_field_would_refuse_stop_startup() {
    let cases = [
        ("type = \"string\"\nmaxlength = 2\ndefault = \"abc\"", "schema.f.default: max length is 2"),
        ("type = \"string\"\nallowed = [\"a\"]\ndefault = \"b\"", "unallowed value b"),
        ("type = \"datetime\"\ndefault = \"2013-04-02\"", "must be of datetime type"),
        ("type = \"datetime\"\ndefault = 2013-04-02T10:29:13Z", "RFC 1123"),
        ("type = \"integer\"\nallowed = [\"x\"]", "schema.f.allowed"),
        ("type = \"string\"\nmin = 1", "numbers only"),
        ("type = \"integer\"\nregex = \"x\"", "strings only"),
        ("type = \"string\"\ncomputed = { function = \"keywords\", from = [\"g\"] }", "list of strings"),
    ];
    for (rules, expected) in cases {
        let text = format!("[resources.a.schema.g]\ntype = \"string\"\n[resources.a.schema.f]\n{rules}");
        let domain = Domain::parse(&text).unwrap();
        let error = Validator::new(domain.resource("a").unwrap()).unwrap_err();
        assert!(error.contains(expected), "{rules}: {error}");
    }
}

#[test]
fn null_is_stored_only_where_nullable() {
    let people = validator("people");
    let document = people.validate(&json!({"name": "Ann", "nickname": null}), Mode::Create).unwrap().document;
    assert_eq!(document.get("nickname"), Some(&Bson::Null));
    assert_eq!(issue(&people, json!({"name": null}), Mode::Create), one("name", "null value not allowed"));
    assert_eq!(issue(&people, json!({"age": null}), Mode::Patch), one("age", "null value not allowed"));
    // A nullable dict set to null is set whole, not flattened.
    let patch = people.validate(&json!({"address": null}), Mode::Patch).unwrap();
    assert_eq!(patch.document, doc! {"address": Bson::Null});
}

#[test]
fn numbers_respect_min_and_max() {
    let people = validator("people");
    assert_eq!(issue(&people, json!({"age": -1}), Mode::Patch), one("age", "min value is 0"));
    assert_eq!(issue(&people, json!({"age": 151}), Mode::Patch), one("age", "max value is 150"));
    assert_eq!(issue(&people, json!({"ratio": 0.25}), Mode::Patch), one("ratio", "min value is 0.5"));
    assert!(people.validate(&json!({"age": 0, "ratio": 0.5}), Mode::Patch).is_ok());
    assert!(people.validate(&json!({"age": 150}), Mode::Patch).is_ok());
}

#[test]
fn lengths_count_characters_and_items() {
    let people = validator("people");
    // Five characters, ten bytes: within maxlength = 5.
    assert!(people.validate(&json!({"name": "ééééé"}), Mode::Patch).is_ok());
    assert_eq!(issue(&people, json!({"name": "éééééé"}), Mode::Patch), one("name", "max length is 5"));
    assert_eq!(issue(&people, json!({"name": "é"}), Mode::Patch), one("name", "min length is 2"));
    assert_eq!(issue(&people, json!({"tags": []}), Mode::Patch), one("tags", "min length is 1"));
    assert_eq!(issue(&people, json!({"tags": ["a", "b", "a", "b"]}), Mode::Patch), one("tags", "max length is 3"));
    // Item rules apply to each item, under `field.N`.
    assert!(people.validate(&json!({"tags": ["cé"]}), Mode::Patch).is_ok());
    assert_eq!(issue(&people, json!({"tags": ["a", "b", "abc"]}), Mode::Patch), one("tags.2", "max length is 2"));
}

#[test]
fn allowed_values_are_compared_by_value() {
    let people = validator("people");
    assert_eq!(issue(&people, json!({"role": "root"}), Mode::Patch), one("role", "unallowed value root"));
    assert_eq!(issue(&people, json!({"amount": 3}), Mode::Patch), one("amount", "unallowed value 3"));
    // `10` in the domain file and `10.0` in a body are the same number.
    for amount in [json!(1), json!(1.0), json!(2.5), json!(10.0)] {
        assert!(people.validate(&json!({"amount": amount}), Mode::Patch).is_ok(), "{amount}");
    }
    // For lists, every item must be allowed.
    assert_eq!(issue(&people, json!({"tags": ["a", "x", "y"]}), Mode::Patch), one("tags", "unallowed values x, y"));
}

#[test]
fn regexes_must_match_the_whole_string() {
    let people = validator("people");
    assert!(people.validate(&json!({"code": "abc1"}), Mode::Patch).is_ok());
    for code in ["abc1x", "1abc1", "abc", ""] {
        assert_eq!(
            issue(&people, json!({"code": code}), Mode::Patch),
            one("code", "value does not match regex '[a-z]+[0-9]'"),
            "{code}"
        );
    }
    let (_, posts) = reddit();
    assert_eq!(issue(&posts, json!({"name": "t3_abc!"}), Mode::Patch).1, "value does not match regex '^t3_[a-z0-9]+$'");
}

#[test]
fn read_only_and_meta_fields_are_refused() {
    let people = validator("people");
    assert_eq!(issue(&people, json!({"secret": "x"}), Mode::Patch), one("secret", READ_ONLY));
    for meta in ["_id", "_created", "_updated", "_etag", "_links", "_status"] {
        assert_eq!(issue(&people, json!({"name": "Ann", meta: "x"}), Mode::Create), one(meta, READ_ONLY));
    }
    let reserved = issue(&people, json!({"name": "Ann", "_deleted": true}), Mode::Create);
    assert_eq!(reserved, one("_deleted", "field names starting with '_' are reserved"));
    // Computed fields are read-only, even when not marked so.
    let (_, posts) = reddit();
    assert_eq!(issue(&posts, json!({"keywords": ["x"]}), Mode::Patch), one("keywords", READ_ONLY));
    let notes = validator("notes");
    assert_eq!(issue(&notes, json!({"_id": "x"}), Mode::Create), one("_id", READ_ONLY));
}

#[test]
fn unknown_fields_are_refused_unless_allowed() {
    let people = validator("people");
    assert_eq!(issue(&people, json!({"name": "Ann", "color": "red"}), Mode::Create), one("color", "unknown field"));
    assert_eq!(
        issue(&people, json!({"address": {"city": "x", "planet": "Mars"}}), Mode::Patch),
        one("address.planet", "unknown field")
    );
    let notes = validator("notes");
    let body = json!({"text": "hi", "color": "red", "n": 2, "when": "Thu, 01 Jan 1970 00:00:00 GMT", "deep": {"a": [1, {"b": null}]}});
    let document = notes.validate(&body, Mode::Create).unwrap().document;
    // Unknown fields are stored untyped: the date stays a string.
    assert_eq!(
        document,
        doc! {"text": "hi", "color": "red", "n": 2_i64, "when": "Thu, 01 Jan 1970 00:00:00 GMT", "deep": {"a": [1_i64, {"b": Bson::Null}]}}
    );
}

#[test]
fn operator_keys_are_refused_at_every_depth() {
    let people = validator("people");
    let notes = validator("notes");
    let dollar = "field names may not contain '$', '.' or NUL";
    assert_eq!(issue(&people, json!({"$where": "1"}), Mode::Patch), one("$where", dollar));
    assert_eq!(issue(&notes, json!({"$where": "1"}), Mode::Patch), one("$where", dollar));
    assert_eq!(issue(&notes, json!({"a.b": 1}), Mode::Patch), one("a.b", dollar));
    // A typed field refuses an operator by its type.
    assert_eq!(issue(&people, json!({"age": {"$inc": 1}}), Mode::Patch), one("age", "must be of integer type"));
    // A dict with a schema, a dict without, lists without item rules,
    // and unknown fields under allow_unknown: all checked all the way down.
    assert_eq!(issue(&people, json!({"address": {"$set": 1}}), Mode::Patch), one("address.$set", dollar));
    assert_eq!(issue(&people, json!({"meta": {"a": {"b": {"$gt": 1}}}}), Mode::Patch), one("meta.a.b.$gt", dollar));
    assert_eq!(
        issue(&people, json!({"anything": [1, {"x": {"$ne": 1}}]}), Mode::Patch),
        one("anything.1.x.$ne", dollar)
    );
    assert_eq!(issue(&notes, json!({"x": [[{"a$": 1}]]}), Mode::Patch), one("x.0.0.a$", dollar));
    assert_eq!(issue(&notes, json!({"x": {"": 1}}), Mode::Patch), one("x.", "field names may not be empty"));
    assert_eq!(issue(&notes, json!({"x": {"a\u{0}": 1}}), Mode::Patch).1, dollar);
    // Nested `_` keys are ordinary keys.
    assert!(notes.validate(&json!({"x": {"_a": 1}}), Mode::Patch).is_ok());
}

#[test]
fn nested_dicts_are_validated_and_patches_merge_them() {
    let people = validator("people");
    let body = json!({"name": "Ann", "address": {"city": "Lyon", "geo": {"lat": 45.75}}});
    let document = people.validate(&body, Mode::Create).unwrap().document;
    // Nested defaults apply when the dict is given.
    assert_eq!(
        document.get_document("address").unwrap(),
        &doc! {"city": "Lyon", "geo": {"lat": 45.75}, "country": "FR"}
    );
    assert_eq!(
        issue(&people, json!({"name": "Ann", "address": {"zip": "69001"}}), Mode::Create),
        one("address.city", "required field")
    );
    assert_eq!(
        issue(&people, json!({"address": {"geo": {"lat": "north"}}}), Mode::Patch),
        one("address.geo.lat", "must be of float type")
    );
    // A PATCH merges dicts through dotted paths, without nested required
    // fields or defaults; a list is set whole.
    let patch =
        people.validate(&json!({"address": {"geo": {"lon": 4.85}, "zip": "69001"}, "scores": [3]}), Mode::Patch);
    assert_eq!(
        patch.unwrap(),
        Validated {
            document: doc! {"address.geo.lon": 4.85, "address.zip": "69001", "scores": [3_i64]},
            recompute: vec![]
        }
    );
    // An empty dict merges nothing.
    assert_eq!(people.validate(&json!({"address": {}}), Mode::Patch).unwrap().document, doc! {});
    // Free-form dicts merge too.
    assert_eq!(
        people.validate(&json!({"meta": {"a": {"b": 1}}}), Mode::Patch).unwrap().document,
        doc! {"meta.a.b": 1_i64}
    );
}

#[test]
fn list_items_are_validated_as_whole_values() {
    let people = validator("people");
    let body = json!({"pets": [{"kind": "cat"}, {"legs": 2}, {"kind": "bird", "legs": "two"}, 3]});
    let issues = issues(&people, body, Mode::Patch);
    assert_eq!(
        issues,
        Issues::from([
            one("pets.1.kind", "required field"),
            one("pets.2.legs", "must be of integer type"),
            one("pets.3", "must be of dict type"),
        ])
    );
    // Even in a PATCH the list is written whole: item defaults apply.
    let patch = people.validate(&json!({"pets": [{"kind": "cat"}]}), Mode::Patch).unwrap();
    assert_eq!(patch.document, doc! {"pets": [{"kind": "cat", "legs": 4_i64}]});
    assert_eq!(issue(&people, json!({"scores": [1, -1]}), Mode::Patch), one("scores.1", "min value is 0"));
}

#[test]
fn every_issue_is_reported_at_once() {
    let people = validator("people");
    let body =
        json!({"age": -3, "code": "?", "_id": "x", "color": 1, "name": "abcdefgh", "tags": [1], "address": {"zip": 5}});
    assert_eq!(
        issues(&people, body, Mode::Create),
        Issues::from([
            one("_id", READ_ONLY),
            one("address.city", "required field"),
            one("address.zip", "must be of string type"),
            one("age", "min value is 0"),
            one("code", "value does not match regex '[a-z]+[0-9]'"),
            one("color", "unknown field"),
            one("name", "max length is 5"),
            one("tags.0", "must be of string type"),
        ])
    );
    // Several problems with one field share its entry, joined by "; ".
    let tags = issue(&people, json!({"tags": ["a", "b", "x", "y"]}), Mode::Patch);
    assert_eq!(tags, one("tags", "max length is 3; unallowed values x, y"));
    let code = issue(&people, json!({"code": "abcdefg"}), Mode::Patch);
    assert_eq!(code, one("code", "max length is 5; value does not match regex '[a-z]+[0-9]'"));
}

#[test]
fn nesting_is_limited() {
    let notes = validator("notes");
    let nested = |levels: usize| {
        let mut value = json!(1);
        for _ in 0..levels {
            value = json!({ "a": value });
        }
        json!({ "deep": value })
    };
    // The body is level 1, so `deep` may hold 31 levels of objects.
    assert!(notes.validate(&nested(31), Mode::Create).is_ok());
    let (key, message) = issue(&notes, nested(40), Mode::Create);
    assert_eq!(key, format!("deep{}", ".a".repeat(31)));
    assert_eq!(message, "too deeply nested (max depth is 32)");
    let people = validator("people");
    let mut list = json!([]);
    for _ in 0..40 {
        list = json!([list]);
    }
    assert!(issue(&people, json!({ "anything": list }), Mode::Patch).1.starts_with("too deeply nested"));
}

#[test]
fn unique_fields_are_listed_for_the_caller() {
    assert_eq!(validator("people").unique_fields(), ["email"]);
    assert_eq!(reddit().1.unique_fields(), ["name"]);
}

#[test]
fn a_reddit_post_gets_its_defaults_and_keywords() {
    let (_, posts) = reddit();
    let body = json!({"name": "t3_abc", "author": "alice", "title": "Running with Rust",
        "created_utc": "Tue, 02 Apr 2013 10:29:13 GMT", "selftext": "Borrow checker tips", "view_count": null});
    let validated = posts.validate(&body, Mode::Create).unwrap();
    let document = validated.document;
    assert_eq!(document.get_i64("score"), Ok(0));
    assert_eq!(document.get_str("subreddit"), Ok("Python"));
    assert_eq!(document.get_str("source"), Ok("reddit"));
    assert_eq!(document.get("view_count"), Some(&Bson::Null));
    assert_eq!(document.get_datetime("created_utc"), Ok(&DateTime::from_millis(1_364_898_553_000)));
    let keywords: Vec<Bson> =
        datasets::keywords("Running with Rust Borrow checker tips").into_iter().map(Bson::String).collect();
    assert!(!keywords.is_empty());
    assert_eq!(document.get_array("keywords"), Ok(&keywords));
    assert!(validated.recompute.is_empty());
    assert!(!document.contains_key("_id"));

    let missing = issues(&posts, json!({"title": ""}), Mode::Create);
    assert_eq!(
        missing,
        Issues::from([
            one("author", "required field"),
            one("created_utc", "required field"),
            one("name", "required field"),
            one("title", "min length is 1"),
        ])
    );
    assert_eq!(issue(&posts, json!({"source": "usenet"}), Mode::Patch), one("source", "unallowed value usenet"));
    assert_eq!(issue(&posts, json!({"ups": -1}), Mode::Patch), one("ups", "min value is 0"));
}

#[test]
fn a_patch_of_a_source_field_asks_for_recomputing() {
    let (resource, posts) = reddit();
    let patch = posts.validate(&json!({"title": "Async Rust explained"}), Mode::Patch).unwrap();
    assert_eq!(
        patch,
        Validated { document: doc! {"title": "Async Rust explained"}, recompute: vec!["keywords".into()] }
    );
    assert!(posts.validate(&json!({"score": 5}), Mode::Patch).unwrap().recompute.is_empty());

    // What the caller then does: merge into the stored document, recompute.
    let mut stored = doc! {"title": "Old", "selftext": "tokio runtime", "keywords": ["old"], "score": 1_i64};
    apply_set(&mut stored, &patch.document);
    apply_computed(&resource, &mut stored);
    let expected: Vec<Bson> =
        datasets::keywords("Async Rust explained tokio runtime").into_iter().map(Bson::String).collect();
    assert_eq!(stored.get_array("keywords"), Ok(&expected));
    assert_eq!(stored.get_i64("score"), Ok(1));
}

#[test]
fn apply_set_merges_dotted_paths_like_eve() {
    let mut stored = doc! {"address": {"city": "Lyon", "zip": "69001"}, "geo": Bson::Null, "n": 1_i64};
    let set = doc! {"address.city": "Paris", "geo.lat": 1.5, "n": 2_i64, "new.deep.key": "x", "tags": ["a"]};
    apply_set(&mut stored, &set);
    assert_eq!(
        stored,
        doc! {"address": {"city": "Paris", "zip": "69001"}, "geo": {"lat": 1.5}, "n": 2_i64, "new": {"deep": {"key": "x"}}, "tags": ["a"]}
    );
}
