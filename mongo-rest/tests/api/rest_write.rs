//! The REST API's writes on the test domain's posts and tags: `POST` (one document and
//! bulk), validation (422), uniqueness (422 from the validator, 409 from a
//! unique index), `PATCH`/`PUT`/`DELETE` with `If-Match` (428, 412), the
//! race of concurrent editors, the oplog every write leaves, Eve's
//! `X-HTTP-Method-Override`, and the refusals of bodies the API cannot read
//! (413, 415, 400) and of methods a URL does not allow (405).
//!
//! "Nothing was written" is always checked in the database itself, through
//! `api.db`, on `posts` and on the `oplog`.

use std::time::Duration;

use futures::future::join_all;
use mongodb::bson::{doc, oid::ObjectId, Bson, DateTime, Document};
use serde_json::{json, Value};

use crate::helpers::{post, spawn_api, spawn_api_with, Json, TestApi};

/// An RFC 1123 date, as clients send `created_utc`.
const CREATED: &str = "Tue, 02 Apr 2013 10:29:13 GMT";
/// [`CREATED`] in milliseconds since the epoch.
const CREATED_MS: i64 = 1_364_898_553_000;
/// How `_created` reads for a document written outside the API.
const EPOCH: &str = "Thu, 01 Jan 1970 00:00:00 GMT";

/// The smallest valid `POST /posts` body.
fn new_post(name: &str, title: &str) -> Value {
    json!({ "name": name, "author": "alice", "title": title, "created_utc": CREATED })
}

/// A body with one field changed (`Value::Null` removes it).
fn with(mut body: Value, field: &str, value: Value) -> Value {
    let map = body.as_object_mut().expect("an object");
    if value.is_null() {
        map.remove(field);
    } else {
        map.insert(field.to_owned(), value);
    }
    body
}

/// How many documents a collection holds.
async fn count(api: &TestApi, collection: &str) -> u64 {
    count_where(api, collection, doc! {}).await
}

/// How many documents of a collection match `filter`.
async fn count_where(api: &TestApi, collection: &str, filter: Document) -> u64 {
    api.db.collection::<Document>(collection).count_documents(filter).await.expect("a count")
}

/// The stored document with this id.
async fn stored(api: &TestApi, collection: &str, id: &str) -> Document {
    let id = ObjectId::parse_str(id).expect("a hex id");
    api.db.collection::<Document>(collection).find_one(doc! { "_id": id }).await.expect("a read").expect("stored")
}

/// `keywords(text)` as the BSON the API stores.
fn keywords(text: &str) -> Bson {
    Bson::Array(datasets::keywords(text).into_iter().map(Bson::String).collect())
}

/// `METHOD path` with `If-Match: "<etag>"` and a JSON body.
async fn conditional(api: &TestApi, method: &str, path: &str, etag: &str, body: Option<&Value>) -> Json {
    let tag = format!("\"{etag}\"");
    api.request(method, path, &[("If-Match", tag.as_str())], body).await
}

/// Posts one valid document and returns its id and ETag.
async fn create(api: &TestApi, body: &Value) -> (String, String) {
    let created = api.post("/posts", body).await;
    created.assert_status(201);
    (created.body["_id"].as_str().expect("an _id").to_owned(), created.etag())
}

/// The sorted keys of a JSON object.
fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().expect("an object").keys().cloned().collect();
    keys.sort();
    keys
}

#[actix_web::test]
async fn post_creates_a_document_with_defaults_keywords_and_meta_fields() {
    let api = spawn_api().await;
    let title = "Writing fast parsers in Rust";
    let response = api.post("/posts", &new_post("t3_abc123", title)).await;

    response.assert_status(201);
    let id = response.body["_id"].as_str().expect("an _id").to_owned();
    assert_eq!(response.header("location"), Some(format!("/posts/{id}").as_str()));
    let etag = response.etag();
    assert_eq!(etag.len(), 40, "a SHA-1: {etag}");
    // Eve's trimmed response: the meta fields only, not the document.
    assert_eq!(keys(&response.body), ["_created", "_etag", "_id", "_links", "_status", "_updated"]);
    assert_eq!(response.body["_status"], "OK");
    assert_eq!(response.body["_etag"], etag.as_str());
    assert_eq!(response.body["_links"]["self"], json!({ "title": "post", "href": format!("posts/{id}") }));
    assert_eq!(response.body["_created"], response.body["_updated"]);

    let doc = stored(&api, "posts", &id).await;
    assert_eq!(doc.get_datetime("created_utc"), Ok(&DateTime::from_millis(CREATED_MS)));
    assert_eq!(doc.get_i64("score"), Ok(0));
    assert_eq!(doc.get_str("source"), Ok("reddit"));
    assert_eq!(doc.get_str("subreddit"), Ok("Python"));
    assert_eq!(doc.get_str("url"), Ok(""));
    assert_eq!(doc.get_bool("is_self"), Ok(false));
    assert_eq!(doc.get("keywords"), Some(&keywords(title)));
    assert!(!datasets::keywords(title).is_empty());
    assert_eq!(doc.get_str("_etag"), Ok(etag.as_str()));
    let created = *doc.get_datetime("_created").expect("_created stored");
    assert_eq!(doc.get_datetime("_updated"), Ok(&created));
    assert_eq!(response.body["_created"], mongo_rest::convert::rfc1123(created));
    assert_eq!(count(&api, "oplog").await, 1);

    let read = api.get(&format!("/posts/{id}")).await;
    read.assert_status(200);
    assert_eq!(read.etag(), etag);
    assert_eq!(read.body["_etag"], etag.as_str());
    assert_eq!(read.body["_id"], id.as_str());
    assert_eq!(read.body["title"], title);
    assert_eq!(read.body["created_utc"], CREATED);
    assert_eq!(read.body["score"], 0);
    // `keywords` is a hidden field: stored, never shown.
    assert!(read.body.get("keywords").is_none(), "{:#}", read.body);
}

