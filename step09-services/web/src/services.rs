//! The web front's client of the REST API: every post, search,
//! recommendation and tag query that step06 sent to MongoDB now goes to
//! `step08-api` over HTTP.
//!
//! The methods keep step06's names and types (`recommendations`, `search`,
//! `post`, `post_tags`, `add_tag`, …) so that the handlers barely change:
//! that the data now comes from another program is this file's business.
//!
//! One [`ApiClient`] per worker wraps one `awc::Client` (awc clients are
//! not `Send`; actix-web builds one per worker thread in the `HttpServer`
//! closure). Every call has a timeout; a refused connection is
//! [`ApiClientError::Unavailable`] and the page answers 503.

use std::time::Duration;

use awc::{http::StatusCode, Client, Connector};
use mongodb::bson::{oid::ObjectId, DateTime};
use serde::{de::DeserializeOwned, Deserialize, Deserializer};
use serde_json::{json, Value};

/// The number of posts on the home page's recommendations grid.
pub const GRID_SIZE: i64 = 12;
/// The number of posts on the full `/recommended/` list.
pub const RECOMMENDED_LIST_SIZE: i64 = 50;
/// How many tagged posts `/me` lists (the API's page limit for posts).
pub const ME_POSTS_LIMIT: i64 = 50;
/// The most topics sent to the recommendations (the aggregation's limit).
pub const MAX_TOPICS: usize = 20;

/// One post as the API returns it (only the fields the pages use).
#[derive(Debug, Clone, Deserialize)]
pub struct Post {
    /// The MongoDB id, used in `/posts/{id}` links.
    #[serde(rename = "_id", deserialize_with = "hex_id")]
    pub id: ObjectId,
    /// The post's title.
    pub title: String,
    /// Who posted it.
    #[serde(default)]
    pub author: String,
    /// Where the post links to (the permalink for self posts).
    #[serde(default)]
    pub url: String,
    /// The linked site, `self.<subreddit>` for self posts.
    #[serde(default)]
    pub domain: String,
    /// The discussion page on reddit (or StackOverflow).
    #[serde(default)]
    pub permalink: String,
    /// The text of a self post.
    #[serde(default)]
    pub selftext: String,
    /// Whether this is a text post.
    #[serde(default)]
    pub is_self: bool,
    /// When it was posted (an RFC 1123 date on the wire).
    #[serde(default, deserialize_with = "http_date")]
    pub created_utc: Option<DateTime>,
    /// Upvotes minus downvotes.
    #[serde(default)]
    pub score: i64,
    /// Number of comments.
    #[serde(default)]
    pub num_comments: i64,
    /// `score / 10`, only in recommendation results: the tile's visual weight.
    pub weight: Option<f64>,
}

/// A post with the tags the current user gave it (for `/me`).
#[derive(Debug, Clone)]
pub struct TaggedPost {
    /// The post.
    pub post: Post,
    /// The user's tags on it, sorted.
    pub tags: Vec<String>,
}

/// Why a call to the API failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiClientError {
    /// The API cannot be reached, or it says its database cannot (503).
    #[error("the API is unavailable: {0}")]
    Unavailable(String),
    /// The API did not answer in time (504).
    #[error("the API did not answer in time")]
    Timeout,
    /// The API answered something this client does not expect (502).
    #[error("unexpected answer from the API: {0}")]
    Unexpected(String),
}

/// Eve's collection envelope.
#[derive(Deserialize)]
struct Page<T> {
    #[serde(rename = "_items")]
    items: Vec<T>,
    #[serde(rename = "_links", default)]
    links: Value,
}

/// A tag document (only its id, ETag and text are used).
#[derive(Deserialize)]
struct TagItem {
    #[serde(rename = "_id")]
    id: String,
    #[serde(rename = "_etag")]
    etag: String,
    tag: String,
}

/// The REST API, seen from the web front.
#[derive(Clone)]
pub struct ApiClient {
    http: Client,
    base: String,
}

impl ApiClient {
    /// A client of the API at `base` (`API_URL`); every request gives up
    /// after `timeout`, and connecting after at most `timeout` too.
    pub fn new(base: &str, timeout: Duration) -> Self {
        let http = Client::builder()
            .connector(Connector::new().timeout(timeout))
            .timeout(timeout)
            .add_default_header(("accept", "application/json"))
            .finish();
        Self { http, base: base.trim_end_matches('/').to_owned() }
    }

