//! Tests of the generated OpenAPI document, on the test domain.

use std::{collections::HashSet, path::Path};

use mongodb::{options::ClientOptions, Client};

use super::schemas::{add_rules, scalar_schema};
use super::*;
use crate::{
    aggregate,
    convert::toml_to_json,
    domain::{Domain, Field},
    routes::MAX_PAGE,
};

/// The test domain's store, aggregations and document. The client
/// never connects: the driver only connects on first use.
async fn test_domain() -> (Store, Aggregations, Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("domain.toml");
    let domain = Domain::load(&path).unwrap();
    let options = ClientOptions::parse("mongodb://127.0.0.1:27017").await.unwrap();
    let store = Store::new(Client::with_options(options).unwrap(), "openapi-test", domain).unwrap();
    let aggregations = aggregate::compile(&store.domain).unwrap();
    let document = document(&store, &aggregations);
    (store, aggregations, document)
}

/// Follows a local `$ref` (`#/components/...`), if it is one.
fn resolve<'a>(document: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(target) => document.pointer(target.trim_start_matches('#')).unwrap_or_else(|| panic!("{target}")),
        None => value,
    }
}

/// Every `$ref` anywhere in `value`.
fn refs<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                found.push(target);
            }
            map.values().for_each(|v| refs(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
        _ => {}
    }
}