#[actix_web::test]
async fn invalid_documents_get_422_with_every_issue_named_and_nothing_is_written() {
    let api = spawn_api().await;
    let valid = new_post("t3_valid", "A valid title");
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        ("missing required", with(valid.clone(), "author", Value::Null), "author", "required field"),
        ("wrong type", with(valid.clone(), "score", json!("high")), "score", "must be of integer type"),
        (
            "wrong date",
            with(valid.clone(), "created_utc", json!("yesterday")),
            "created_utc",
            "must be of datetime type",
        ),
        ("unknown field", with(valid.clone(), "color", json!("red")), "color", "unknown field"),
        ("computed field", with(valid.clone(), "keywords", json!(["rust"])), "keywords", "field is read-only"),
        ("meta field", with(valid.clone(), "_id", json!(ObjectId::new().to_hex())), "_id", "field is read-only"),
        ("regex", with(valid.clone(), "name", json!("T3_ABC")), "name", "value does not match regex '^t3_[a-z0-9]+$'"),
        ("allowed", with(valid.clone(), "source", json!("usenet")), "source", "unallowed value usenet"),
        ("min", with(valid.clone(), "ups", json!(-1)), "ups", "min value is 0"),
        ("maxlength", with(valid.clone(), "title", json!("x".repeat(301))), "title", "max length is 300"),
    ];
    for (case, body, field, message) in cases {
        let response = api.post("/posts", &body).await;
        response.assert_error(422, "insertion failure");
        let issues = response.body["_issues"].as_object().unwrap_or_else(|| panic!("{case}: {:#}", response.body));
        assert_eq!(issues.keys().collect::<Vec<_>>(), [field], "{case}: {:#}", response.body);
        let text = issues[field].as_str().unwrap_or_default();
        assert!(text.contains(message), "{case}: {text:?} does not say {message:?}");
    }

    // Several problems at once: all of them, each under its field.
    let body = json!({ "name": "bad name", "title": "", "ups": -1, "extra": 1, "score": 1.5 });
    let response = api.post("/posts", &body).await;
    response.assert_error(422, "1 document(s) contain error(s)");
    assert_eq!(keys(&response.body["_issues"]), ["author", "created_utc", "extra", "name", "score", "title", "ups"]);
    assert_eq!(response.body["_issues"]["author"], "required field");
    assert_eq!(response.body["_issues"]["title"], "min length is 1");
    assert!(response.body.get("_items").is_none());

    // A body that is not an object at all.
    api.post("/posts", &json!("a string")).await.assert_error(422, "insertion failure");

    assert_eq!(count(&api, "posts").await, 0);
    assert_eq!(count(&api, "oplog").await, 0);
}

#[actix_web::test]
async fn a_taken_unique_value_is_refused_with_422_naming_the_field() {
    let api = spawn_api().await;
    let (first_id, _) = create(&api, &new_post("t3_dup", "The first one")).await;

    let second = api.post("/posts", &new_post("t3_dup", "The second one")).await;
    second.assert_error(422, "insertion failure");
    assert_eq!(second.body["_issues"], json!({ "name": "value 't3_dup' is not unique" }));

    // Within one bulk request: the second occurrence is the one refused.
    let bulk = json!([new_post("t3_twin", "Twin one"), new_post("t3_twin", "Twin two")]);
    let response = api.post("/posts", &bulk).await;
    response.assert_error(422, "1 document(s) contain error(s)");
    let items = response.body["_items"].as_array().expect("_items");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0], json!({ "_status": "OK" }));
    assert_eq!(items[1]["_status"], "ERR");
    assert_eq!(items[1]["_issues"]["name"], "value 't3_twin' is not unique");

    // A PATCH may not take another document's unique value either, but may
    // keep its own.
    let (other_id, other_etag) = create(&api, &new_post("t3_other", "Another one")).await;
    let other_path = format!("/posts/{other_id}");
    let taken = json!({ "name": "t3_dup" });
    conditional(&api, "PATCH", &other_path, &other_etag, Some(&taken)).await.assert_error(422, "insertion failure");
    let same = json!({ "name": "t3_other", "score": 1 });
    conditional(&api, "PATCH", &other_path, &other_etag, Some(&same)).await.assert_status(200);

    assert_eq!(count(&api, "posts").await, 2);
    assert_eq!(count(&api, "oplog").await, 3);
    assert_eq!(stored(&api, "posts", &first_id).await.get_str("title"), Ok("The first one"));
    assert_eq!(stored(&api, "posts", &other_id).await.get_str("name"), Ok("t3_other"));
}