    /// `GET` a path (with its query string) as JSON; `None` on 404.
    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<Option<T>, ApiClientError> {
        let mut response = self.http.get(format!("{}{path}", self.base)).send().await.map_err(send_error)?;
        match response.status() {
            StatusCode::NOT_FOUND => Ok(None),
            status if status.is_success() => response
                .json::<T>()
                .limit(16 << 20)
                .await
                .map(Some)
                .map_err(|e| ApiClientError::Unexpected(e.to_string())),
            status => Err(status_error(status, &mut response).await),
        }
    }

    /// `GET` a collection or aggregation page.
    async fn page<T: DeserializeOwned>(&self, path: &str) -> Result<Page<T>, ApiClientError> {
        self.get(path).await?.ok_or_else(|| ApiClientError::Unexpected(format!("{path}: 404")))
    }

    /// `Ok` when the API answers its `/health`.
    pub async fn health(&self) -> Result<(), ApiClientError> {
        self.get::<Value>("/health").await?.map(|_| ()).ok_or_else(|| ApiClientError::Unexpected("/health: 404".into()))
    }

    /// The recommendations: the domain's `recommendations` aggregation,
    /// with the user's topics ranked first.
    pub async fn recommendations(&self, topics: &[String], limit: i64) -> Result<Vec<Post>, ApiClientError> {
        let topics = topics.iter().take(MAX_TOPICS).map(String::as_str).collect::<Vec<_>>().join(",");
        let path = format!("/aggregations/recommendations?topics={}&max_results={limit}", urlencoding::encode(&topics));
        Ok(self.page(&path).await?.items)
    }

    /// One page of posts that carry every keyword, best score first, and
    /// whether a next page exists (`count=none`: the API reads one extra
    /// post instead of counting every match).
    pub async fn search(
        &self,
        keywords: &[String],
        page: u32,
        page_size: u32,
    ) -> Result<(Vec<Post>, bool), ApiClientError> {
        let path = format!(
            "/posts?where={}&sort=-score,-_id&max_results={page_size}&page={page}&count=none",
            urlencoding::encode(&search_filter(keywords).to_string())
        );
        let page: Page<Post> = self.page(&path).await?;
        let has_next = page.links.get("next").is_some();
        Ok((page.items, has_next))
    }

    /// One post by id.
    pub async fn post(&self, id: ObjectId) -> Result<Option<Post>, ApiClientError> {
        self.get(&format!("/posts/{id}")).await
    }

    /// The tags of `user` on one post, as documents.
    async fn tag_items(&self, filter: Value) -> Result<Vec<TagItem>, ApiClientError> {
        let path = format!("/tags?where={}&max_results=50&count=none", urlencoding::encode(&filter.to_string()));
        Ok(self.page(&path).await?.items)
    }

    /// The tags `user` put on one post, sorted.
    pub async fn post_tags(&self, user: &str, post_id: ObjectId) -> Result<Vec<String>, ApiClientError> {
        let items = self.tag_items(json!({ "user": user, "post_id": post_id.to_hex() })).await?;
        let mut tags: Vec<String> = items.into_iter().map(|t| t.tag).collect();
        tags.sort();
        Ok(tags)
    }

    /// Adds a tag; adding it twice is a no-op (the API answers 409 on the
    /// unique `(user, post_id, tag)` index).
    pub async fn add_tag(&self, user: &str, post_id: ObjectId, tag: &str) -> Result<(), ApiClientError> {
        let body = json!({ "user": user, "post_id": post_id.to_hex(), "tag": tag });
        let mut response = self.http.post(format!("{}/tags", self.base)).send_json(&body).await.map_err(send_error)?;
        match response.status() {
            status if status.is_success() => Ok(()),
            StatusCode::CONFLICT => Ok(()),
            status => Err(status_error(status, &mut response).await),
        }
    }

    /// Removes a tag; removing a missing tag is a no-op. Each tag document
    /// is deleted with its ETag (`If-Match`); one that changed or vanished
    /// meanwhile (412, 404) was removed by someone else.
    pub async fn remove_tag(&self, user: &str, post_id: ObjectId, tag: &str) -> Result<(), ApiClientError> {
        for item in self.tag_items(json!({ "user": user, "post_id": post_id.to_hex(), "tag": tag })).await? {
            let mut response = self
                .http
                .delete(format!("{}/tags/{}", self.base, item.id))
                .insert_header(("if-match", format!("\"{}\"", item.etag)))
                .send()
                .await
                .map_err(send_error)?;
            match response.status() {
                status if status.is_success() => {}
                StatusCode::NOT_FOUND | StatusCode::PRECONDITION_FAILED => {}
                status => return Err(status_error(status, &mut response).await),
            }
        }
        Ok(())
    }