/// The names of a path's operations and other keys, sorted.
fn keys(path: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = path.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

/// An operation's parameter by name, `$ref`s followed.
fn parameter<'a>(document: &'a Value, operation: &'a Value, name: &str) -> Option<&'a Value> {
    operation["parameters"].as_array()?.iter().map(|p| resolve(document, p)).find(|p| p["name"] == name)
}

#[actix_web::test]
async fn every_resource_and_aggregation_has_a_path() {
    let (store, aggregations, document) = test_domain().await;
    let paths = document["paths"].as_object().unwrap();
    for served in store.resources() {
        assert!(paths.contains_key(&format!("/{}", served.name)), "{}", served.name);
        assert!(paths.contains_key(&format!("/{}/{{id}}", served.name)), "{}", served.name);
        assert!(document["components"]["schemas"].get(format!("{}.item", served.name)).is_some());
    }
    assert!(store.resources().any(|s| s.name == "oplog"));
    for name in aggregations.keys() {
        assert!(paths.contains_key(&format!("/aggregations/{name}")), "{name}");
    }
    for path in ["/", "/health", "/openapi.json"] {
        assert!(paths.contains_key(path), "{path}");
    }
    assert_eq!(document["openapi"], "3.0.3");
    assert_eq!(document["info"]["title"], "posts and tags");
    assert_eq!(document["info"]["version"], "1.0");
}

#[actix_web::test]
async fn posts_allow_what_the_domain_allows_and_writes_need_if_match() {
    let (_, _, document) = test_domain().await;
    let collection = &document["paths"]["/posts"];
    let item = &document["paths"]["/posts/{id}"];
    assert_eq!(keys(collection), ["get", "head", "post"]);
    assert_eq!(keys(item), ["delete", "get", "head", "parameters", "patch", "put"]);
    for method in ["patch", "put", "delete"] {
        let if_match = parameter(&document, &item[method], "If-Match").unwrap_or_else(|| panic!("{method}"));
        assert_eq!((&if_match["in"], &if_match["required"]), (&json!("header"), &json!(true)));
        for status in ["404", "412", "428"] {
            assert!(item[method]["responses"].get(status).is_some(), "{method} {status}");
        }
    }
    assert!(parameter(&document, &item["get"], "If-Match").is_none());
    assert!(parameter(&document, &item["get"], "If-None-Match").is_some());
    assert!(item["get"]["responses"].get("304").is_some());
    let post_body = &collection["post"]["requestBody"]["content"]["application/json"]["schema"]["oneOf"];
    assert_eq!(post_body[0]["$ref"], "#/components/schemas/posts.document");
    assert_eq!(post_body[1]["items"]["$ref"], "#/components/schemas/posts.document");
    let patch_body = &item["patch"]["requestBody"]["content"]["application/json"]["schema"];
    assert_eq!(patch_body["$ref"], "#/components/schemas/posts.patch");
    // tags: GET/POST and GET/DELETE only.
    assert_eq!(keys(&document["paths"]["/tags"]), ["get", "head", "post"]);
    assert_eq!(keys(&document["paths"]["/tags/{id}"]), ["delete", "get", "head", "parameters"]);
}

#[actix_web::test]
async fn the_oplog_is_read_only() {
    let (_, _, document) = test_domain().await;
    assert_eq!(keys(&document["paths"]["/oplog"]), ["get", "head"]);
    assert_eq!(keys(&document["paths"]["/oplog/{id}"]), ["get", "head", "parameters"]);
    let schemas = document["components"]["schemas"].as_object().unwrap();
    assert!(!schemas.contains_key("oplog.document") && !schemas.contains_key("oplog.patch"));
}

#[actix_web::test]
async fn page_sizes_carry_the_domain_limits() {
    let (store, _, document) = test_domain().await;
    let list = &document["paths"]["/posts"]["get"];
    let max_results = &parameter(&document, list, "max_results").unwrap()["schema"];
    assert_eq!(max_results["maximum"], store.domain.api.max_results_limit);
    assert_eq!((&max_results["minimum"], &max_results["default"]), (&json!(1), &json!(25)));
    let page = &parameter(&document, list, "page").unwrap()["schema"];
    assert_eq!((&page["minimum"], &page["maximum"]), (&json!(1), &json!(MAX_PAGE)));
    let user_tags = &document["paths"]["/aggregations/user_tags"]["get"];
    let max_results = &parameter(&document, user_tags, "max_results").unwrap()["schema"];
    assert_eq!((&max_results["maximum"], &max_results["default"]), (&json!(200), &json!(50)));
    let user = parameter(&document, user_tags, "user").unwrap();
    assert_eq!((&user["required"], &user["schema"]["maxLength"]), (&json!(true), &json!(64)));
    let topics = parameter(&document, &document["paths"]["/aggregations/recommendations"]["get"], "topics");
    assert_eq!(topics.unwrap()["schema"]["type"], "array");
}

#[actix_web::test]
async fn the_posts_schema_follows_the_fields() {
    let (_, _, document) = test_domain().await;
    let schemas = &document["components"]["schemas"];
    let posts = &schemas["posts.document"];
    let required: Vec<&str> = posts["required"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(required.contains(&"title") && required.contains(&"created_utc"), "{required:?}");
    assert!(!required.contains(&"keywords") && !required.contains(&"score"), "{required:?}");
    let fields = &posts["properties"];
    assert_eq!((&fields["title"]["type"], &fields["title"]["maxLength"]), (&json!("string"), &json!(300)));
    assert_eq!((&fields["score"]["type"], &fields["score"]["format"]), (&json!("integer"), &json!("int64")));
    assert_eq!(fields["created_utc"]["type"], "string");
    assert!(fields["created_utc"]["description"].as_str().unwrap().contains("RFC 1123"));
    assert_eq!(fields["source"]["enum"], json!(["reddit", "stackexchange", "generated"]));
    assert_eq!(fields["keywords"]["readOnly"], true);
    assert!(fields["keywords"]["description"].as_str().unwrap().contains("projection"));
    assert_eq!(fields["name"]["pattern"], "^t3_[a-z0-9]+$");
    assert_eq!((&fields["view_count"]["nullable"], &fields["ups"]["minimum"]), (&json!(true), &json!(0)));
    assert_eq!((&fields["tags"]["maxItems"], &fields["tags"]["items"]["maxLength"]), (&json!(20), &json!(64)));
    assert_eq!(posts["additionalProperties"], false);
    let patch = &schemas["posts.patch"];
    assert!(patch.get("required").is_none() && patch["properties"]["score"].get("default").is_none());
    // A tag's post_id reads as an id or, with `embedded`, as the post.
    let post_id = &schemas["tags.item"]["allOf"][1]["properties"]["post_id"];
    assert_eq!(post_id["oneOf"][1]["$ref"], "#/components/schemas/posts.item");
    assert!(parameter(&document, &document["paths"]["/tags"]["get"], "embedded").is_some());
    assert!(parameter(&document, &document["paths"]["/posts"]["get"], "embedded").is_none());
}

#[actix_web::test]
async fn every_ref_resolves_and_operation_ids_are_unique() {
    let (_, _, document) = test_domain().await;
    let mut found = Vec::new();
    refs(&document, &mut found);
    assert!(found.len() > 50, "{}", found.len());
    for target in found {
        let pointer = target.strip_prefix('#').unwrap_or_else(|| panic!("not local: {target}"));
        assert!(pointer.starts_with("/components/"), "{target}");
        assert!(document.pointer(pointer).is_some(), "unresolved {target}");
    }
    let mut ids = HashSet::new();
    for path in document["paths"].as_object().unwrap().values() {
        for operation in path.as_object().unwrap().values().filter_map(|o| o.get("operationId")) {
            assert!(ids.insert(operation.as_str().unwrap()), "duplicate operationId {operation}");
        }
    }
    // HEAD operations describe no bodies.
    let head = &document["paths"]["/posts/{id}"]["head"];
    assert!(head["responses"].as_object().unwrap().values().all(|r| r.get("content").is_none()));
}

#[actix_web::test]
async fn the_document_serializes() {
    let (_, _, document) = test_domain().await;
    let text = serde_json::to_string(&document).unwrap();
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), document);
}