#[actix_web::test]
async fn a_bulk_post_inserts_every_document() {
    let api = spawn_api().await;
    let bulk = json!([
        new_post("t3_bulk1", "Bulk one"),
        new_post("t3_bulk2", "Bulk two"),
        with(new_post("t3_bulk3", "Bulk three"), "score", json!(7)),
    ]);
    let response = api.post("/posts", &bulk).await;

    response.assert_status(201);
    assert_eq!(response.body["_status"], "OK");
    let items = response.body["_items"].as_array().expect("_items");
    assert_eq!(items.len(), 3);
    for (item, name) in items.iter().zip(["t3_bulk1", "t3_bulk2", "t3_bulk3"]) {
        assert_eq!(item["_status"], "OK");
        assert_eq!(keys(item), ["_created", "_etag", "_id", "_links", "_status", "_updated"]);
        let doc = stored(&api, "posts", item["_id"].as_str().expect("an _id")).await;
        assert_eq!(doc.get_str("name"), Ok(name));
        assert_eq!(doc.get_str("_etag").ok(), item["_etag"].as_str());
    }
    assert_eq!(count(&api, "posts").await, 3);
    assert_eq!(count(&api, "oplog").await, 3);
    let read = api.get("/posts").await;
    read.assert_status(200);
    assert_eq!(read.body["_meta"]["total"], 3);
    // The default sort is `-score`.
    assert_eq!(read.body["_items"][0]["name"], "t3_bulk3");
}