    /// Every distinct tag of `user`, sorted (the `user_tags` aggregation).
    pub async fn user_tags(&self, user: &str) -> Result<Vec<String>, ApiClientError> {
        #[derive(Deserialize)]
        struct Tag {
            tag: String,
        }
        let path = format!("/aggregations/user_tags?user={}&max_results=200", urlencoding::encode(user));
        Ok(self.page::<Tag>(&path).await?.items.into_iter().map(|t| t.tag).collect())
    }

    /// The user's topics: the search keywords of their tags, so that they can
    /// be matched against the posts' `keywords`.
    pub async fn user_topics(&self, user: &str) -> Result<Vec<String>, ApiClientError> {
        Ok(datasets::keywords(&self.user_tags(user).await?.join(" ")))
    }

    /// The posts `user` tagged, most recently tagged first, with their tags:
    /// the `tagged_posts` aggregation, then the posts in one request.
    pub async fn tagged_posts(&self, user: &str) -> Result<Vec<TaggedPost>, ApiClientError> {
        #[derive(Deserialize)]
        struct Group {
            post_id: String,
            tags: Vec<String>,
        }
        let path =
            format!("/aggregations/tagged_posts?user={}&max_results={ME_POSTS_LIMIT}", urlencoding::encode(user));
        let groups = self.page::<Group>(&path).await?.items;
        if groups.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<&str> = groups.iter().map(|g| g.post_id.as_str()).collect();
        let filter = json!({ "_id": { "$in": ids } });
        let path = format!(
            "/posts?where={}&max_results={ME_POSTS_LIMIT}&count=none",
            urlencoding::encode(&filter.to_string())
        );
        let mut posts: std::collections::HashMap<String, Post> =
            self.page::<Post>(&path).await?.items.into_iter().map(|p| (p.id.to_hex(), p)).collect();
        Ok(groups
            .into_iter()
            .filter_map(|g| {
                let post = posts.remove(&g.post_id)?;
                let mut tags = g.tags;
                tags.sort();
                Some(TaggedPost { post, tags })
            })
            .collect())
    }
}

/// The search filter: every keyword must be in the post's `keywords`.
///
/// MongoDB and SecantusDB both plan `$all` on the `{keywords: 1, score: -1}`
/// index: its first keyword bounds the index scan, the others filter.
pub fn search_filter(keywords: &[String]) -> Value {
    json!({ "keywords": { "$all": keywords } })
}

/// A failed send: a timeout, or the API not reachable at all.
fn send_error(e: awc::error::SendRequestError) -> ApiClientError {
    match e {
        awc::error::SendRequestError::Timeout => ApiClientError::Timeout,
        awc::error::SendRequestError::Connect(awc::error::ConnectError::Timeout) => ApiClientError::Timeout,
        other => ApiClientError::Unavailable(other.to_string()),
    }
}

/// An error status from the API, with Eve's message when there is one.
async fn status_error<S>(status: StatusCode, response: &mut awc::ClientResponse<S>) -> ApiClientError
where
    S: futures::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>> + Unpin,
{
    let message = response
        .json::<Value>()
        .await
        .ok()
        .and_then(|v| v["_error"]["message"].as_str().map(str::to_owned))
        .unwrap_or_default();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        ApiClientError::Unavailable(message)
    } else {
        ApiClientError::Unexpected(format!("{status}: {message}"))
    }
}

/// An ObjectId from its 24-hex string.
fn hex_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<ObjectId, D::Error> {
    let text = String::deserialize(deserializer)?;
    ObjectId::parse_str(&text).map_err(serde::de::Error::custom)
}

/// A date from Eve's RFC 1123 string.
fn http_date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<DateTime>, D::Error> {
    let text = Option::<String>::deserialize(deserializer)?;
    Ok(text
        .and_then(|t| chrono::DateTime::parse_from_rfc2822(&t).ok())
        .map(|t| DateTime::from_millis(t.timestamp_millis())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_keyword_must_be_present() {
        assert_eq!(search_filter(&["flask".into()]), json!({ "keywords": { "$all": ["flask"] } }));
        assert_eq!(
            search_filter(&["flask".into(), "async".into()]),
            json!({ "keywords": { "$all": ["flask", "async"] } })
        );
    }

    #[test]
    fn posts_are_read_from_eve_json() {
        let post: Post = serde_json::from_value(json!({
            "_id": "4b43a616a1b588c68c000000", "title": "t", "created_utc": "Tue, 02 Apr 2013 10:29:13 GMT",
            "score": 3, "_etag": "x", "_links": {}
        }))
        .unwrap();
        assert_eq!(post.id.to_hex(), "4b43a616a1b588c68c000000");
        assert_eq!(post.created_utc, Some(DateTime::from_millis(1_364_898_553_000)));
        assert_eq!(post.score, 3);
    }
}