#[test]
fn small_helpers() {
    assert_eq!(join_sentences(&["a thing", "", "RFC 1123 date."]), "a thing. RFC 1123 date.");
    assert_eq!(number(0.0), Some(json!(0)));
    assert_eq!(number(0.5), Some(json!(0.5)));
    assert_eq!(number(f64::NAN), None);
    assert_eq!(toml_to_json(&toml::Value::Array(vec![1.into(), "x".into()])), Ok(json!([1, "x"])));
}

#[test]
fn patterns_match_the_whole_string_as_the_validator_does() {
    for (regex, pattern) in
        [("^t3_[a-z0-9]+$", "^t3_[a-z0-9]+$"), ("t3_", "^(?:t3_)$"), ("^a|b$", "^(?:^a|b$)$"), ("^a\\$", "^(?:^a\\$)$")]
    {
        let field: Field = toml::from_str(&format!("type = \"string\"\nregex = '{regex}'")).unwrap();
        let mut schema = scalar_schema(field.kind);
        add_rules(&mut schema, &field);
        assert_eq!(schema["pattern"], pattern, "{regex}");
    }
}

#[actix_web::test]
async fn query_parameters_describe_their_syntax_with_examples_the_api_accepts() {
    let (store, _, document) = test_domain().await;
    for served in store.resources() {
        let list = &document["paths"][format!("/{}", served.name)]["get"];
        // `where`: JSON content naming exactly the filterable fields (and
        // the logical operators), with examples the parser takes.
        let where_ = parameter(&document, list, "where").unwrap();
        let content = &where_["content"]["application/json"];
        let schema = &content["schema"];
        assert_eq!(schema["additionalProperties"], false, "{}", served.name);
        let mut named: Vec<&str> = schema["properties"].as_object().unwrap().keys().map(String::as_str).collect();
        named.sort_unstable();
        assert_eq!(named, paths::filter_fields(&served.def), "{}", served.name);
        let conditions = schema["properties"]["_id"]["anyOf"].as_array().unwrap();
        assert_eq!(conditions[0]["$ref"], "#/components/schemas/WhereId");
        for operators in &conditions[1..] {
            assert_eq!(operators["additionalProperties"], false, "{operators}");
            assert!(operators["properties"].as_object().unwrap().keys().all(|k| k.starts_with('$')));
        }
        assert_eq!(schema["properties"]["_created"]["anyOf"][0]["$ref"], "#/components/schemas/WhereDate");
        let schemas = &document["components"]["schemas"];
        assert_eq!(schemas["WhereId"]["anyOf"][0]["pattern"], OBJECT_ID_PATTERN);
        assert_eq!(schemas["WhereDate"]["anyOf"][0]["pattern"], DATE_PATTERN);
        let keys = regex::Regex::new(schemas["WhereObject"]["propertyNames"]["pattern"].as_str().unwrap()).unwrap();
        assert!(keys.is_match("a.b") && keys.is_match("") && !keys.is_match("$gt") && !keys.is_match("a\0"));
        for (name, example) in content["examples"].as_object().unwrap() {
            let text = example["value"].to_string();
            if let Err(e) = crate::query::parse_where(&text, &served.def) {
                panic!("{}: where example {name} {text} is refused: {e}", served.name);
            }
        }
        let description = where_["description"].as_str().unwrap();
        assert!(description.contains("$elemMatch") && description.contains("Python syntax"), "{description}");
        // `sort`: a pattern for one key of the fields `where` accepts, or
        // blank (= absent); examples the parser takes.
        let sort = parameter(&document, list, "sort").unwrap();
        let pattern = regex::Regex::new(sort["schema"]["pattern"].as_str().unwrap()).unwrap();
        for text in ["-_created", "_id", " _updated ", "", "  "] {
            assert!(pattern.is_match(text), "{text:?}");
            if !text.trim().is_empty() {
                crate::query::parse_sort(text, &served.def).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            }
        }
        for text in ["score;drop", "$where", "no_such_field", "-", "_id,_id"] {
            assert!(!pattern.is_match(text), "{text:?}");
        }
        for example in sort["examples"].as_object().unwrap().values() {
            let text = example["value"].as_str().unwrap();
            assert!(pattern.is_match(text), "{text}");
            crate::query::parse_sort(text, &served.def).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        }
        // `projection` and `embedded` are JSON: described by their object
        // schema. A projection is all 1s or all 0s: two closed branches
        // naming the schema's fields and the meta fields.
        let projection = &parameter(&document, list, "projection").unwrap()["content"]["application/json"]["schema"];
        let mut fields: Vec<String> = served.def.schema.keys().cloned().collect();
        fields.extend(crate::domain::META_FIELDS.map(String::from));
        fields.sort_unstable();
        for (branch, flag) in projection["anyOf"].as_array().unwrap().iter().zip([1, 0]) {
            assert_eq!((&branch["type"], &branch["additionalProperties"]), (&json!("object"), &json!(false)));
            let mut named: Vec<&str> = branch["properties"].as_object().unwrap().keys().map(String::as_str).collect();
            named.sort_unstable();
            assert_eq!(named, fields, "{}", served.name);
            if let Some(field) = served.def.schema.keys().next() {
                assert_eq!(branch["properties"][field]["oneOf"][0]["enum"], json!([flag]));
            }
        }
        let example = projection["example"].to_string();
        crate::query::parse_projection(&example, &served.def).unwrap_or_else(|e| panic!("{example}: {e}"));
        if let Some(embedded) = parameter(&document, list, "embedded") {
            let schema = &embedded["content"]["application/json"]["schema"];
            assert_eq!(schema["additionalProperties"], false);
            let example = schema["example"].to_string();
            crate::query::parse_embedded(&example, &served.def).unwrap_or_else(|e| panic!("{example}: {e}"));
        }
    }
}