#[actix_web::test]
async fn a_bulk_post_with_one_bad_document_writes_nothing() {
    let api = spawn_api().await;
    create(&api, &new_post("t3_before", "Already there")).await;
    let (posts, oplog) = (count(&api, "posts").await, count(&api, "oplog").await);
    assert_eq!((posts, oplog), (1, 1));

    let bulk = json!([
        new_post("t3_good1", "Good one"),
        new_post("t3_good2", "Good two"),
        with(new_post("t3_bad", "Bad one"), "ups", json!(-3)),
        new_post("t3_good3", "Good three"),
    ]);
    let response = api.post("/posts", &bulk).await;

    response.assert_error(422, "1 document(s) contain error(s)");
    let statuses: Vec<&str> =
        response.body["_items"].as_array().expect("_items").iter().map(|i| i["_status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["OK", "OK", "ERR", "OK"]);
    assert_eq!(response.body["_items"][2]["_issues"], json!({ "ups": "min value is 0" }));
    assert_eq!(count(&api, "posts").await, posts);
    assert_eq!(count(&api, "oplog").await, oplog);
    assert_eq!(count_where(&api, "posts", doc! { "name": { "$regex": "^t3_good" } }).await, 0);
}

#[actix_web::test]
async fn a_bulk_post_over_the_limit_is_refused() {
    let api = spawn_api_with(|settings| settings.max_bulk_documents = 3).await;
    let four: Vec<Value> = (1..=4).map(|i| new_post(&format!("t3_many{i}"), "Many")).collect();

    let response = api.post("/posts", &json!(four)).await;
    response.assert_error(422, "at most 3 documents per request; this one has 4");
    assert!(response.body.get("_items").is_none());
    assert_eq!(count(&api, "posts").await, 0);
    assert_eq!(count(&api, "oplog").await, 0);

    // Exactly the limit is fine; an empty list is a 400.
    api.post("/posts", &json!(four[..3])).await.assert_status(201);
    assert_eq!(count(&api, "posts").await, 3);
    api.post("/posts", &json!([])).await.assert_error(400, "empty list");
}

#[actix_web::test]
async fn a_duplicate_the_validator_cannot_see_is_a_409_and_a_bulk_writes_nothing() {
    let api = spawn_api().await;
    let ids = api.seed("posts", vec![post("Tagged post", 1, 1, 0, 0)]).await;
    let post_id = ids[0].to_hex();
    let tag = |user: &str, tag: &str| json!({ "user": user, "post_id": post_id, "tag": tag });

    api.post("/tags", &tag("ann", "rust")).await.assert_status(201);
    // `tags` has no `unique` field: only the compound unique index
    // (user, post_id, tag) stops the second one.
    api.post("/tags", &tag("ann", "rust")).await.assert_error(409, "duplicate key");
    assert_eq!(count(&api, "tags").await, 1);
    assert_eq!(count(&api, "oplog").await, 1);

    // In a bulk, the duplicate undoes the whole transaction, oplog included.
    let bulk = json!([tag("bob", "rust"), tag("ann", "python"), tag("ann", "rust")]);
    api.post("/tags", &bulk).await.assert_error(409, "duplicate key");
    assert_eq!(count(&api, "tags").await, 1);
    assert_eq!(count(&api, "oplog").await, 1);

    // Another user's identical tag is no duplicate.
    api.post("/tags", &tag("bob", "rust")).await.assert_status(201);
    assert_eq!(count(&api, "tags").await, 2);
}

#[actix_web::test]
async fn patch_needs_the_current_etag_and_merges_the_change() {
    let api = spawn_api().await;
    let body = with(new_post("t3_patch", "Learning Rust the hard way"), "selftext", json!("borrow checker"));
    let (id, etag) = create(&api, &with(body, "score", json!(5))).await;
    let path = format!("/posts/{id}");
    let before = stored(&api, "posts", &id).await;
    actix_web::rt::time::sleep(Duration::from_millis(20)).await;

    api.request("PATCH", &path, &[], Some(&json!({"score": 1}))).await.assert_error(428, "If-Match");
    conditional(&api, "PATCH", &path, "0123456789abcdef", Some(&json!({"score": 1})))
        .await
        .assert_error(412, "etags don't match");
    assert_eq!(stored(&api, "posts", &id).await, before);

    let change = json!({ "title": "Async Python explained", "score": 42 });
    let patched = conditional(&api, "PATCH", &path, &etag, Some(&change)).await;
    patched.assert_status(200);
    let new_etag = patched.etag();
    assert_ne!(new_etag, etag);
    assert_eq!(patched.body["_etag"], new_etag.as_str());
    assert_eq!(patched.body["_id"], id.as_str());
    assert_eq!(patched.body["_status"], "OK");
    assert_eq!(keys(&patched.body), ["_created", "_etag", "_id", "_links", "_status", "_updated"]);

    let after = stored(&api, "posts", &id).await;
    assert_eq!(after.get_str("title"), Ok("Async Python explained"));
    assert_eq!(after.get_i64("score"), Ok(42));
    for kept in ["name", "author", "selftext", "created_utc", "source", "url", "ups"] {
        assert_eq!(after.get(kept), before.get(kept), "{kept} kept");
    }
    // The computed field follows the new title (and the stored selftext).
    assert_eq!(after.get("keywords"), Some(&keywords("Async Python explained borrow checker")));
    assert_ne!(after.get("keywords"), before.get("keywords"));
    assert_eq!(after.get_datetime("_created"), before.get_datetime("_created"));
    assert!(after.get_datetime("_updated").unwrap() > before.get_datetime("_updated").unwrap());
    assert_eq!(after.get_str("_etag"), Ok(new_etag.as_str()));

    let read = api.get(&path).await;
    assert_eq!(read.etag(), new_etag);
    assert_eq!(read.body["score"], 42);
    // The old ETag is stale now.
    conditional(&api, "PATCH", &path, &etag, Some(&json!({"score": 1}))).await.assert_error(412, "etags");

    // An invalid change is refused whole: the valid part is not applied.
    let invalid = json!({ "ups": -5, "title": "", "score": 3 });
    let refused = conditional(&api, "PATCH", &path, &new_etag, Some(&invalid)).await;
    refused.assert_error(422, "insertion failure");
    assert_eq!(keys(&refused.body["_issues"]), ["title", "ups"]);
    assert_eq!(stored(&api, "posts", &id).await, after);
    assert_eq!(count(&api, "oplog").await, 2);
}

#[actix_web::test]
async fn a_document_written_outside_the_api_is_patched_with_the_etag_from_get() {
    let api = spawn_api().await;
    let ids = api.seed("posts", vec![post("Seeded from the importer", 10, 12, 2, 3)]).await;
    let path = format!("/posts/{}", ids[0].to_hex());
    let seeded = stored(&api, "posts", &ids[0].to_hex()).await;
    assert!(!seeded.contains_key("_etag"));

    let read = api.get(&path).await;
    read.assert_status(200);
    let etag = read.etag();
    assert_eq!(read.body["_etag"], etag.as_str());
    assert_eq!(read.body["_created"], EPOCH);
    // The served ETag is a function of the content: the same on every read.
    assert_eq!(api.get(&path).await.etag(), etag);

    conditional(&api, "PATCH", &path, "not-the-etag", Some(&json!({"score": 11}))).await.assert_error(412, "etags");
    let patched = conditional(&api, "PATCH", &path, &etag, Some(&json!({"score": 11}))).await;
    patched.assert_status(200);
    assert_eq!(patched.body["_created"], EPOCH);
    let new_etag = patched.etag();
    assert_ne!(new_etag, etag);

    let after = stored(&api, "posts", &ids[0].to_hex()).await;
    assert_eq!(after.get_i64("score"), Ok(11));
    assert_eq!(after.get_str("_etag"), Ok(new_etag.as_str()));
    assert_eq!(after.get_datetime("_created"), Ok(&DateTime::from_millis(0)));
    assert!(after.get_datetime("_updated").is_ok());
    for kept in ["name", "title", "ups", "downs", "num_comments", "keywords", "created_utc"] {
        assert_eq!(after.get(kept), seeded.get(kept), "{kept} kept");
    }
    assert_eq!(api.get(&path).await.etag(), new_etag);
    conditional(&api, "PATCH", &path, &etag, Some(&json!({"score": 12}))).await.assert_error(412, "etags");

    // PUT and DELETE take the served ETag of imported documents too.
    let more = api.seed("posts", vec![post("Seeded for PUT", 1, 1, 0, 0), post("Seeded for DELETE", 2, 2, 0, 0)]);
    let more = more.await;
    let (put_path, delete_path) = (format!("/posts/{}", more[0].to_hex()), format!("/posts/{}", more[1].to_hex()));
    let put_etag = api.get(&put_path).await.etag();
    let replacement = new_post(&format!("t3_{}", more[0].to_hex()), "Replaced import");
    conditional(&api, "PUT", &put_path, &put_etag, Some(&replacement)).await.assert_status(200);
    let replaced = stored(&api, "posts", &more[0].to_hex()).await;
    assert_eq!(replaced.get_str("title"), Ok("Replaced import"));
    assert_eq!(replaced.get_datetime("_created"), Ok(&DateTime::from_millis(0)));
    let delete_etag = api.get(&delete_path).await.etag();
    conditional(&api, "DELETE", &delete_path, &put_etag, None).await.assert_error(412, "etags");
    conditional(&api, "DELETE", &delete_path, &delete_etag, None).await.assert_status(204);
    assert_eq!(count(&api, "posts").await, 2);
    assert_eq!(count(&api, "oplog").await, 3);
}

#[actix_web::test]
async fn put_replaces_the_document_and_keeps_its_id_and_creation_date() {
    let api = spawn_api().await;
    let original = json!({
        "name": "t3_put", "author": "alice", "title": "Original title", "created_utc": CREATED,
        "url": "https://example.com/a", "score": 9, "tags": ["x", "y"],
    });
    let (id, etag) = create(&api, &original).await;
    let path = format!("/posts/{id}");
    let before = stored(&api, "posts", &id).await;
    actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    let replacement = json!({ "name": "t3_put", "author": "bob", "title": "Replaced title", "created_utc": CREATED });

    api.request("PUT", &path, &[], Some(&replacement)).await.assert_error(428, "If-Match");
    conditional(&api, "PUT", &path, "0000", Some(&replacement)).await.assert_error(412, "etags don't match");
    assert_eq!(stored(&api, "posts", &id).await, before);

    let replaced = conditional(&api, "PUT", &path, &etag, Some(&replacement)).await;
    replaced.assert_status(200);
    assert_eq!(replaced.body["_id"], id.as_str());
    let new_etag = replaced.etag();
    assert_ne!(new_etag, etag);

    let after = stored(&api, "posts", &id).await;
    assert_eq!(after.get_object_id("_id"), before.get_object_id("_id"));
    assert_eq!(after.get_datetime("_created"), before.get_datetime("_created"));
    assert!(after.get_datetime("_updated").unwrap() > before.get_datetime("_updated").unwrap());
    assert_eq!(after.get_str("author"), Ok("bob"));
    assert_eq!(after.get_str("title"), Ok("Replaced title"));
    // Not in the body: gone, or back to its default.
    assert!(!after.contains_key("tags"), "{after}");
    assert_eq!(after.get_str("url"), Ok(""));
    assert_eq!(after.get_i64("score"), Ok(0));
    assert_eq!(after.get("keywords"), Some(&keywords("Replaced title")));
    assert_eq!(after.get_str("_etag"), Ok(new_etag.as_str()));

    let read = api.get(&path).await;
    assert_eq!(read.etag(), new_etag);
    assert!(read.body.get("tags").is_none());
    assert_eq!(read.body["_created"], replaced.body["_created"]);

    // A PUT is validated like a POST.
    let incomplete = json!({ "name": "t3_put", "title": "No author" });
    let refused = conditional(&api, "PUT", &path, &new_etag, Some(&incomplete)).await;
    refused.assert_error(422, "insertion failure");
    assert_eq!(keys(&refused.body["_issues"]), ["author", "created_utc"]);
    assert_eq!(stored(&api, "posts", &id).await, after);
}

#[actix_web::test]
async fn delete_needs_the_current_etag() {
    let api = spawn_api().await;
    let (id, etag) = create(&api, &new_post("t3_delete", "To be deleted")).await;
    let path = format!("/posts/{id}");

    api.request("DELETE", &path, &[], None).await.assert_error(428, "If-Match");
    conditional(&api, "DELETE", &path, "0000", None).await.assert_error(412, "etags don't match");
    assert_eq!(count(&api, "posts").await, 1);

    let deleted = conditional(&api, "DELETE", &path, &etag, None).await;
    deleted.assert_status(204);
    assert_eq!(deleted.body, Value::Null);
    assert_eq!(count(&api, "posts").await, 0);
    api.get(&path).await.assert_error(404, &format!("no post with id {id}"));
    conditional(&api, "DELETE", &path, &etag, None).await.assert_error(404, "no post with id");
    assert_eq!(count(&api, "oplog").await, 2);
}

#[actix_web::test]
async fn of_twenty_concurrent_patches_with_the_same_etag_exactly_one_wins() {
    let api = spawn_api().await;
    let seeded = api.seed("posts", vec![post("Contended post", 1, 1, 0, 0)]).await[0].to_hex();
    let (created, _) = create(&api, &new_post("t3_contended", "Contended too")).await;
    // A document never written by the API (the guard is "still without
    // `_etag`"), then one with a stored `_etag`. Every score differs from
    // the stored one: a PATCH that changes nothing keeps the content-hash
    // ETag, and a second writer holding it would then rightly succeed.
    for id in [seeded, created] {
        let path = format!("/posts/{id}");
        let etag = format!("\"{}\"", api.get(&path).await.etag());
        let headers = [("If-Match", etag.as_str())];
        let bodies: Vec<Value> = (100..120).map(|score| json!({ "score": score })).collect();

        let responses = join_all(bodies.iter().map(|body| api.request("PATCH", &path, &headers, Some(body)))).await;

        let statuses: Vec<u16> = responses.iter().map(|r| r.status).collect();
        assert!(statuses.iter().all(|s| *s == 200 || *s == 412), "only 200 and 412 expected: {statuses:?}");
        assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
        assert_eq!(statuses.iter().filter(|s| **s == 412).count(), 19, "{statuses:?}");
        let winner = statuses.iter().position(|s| *s == 200).expect("a winner");
        let doc = stored(&api, "posts", &id).await;
        assert_eq!(doc.get_i64("score"), Ok(100 + winner as i64));
        assert_eq!(doc.get_str("_etag"), Ok(responses[winner].etag().as_str()));
        let oid = ObjectId::parse_str(&id).expect("a hex id");
        assert_eq!(count_where(&api, "oplog", doc! { "id": oid, "op": "PATCH" }).await, 1);
    }
}

#[actix_web::test]
async fn every_write_leaves_an_oplog_entry_that_clients_can_read_but_not_write() {
    let api = spawn_api().await;
    let (id, etag) = create(&api, &new_post("t3_logged", "Logged post")).await;
    let path = format!("/posts/{id}");
    let patched = conditional(&api, "PATCH", &path, &etag, Some(&json!({"score": 7, "num_comments": 3}))).await;
    patched.assert_status(200);
    let replacement = new_post("t3_logged", "Logged and replaced");
    let replaced = conditional(&api, "PUT", &path, &patched.etag(), Some(&replacement)).await;
    replaced.assert_status(200);
    conditional(&api, "DELETE", &path, &replaced.etag(), None).await.assert_status(204);

    let filter = urlencoding::encode(&format!(r#"{{"id":"{id}"}}"#)).into_owned();
    let log = api.get(&format!("/oplog?where={filter}")).await;
    log.assert_status(200);
    assert_eq!(log.body["_meta"]["total"], 4);
    let items = log.body["_items"].as_array().expect("_items");
    let ops: Vec<&str> = items.iter().map(|i| i["op"].as_str().unwrap_or_default()).collect();
    assert_eq!(ops, ["POST", "PATCH", "PUT", "DELETE"]);
    for item in items {
        assert_eq!(item["resource"], "posts");
        assert_eq!(item["id"], id.as_str());
        let time = item["time"].as_str().expect("a time");
        assert!(time.ends_with(" GMT") && chrono::DateTime::parse_from_rfc2822(time).is_ok(), "{time}");
    }
    // POST and PUT log the whole document, PATCH only what it changed.
    assert_eq!(items[0]["changes"]["name"], "t3_logged");
    assert_eq!(items[0]["changes"]["created_utc"], CREATED);
    assert!(items[0]["changes"]["keywords"].is_array());
    assert_eq!(items[1]["changes"], json!({ "score": 7, "num_comments": 3 }));
    assert_eq!(items[2]["changes"]["title"], "Logged and replaced");
    assert_eq!(items[2]["changes"]["score"], 0);
    assert_eq!(items[3]["changes"], json!({}));

    // Read-only: 405 with the methods that are allowed.
    let refused = api.post("/oplog", &json!({ "op": "POST" })).await;
    refused.assert_error(405, "method POST is not allowed on /oplog");
    assert_eq!(refused.header("allow"), Some("GET, HEAD, OPTIONS"));
    let entry = items[0]["_id"].as_str().expect("an entry id");
    let refused = api.request("DELETE", &format!("/oplog/{entry}"), &[], None).await;
    refused.assert_error(405, "not allowed");
    assert_eq!(refused.header("allow"), Some("GET, HEAD, OPTIONS"));
    assert_eq!(count(&api, "oplog").await, 4);

    // Paged like any collection.
    let first = api.get("/oplog?max_results=2").await;
    first.assert_status(200);
    assert_eq!(first.header("x-total-count"), Some("4"));
    assert_eq!(first.body["_items"].as_array().map(Vec::len), Some(2));
    let next = first.body["_links"]["next"]["href"].as_str().expect("a next link");
    assert_eq!(next, "oplog?max_results=2&page=2");
    let second = api.get(&format!("/{next}")).await;
    second.assert_status(200);
    assert!(second.body["_links"].get("next").is_none());
    assert_eq!(second.body["_links"]["prev"]["href"], "oplog?max_results=2&page=1");
    let ops: Vec<&str> = [&first, &second]
        .iter()
        .flat_map(|page| page.body["_items"].as_array().expect("_items").iter())
        .map(|i| i["op"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(ops, ["POST", "PATCH", "PUT", "DELETE"]);
    let seqs: Vec<i64> = items.iter().map(|i| i["seq"].as_i64().expect("a seq")).collect();
    assert_eq!(seqs, [1, 2, 3, 4]);
}

#[actix_web::test]
async fn oplog_positions_follow_commit_order_without_gaps_under_concurrent_writers() {
    let api = spawn_api().await;
    // Eight writers at once (a bulk of two among them), on different
    // documents: every entry gets its own position, 1..=9, none missing.
    let bodies: Vec<Value> = (0..7).map(|i| new_post(&format!("t3_conc{i}"), "Concurrent")).collect();
    let bulk = json!([new_post("t3_bulka", "Bulk"), new_post("t3_bulkb", "Bulk")]);
    let mut writes: Vec<_> = bodies.iter().map(|b| api.post("/posts", b)).collect();
    writes.push(api.post("/posts", &bulk));
    for response in join_all(writes).await {
        response.assert_status(201);
    }
    let log = api.get("/oplog?max_results=50").await;
    let items = log.body["_items"].as_array().expect("_items");
    let seqs: Vec<i64> = items.iter().map(|i| i["seq"].as_i64().expect("a seq")).collect();
    assert_eq!(seqs, (1..=9).collect::<Vec<_>>(), "the default sort is seq");
    // A sync reader resumes after the last position it applied.
    let after = urlencoding::encode(r#"{"seq": {"$gt": 6}}"#).into_owned();
    let rest = api.get(&format!("/oplog?where={after}")).await;
    assert_eq!(rest.body["_meta"]["total"], 3);
}

#[actix_web::test]
async fn a_corrupt_oplog_counter_is_a_server_fault_and_writes_nothing() {
    let api = spawn_api().await;
    // Someone else wrote the counter as a double: `$inc` works on it, but
    // positions are whole numbers. No client can fix that: 500, not 409.
    let counters = api.db.collection::<Document>("counters");
    counters.update_one(doc! { "_id": "oplog" }, doc! { "$set": { "seq": 2.5 } }).upsert(true).await.unwrap();
    let refused = api.post("/posts", &new_post("t3_corrupt", "Corrupt counter")).await;
    refused.assert_error(500, "internal error");
    assert!(!refused.body.to_string().contains("counter"), "the cause is logged, not shown: {:#}", refused.body);
    assert_eq!((count(&api, "posts").await, count(&api, "oplog").await), (0, 0));
    // A counter that is not a number at all: the server refuses the `$inc`.
    counters.update_one(doc! { "_id": "oplog" }, doc! { "$set": { "seq": "x" } }).await.unwrap();
    api.post("/posts", &new_post("t3_corrupt", "Corrupt counter")).await.assert_error(500, "internal error");
    assert_eq!(count(&api, "posts").await, 0);
}

#[actix_web::test]
async fn if_match_star_matches_any_version_and_weak_tags_never_match() {
    let api = spawn_api().await;
    let (id, etag) = create(&api, &new_post("t3_star", "Star")).await;
    let path = format!("/posts/{id}");
    let weak = format!("W/\"{etag}\"");
    let refused = api.request("PATCH", &path, &[("If-Match", weak.as_str())], Some(&json!({"score": 1}))).await;
    refused.assert_error(412, "etag");
    let starred = api.request("PATCH", &path, &[("If-Match", "*")], Some(&json!({"score": 2}))).await;
    starred.assert_status(200);
    assert_eq!(stored(&api, "posts", &id).await.get_i64("score").unwrap(), 2);
    let gone =
        api.request("PATCH", &format!("/posts/{}", ObjectId::new()), &[("If-Match", "*")], Some(&json!({}))).await;
    gone.assert_error(404, "post");
}

#[actix_web::test]
async fn x_http_method_override_turns_a_post_into_another_method() {
    let api = spawn_api().await;
    let (id, etag) = create(&api, &new_post("t3_override", "Overridden")).await;
    let path = format!("/posts/{id}");
    let tag = format!("\"{etag}\"");

    let headers = [("X-HTTP-Method-Override", "PATCH"), ("If-Match", tag.as_str())];
    let patched = api.request("POST", &path, &headers, Some(&json!({"score": 99}))).await;
    patched.assert_status(200);
    assert_eq!(stored(&api, "posts", &id).await.get_i64("score"), Ok(99));
    let new_tag = format!("\"{}\"", patched.etag());

    // Only a POST may carry it, and only with a method the API knows.
    let on_get = api.request("GET", &path, &[("X-HTTP-Method-Override", "DELETE")], None).await;
    on_get.assert_error(400, "only honoured on POST");
    let unknown = [("X-HTTP-Method-Override", "FROB"), ("If-Match", new_tag.as_str())];
    api.request("POST", &path, &unknown, Some(&json!({"score": 1}))).await.assert_error(400, "unknown method");
    // The override still needs the ETag.
    let bare = [("X-HTTP-Method-Override", "PATCH")];
    api.request("POST", &path, &bare, Some(&json!({"score": 1}))).await.assert_error(428, "If-Match");
    assert_eq!(stored(&api, "posts", &id).await.get_i64("score"), Ok(99));

    let delete = [("X-HTTP-Method-Override", "DELETE"), ("If-Match", new_tag.as_str())];
    api.request("POST", &path, &delete, None).await.assert_status(204);
    api.get(&path).await.assert_status(404);
    assert_eq!(count(&api, "posts").await, 0);
}

#[actix_web::test]
async fn bodies_that_are_not_json_are_refused() {
    let api = spawn_api().await;
    let body = serde_json::to_vec(&new_post("t3_typed", "Typed")).expect("JSON");

    let plain = api.raw("POST", "/posts", "text/plain", body.clone()).await;
    plain.assert_error(415, r#"unsupported content type "text/plain""#);
    // No content type at all.
    let mut untyped =
        awc::Client::new().post(format!("{}/posts", api.address)).send_body(body.clone()).await.expect("sent");
    assert_eq!(untyped.status().as_u16(), 415);
    let envelope: Value = serde_json::from_slice(&untyped.body().await.expect("a body")).expect("JSON");
    assert_eq!(envelope["_status"], "ERR");
    assert_eq!(envelope["_error"]["code"], 415);
    assert_eq!(envelope["_error"]["message"], r#"unsupported content type "": send application/json"#);

    let malformed = api.raw("POST", "/posts", "application/json", br#"{"name": "t3_x", "#.to_vec()).await;
    malformed.assert_error(400, "not valid JSON");
    assert_eq!(count(&api, "posts").await, 0);
    assert_eq!(count(&api, "oplog").await, 0);

    // A charset parameter is fine.
    api.raw("POST", "/posts", "application/json; charset=utf-8", body).await.assert_status(201);
    assert_eq!(count(&api, "posts").await, 1);
}

#[actix_web::test]
async fn a_body_over_the_size_limit_is_a_413_in_the_json_envelope() {
    let api = spawn_api_with(|settings| settings.max_body_bytes = 2048).await;
    let large = with(new_post("t3_large", "Large"), "selftext", json!("x".repeat(4096)));
    let bytes = serde_json::to_vec(&large).expect("JSON");
    assert!(bytes.len() > 4096);

    let response = api.raw("POST", "/posts", "application/json", bytes).await;
    response.assert_status(413);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(response.body["_status"], "ERR", "{:#}", response.body);
    assert_eq!(response.body["_error"]["code"], 413);
    assert!(!response.body["_error"]["message"].as_str().unwrap_or_default().is_empty());
    assert_eq!(count(&api, "posts").await, 0);

    // Under the limit, the same document with a short selftext goes in.
    api.post("/posts", &with(large, "selftext", json!("short"))).await.assert_status(201);
}

#[actix_web::test]
async fn methods_a_url_does_not_allow_get_405_with_the_allowed_ones() {
    let api = spawn_api().await;
    let refused = api.request("PUT", "/posts", &[], Some(&new_post("t3_put", "Put"))).await;
    refused.assert_error(405, "method PUT is not allowed on /posts");
    assert_eq!(refused.header("allow"), Some("GET, HEAD, POST, OPTIONS"));
    let refused = api.request("DELETE", "/posts", &[], None).await;
    refused.assert_error(405, "method DELETE is not allowed on /posts");
    assert_eq!(refused.header("allow"), Some("GET, HEAD, POST, OPTIONS"));

    let ids = api.seed("posts", vec![post("Tagged", 1, 1, 0, 0)]).await;
    let created = api.post("/tags", &json!({ "user": "ann", "post_id": ids[0].to_hex(), "tag": "rust" })).await;
    created.assert_status(201);
    let tag_path = format!("/tags/{}", created.body["_id"].as_str().expect("an _id"));
    let tag = format!("\"{}\"", created.etag());
    // Tag items allow GET and DELETE only.
    let refused = api.request("PATCH", &tag_path, &[("If-Match", tag.as_str())], Some(&json!({"tag": "go"}))).await;
    refused.assert_error(405, &format!("method PATCH is not allowed on {tag_path}"));
    assert_eq!(refused.header("allow"), Some("GET, HEAD, DELETE, OPTIONS"));
    let refused = api.request("PUT", &tag_path, &[("If-Match", tag.as_str())], Some(&json!({"tag": "go"}))).await;
    refused.assert_error(405, "not allowed");
    assert_eq!(refused.header("allow"), Some("GET, HEAD, DELETE, OPTIONS"));

    let doc = stored(&api, "tags", &tag_path["/tags/".len()..]).await;
    assert_eq!(doc.get_str("tag"), Ok("rust"));
    assert_eq!(count(&api, "oplog").await, 1);
}

#[actix_web::test]
async fn related_ids_must_name_existing_documents() {
    let api = spawn_api().await;
    let ids = api.seed("posts", vec![post("Tagged post", 1, 1, 0, 0)]).await;
    let ghost = ObjectId::new().to_hex();
    let refused = api.post("/tags", &json!({ "user": "ana", "post_id": ghost, "tag": "x" })).await;
    refused.assert_error(422, "insertion failure");
    let message = format!("value '{ghost}' must exist in resource 'posts', field '_id'");
    assert_eq!(refused.body["_issues"], json!({ "post_id": message }));
    // In a bulk, only the document with the missing post fails, and nothing is written.
    let bulk = json!([
        { "user": "ana", "post_id": ids[0].to_hex(), "tag": "ok" },
        { "user": "ana", "post_id": ghost, "tag": "x" },
    ]);
    let refused = api.post("/tags", &bulk).await;
    refused.assert_status(422);
    assert_eq!(refused.body["_items"][0], json!({ "_status": "OK" }));
    assert_eq!(refused.body["_items"][1]["_issues"]["post_id"], message.as_str());
    assert_eq!(count(&api, "tags").await, 0);
    api.post("/tags", &json!({ "user": "ana", "post_id": ids[0].to_hex(), "tag": "x" })).await.assert_status(201);
}
