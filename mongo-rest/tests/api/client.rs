//! A JSON client of a running API, for tests: any request, Eve's error
//! envelope asserted, documents seeded straight into the database, and the
//! database dropped afterwards.
//!
//! Dev-only and shared: the tests of the workshop step that serves this
//! engine include this file by path for the API they spawn, so each test
//! binary uses only part of it.
#![allow(dead_code)]

use std::time::Duration;

use mongodb::{
    bson::{oid::ObjectId, Document},
    Client, Database,
};
use serde_json::Value;

/// A running API and its database.
pub struct TestApi {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// The API's database (dropped with the `TestApi` if it owns it).
    pub db: Database,
    db_name: Option<String>,
    client: awc::Client,
}

/// A JSON response, read whole.
pub struct Json {
    pub status: u16,
    pub headers: awc::http::header::HeaderMap,
    /// The body as JSON (`Null` when empty).
    pub body: Value,
}

impl Json {
    /// Asserts the status, printing the body when it differs.
    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Self {
        assert_eq!(self.status, status, "unexpected status; body:\n{:#}", self.body);
        self
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The ETag header without quotes.
    pub fn etag(&self) -> String {
        self.header("etag").expect("an ETag header").trim_matches('"').to_owned()
    }

    /// Asserts Eve's error envelope with this status, and that the message
    /// contains `text`.
    #[track_caller]
    pub fn assert_error(&self, status: u16, text: &str) -> &Self {
        self.assert_status(status);
        assert_eq!(self.body["_status"], "ERR", "{:#}", self.body);
        assert_eq!(self.body["_error"]["code"], status, "{:#}", self.body);
        let message = self.body["_error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(text), "{text:?} not in error message {message:?}");
        self
    }
}

/// The server the tests use: the development database.
fn server_uri() -> String {
    std::env::var("MONGODB_URI").unwrap_or_else(|_| "mongodb://127.0.0.1:27017".into())
}

impl TestApi {
    /// A client of the API at `address`, whose database is `db_name`;
    /// `owned`: the database is dropped with the `TestApi`.
    pub async fn new(address: String, db_name: &str, owned: bool) -> Self {
        let client = Client::with_uri_str(server_uri()).await.expect("a MongoDB client");
        TestApi {
            address,
            db: client.database(db_name),
            db_name: owned.then(|| db_name.to_owned()),
            client: awc::Client::builder().disable_redirects().timeout(Duration::from_secs(60)).finish(),
        }
    }

    /// Any request: method, path (with query), extra headers, JSON body.
    pub async fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&Value>) -> Json {
        let method = awc::http::Method::from_bytes(method.as_bytes()).expect("a method");
        let mut request = self.client.request(method, format!("{}{path}", self.address));
        for (name, value) in headers {
            request = request.insert_header((*name, *value));
        }
        let response = match body {
            Some(body) => request.send_json(body).await,
            None => request.send().await,
        };
        let mut response = response.expect("the request is sent");
        let bytes = response.body().limit(16 * 1024 * 1024).await.expect("a body");
        Json {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: if bytes.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(&bytes)
                    .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)))
            },
        }
    }

    /// A raw request with a body of any content type (the body is returned
    /// as JSON, since the API answers JSON even to bad requests).
    pub async fn raw(&self, method: &str, path: &str, content_type: &str, body: Vec<u8>) -> Json {
        let method = awc::http::Method::from_bytes(method.as_bytes()).expect("a method");
        let mut response = self
            .client
            .request(method, format!("{}{path}", self.address))
            .insert_header(("content-type", content_type))
            .send_body(body)
            .await
            .expect("the request is sent");
        let bytes = response.body().limit(16 * 1024 * 1024).await.expect("a body");
        Json {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Json {
        self.request("GET", path, &[], None).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> Json {
        self.request("POST", path, &[], Some(body)).await
    }

    /// Inserts documents straight into a collection (as `datasets import`
    /// would), returning their ids in order.
    pub async fn seed(&self, collection: &str, docs: Vec<Document>) -> Vec<ObjectId> {
        let result = self.db.collection::<Document>(collection).insert_many(docs).await.expect("documents inserted");
        let mut ids: Vec<(usize, ObjectId)> =
            result.inserted_ids.into_iter().map(|(i, id)| (i, id.as_object_id().expect("an ObjectId"))).collect();
        ids.sort_by_key(|(i, _)| *i);
        ids.into_iter().map(|(_, id)| id).collect()
    }
}

impl Drop for TestApi {
    fn drop(&mut self) {
        let Some(name) = self.db_name.take() else { return };
        // A fresh runtime: the test's own cannot be used from `Drop`, and
        // the database is dropped even when the test failed.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
            runtime.block_on(async {
                if let Ok(client) = Client::with_uri_str(server_uri()).await {
                    let _ = client.database(&name).drop().await;
                }
            });
        })
        .join();
    }
}