#[test]
fn the_date_pattern_matches_only_dates_the_api_parses() {
    let pattern = regex::Regex::new(DATE_PATTERN).unwrap();
    for text in ["02 Apr 2013 10:29:13 GMT", "28 Feb 2099 23:59:59 GMT", "01 Jan 1970 00:00:00 GMT"] {
        assert!(pattern.is_match(text), "{text}");
        assert!(crate::convert::parse_rfc1123(text).is_some(), "{text}");
    }
    // The weekday is left out: the API checks it against the date.
    for text in ["Tue, 02 Apr 2013 10:29:13 GMT", "2 Apr 2013 10:29:13 GMT", "02 Apr 2013 24:00:00 GMT", ""] {
        assert!(!pattern.is_match(text), "{text}");
    }
}

#[actix_web::test]
async fn writes_are_described_as_the_validator_checks_them() {
    let (_, _, document) = test_domain().await;
    let schemas = &document["components"]["schemas"];
    // Dates written carry the pattern; dates read carry the weekday, so not.
    assert_eq!(schemas["posts.document"]["properties"]["created_utc"]["pattern"], DATE_PATTERN);
    assert_eq!(schemas["posts.patch"]["properties"]["created_utc"]["pattern"], DATE_PATTERN);
    assert!(schemas["posts.item"]["allOf"][1]["properties"]["created_utc"].get("pattern").is_none());
    // An integer is a 64-bit one; the domain's own bounds win.
    let ups = &schemas["posts.document"]["properties"]["ups"];
    assert_eq!((&ups["minimum"], &ups["maximum"]), (&json!(0), &json!(i64::MAX)));
    assert_eq!(schemas["posts.document"]["properties"]["score"]["minimum"], json!(i64::MIN));
    for name in ["posts.document", "posts.patch", "tags.document"] {
        assert_eq!(schemas[name]["additionalProperties"], false, "{name}");
    }
}

#[actix_web::test]
async fn every_operation_lists_the_statuses_it_can_answer() {
    let (_, _, document) = test_domain().await;
    let statuses = |path: &str, method: &str| -> Vec<String> {
        let responses = document["paths"][path][method]["responses"].as_object().unwrap();
        responses.keys().cloned().collect()
    };
    let has = |path: &str, method: &str, wanted: &[&str]| {
        let got = statuses(path, method);
        for status in wanted {
            assert!(got.iter().any(|s| s == status), "{method} {path}: no {status} in {got:?}");
        }
    };
    has("/posts", "get", &["200", "400", "503", "504"]);
    has("/posts", "post", &["201", "400", "409", "413", "415", "422", "503"]);
    has("/posts/{id}", "get", &["200", "304", "400", "404", "503"]);
    for method in ["patch", "put"] {
        has("/posts/{id}", method, &["200", "400", "404", "409", "412", "413", "415", "422", "428", "503"]);
    }
    has("/posts/{id}", "delete", &["204", "404", "412", "428", "503"]);
    has("/aggregations/recommendations", "get", &["200", "400", "503", "504"]);
    let timeout = &document["components"]["responses"]["Timeout"];
    assert!(timeout["description"].as_str().unwrap().contains("longer"), "{timeout:#}");
    // Busy writers answer 503 too, with `Retry-After`.
    let unavailable = &document["components"]["responses"]["Unavailable"];
    assert!(unavailable["headers"].get("Retry-After").is_some());
}
