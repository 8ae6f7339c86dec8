//! The web front's clients of the services: every post, search,
//! recommendation and tag that step 08 asked one REST API for now comes
//! from the service whose verb it is (posts, search, recommend, tags).
//!
//! The methods keep step 08's names and types (`recommendations`, `search`,
//! `post`, `post_tags`, `add_tag`, …) so that the handlers barely change:
//! which service answers is this file's business.
//!
//! [`Clients`] holds one [`Upstream`] per service for one worker (awc
//! clients are not `Send`: actix-web builds them per worker thread in the
//! `HttpServer` closure, around [`Instances`] made once in
//! [`crate::startup`]). [`Services`] is the extractor handlers take: the
//! worker's clients plus this request's [`Ctx`] (its request id, forwarded
//! as `X-Request-Id` on every call, and its [`Timings`], which become the
//! `Server-Timing` header). Round robin, the whole-call timeout and
//! skipping dead instances are the kit's ([`kit::upstream`]).
//!
//! Step 10 adds the clients of likes, shares and hide, and the page's
//! deadline: every read a page makes goes through [`Services::bounded`],
//! so a call still running when `PAGE_DEADLINE_MS` has passed since the
//! request began is given up (the page falls back as for a timeout). The
//! calls themselves are plain futures: the handlers run the independent
//! ones together with `futures::join!` (see [`crate::routes::home`]).

use std::{
    collections::HashMap,
    future::Ready,
    sync::Arc,
    time::{Duration, Instant},
};

use actix_web::{
    dev::Payload,
    http::{Method, StatusCode},
    web, FromRequest, HttpMessage, HttpRequest,
};
use futures::StreamExt;
pub use kit::upstream::UpstreamError;
use kit::{
    timing::Timings,
    upstream::{Ctx, Instances, Upstream},
    RequestId,
};
use mongodb::bson::{oid::ObjectId, DateTime};
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};

use crate::{fanout::Fanout, settings::Settings};

/// The number of posts on the home page's recommendations grid.
pub const GRID_SIZE: i64 = 12;
/// The number of posts on the full `/recommended/` list.
pub const RECOMMENDED_LIST_SIZE: i64 = 50;
/// The most recommendations one call asks for (recommend's limit).
pub const MAX_RECOMMENDATIONS: i64 = 50;
/// How many tagged posts `/me` lists (the posts service's page limit).
pub const ME_POSTS_LIMIT: i64 = 50;
/// The most topics sent to the recommendations (recommend's limit).
pub const MAX_TOPICS: usize = 20;

/// One post as the services return it (only the fields the pages use).
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
    /// `score / 10`, only in recommendation results: the tile's visual weight
    /// (copied from [`Why::weight`]).
    #[serde(default)]
    pub weight: Option<f64>,
    /// Why recommend chose the post (v2's answer), only in recommendations.
    #[serde(default)]
    pub why: Option<Why>,
}

/// Recommend v2's reasons for one recommended post.
#[derive(Debug, Clone, Deserialize)]
pub struct Why {
    /// The user's topics the post matched.
    #[serde(default)]
    pub topics: Vec<String>,
    /// `score / 10`.
    pub weight: f64,
    /// The ranking value recommend sorted by.
    #[serde(default)]
    pub rank: f64,
}

/// A post with the tags the current user gave it (for `/me`).
#[derive(Debug, Clone)]
pub struct TaggedPost {
    /// The post.
    pub post: Post,
    /// The user's tags on it, sorted.
    pub tags: Vec<String>,
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

/// The most post ids one likes call carries (the likes service's limit).
pub const MAX_LIKES_IDS: usize = 100;
/// The most post ids one shares call carries (the shares service's limit,
/// `MAX_POST_IDS` in its store).
pub const MAX_SHARES_IDS: usize = 100;

/// One worker's clients of the services.
pub struct Clients {
    posts: Upstream,
    search: Upstream,
    recommend: Upstream,
    tags: Upstream,
    likes: Upstream,
    shares: Upstream,
    hide: Upstream,
    page_deadline: Duration,
    fanout: Fanout,
}

/// A post's likes, as likes counts them for a list of posts.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
pub struct Likes {
    /// How many users like it.
    pub count: i64,
    /// Whether the user asked about likes it (false for anonymous visitors).
    #[serde(default)]
    pub liked: bool,
}

/// A post's shares: how many users shared it and how often its links were
/// followed.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
pub struct Shares {
    /// Users who shared it.
    pub count: i64,
    /// Visits of its share links.
    pub visits: i64,
}

/// What a write to likes, shares or hide did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// It changed something (201, or 204 for a removal).
    Done,
    /// It was so already (200 for a like or hide, 404 for a removal).
    Already,
}

/// A share link, as shares hands it out.
#[derive(Debug, Clone, Deserialize)]
pub struct ShareLink {
    /// The short code.
    pub code: String,
    /// `/s/{code}`, a path on the web front.
    pub url: String,
}

/// The instances of every service, made once and shared by the workers
/// (the round robin position and which instances failed lately).
#[derive(Clone)]
pub struct Directory {
    posts: Arc<Instances>,
    search: Arc<Instances>,
    recommend: Arc<Instances>,
    tags: Arc<Instances>,
    timeout: Duration,
    likes: Arc<Instances>,
    shares: Arc<Instances>,
    hide: Arc<Instances>,
    likes_timeout: Duration,
    shares_timeout: Duration,
    hide_timeout: Duration,
    page_deadline: Duration,
    fanout: Fanout,
}

impl Directory {
    /// The instances listed in `POSTS_URL`, `SEARCH_URL`, `RECOMMEND_URL`,
    /// `TAGS_URL`, `LIKES_URL`, `SHARES_URL` and `HIDE_URL`.
    pub fn new(settings: &Settings) -> Self {
        Self {
            posts: Instances::new("posts", settings.posts_url.clone()),
            search: Instances::new("search", settings.search_url.clone()),
            recommend: Instances::new("recommend", settings.recommend_url.clone()),
            tags: Instances::new("tags", settings.tags_url.clone()),
            timeout: settings.service_timeout,
            likes: Instances::new("likes", settings.likes_url.clone()),
            shares: Instances::new("shares", settings.shares_url.clone()),
            hide: Instances::new("hide", settings.hide_url.clone()),
            likes_timeout: settings.likes_timeout,
            shares_timeout: settings.shares_timeout,
            hide_timeout: settings.hide_timeout,
            page_deadline: settings.page_deadline,
            fanout: settings.fanout,
        }
    }

    /// One worker's clients (call it in the `HttpServer::new` closure).
    pub fn clients(&self) -> Clients {
        let client = |instances: &Arc<Instances>| Upstream::new(instances.clone(), self.timeout);
        Clients {
            posts: client(&self.posts),
            search: client(&self.search),
            recommend: client(&self.recommend),
            tags: client(&self.tags),
            // Each of the new services under its own timeout.
            likes: Upstream::new(self.likes.clone(), self.likes_timeout),
            shares: Upstream::new(self.shares.clone(), self.shares_timeout),
            hide: Upstream::new(self.hide.clone(), self.hide_timeout),
            page_deadline: self.page_deadline,
            fanout: self.fanout,
        }
    }
}

/// The service an error is about.
pub fn service_of(e: &UpstreamError) -> &'static str {
    match e {
        UpstreamError::Unavailable { service, .. }
        | UpstreamError::Timeout { service, .. }
        | UpstreamError::Unexpected { service, .. } => service,
    }
}

/// The timings of the request being served: the ones its extensions hold,
/// or new ones stored there (so that every extractor, the render and the
/// `Server-Timing` middleware share them).
pub fn request_timings(req: &HttpRequest) -> Timings {
    if let Some(timings) = req.extensions().get::<Timings>() {
        return timings.clone();
    }
    let timings = Timings::default();
    req.extensions_mut().insert(timings.clone());
    timings
}

/// The services, seen from one request: the worker's [`Clients`] and the
/// request's [`Ctx`]. Handlers take it as an argument.
pub struct Services {
    clients: web::Data<Clients>,
    ctx: Ctx,
    /// When the page's calls must be over (`PAGE_DEADLINE_MS` after the
    /// request was extracted).
    deadline: Instant,
}

impl FromRequest for Services {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let clients = req.app_data::<web::Data<Clients>>().cloned().ok_or_else(|| {
            actix_web::error::ErrorInternalServerError("the service clients are not installed on this worker")
        });
        std::future::ready(clients.map(|clients| {
            // The kit's extractor: the id its middleware chose (or a fresh one).
            let request_id = req.extensions().get::<RequestId>().map(|id| id.0.clone());
            let request_id = request_id.unwrap_or_else(kit::request_id::fresh);
            let deadline = Instant::now() + clients.page_deadline;
            Services { clients, ctx: Ctx { request_id, timings: request_timings(req) }, deadline }
        }))
    }
}

/// Eve's envelope around a list, whichever service sent it.
fn items<T: serde::de::DeserializeOwned>(page: Page<T>) -> Vec<T> {
    page.items
}

impl Services {
    /// This request's timings (the render adds itself to them).
    pub fn timings(&self) -> &Timings {
        &self.ctx.timings
    }

    /// How this page waits for the calls of a round (`FANOUT`).
    pub fn fanout(&self) -> Fanout {
        self.clients.fanout
    }

    /// Runs `call` (a call to `service`) until the page's deadline at the
    /// latest: past it, the call is dropped (its connection closed) and the
    /// page gets a timeout, which it handles like any other.
    pub async fn bounded<T>(
        &self,
        service: &'static str,
        call: impl std::future::Future<Output = Result<T, UpstreamError>>,
    ) -> Result<T, UpstreamError> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        match actix_web::rt::time::timeout(left, call).await {
            Ok(result) => result,
            Err(_) => {
                log::warn!("{service}: the page's deadline ({:?}) has passed", self.clients.page_deadline);
                Err(UpstreamError::Timeout { service, timeout: self.clients.page_deadline })
            }
        }
    }

    /// `GET` a list page from one service (a 404 is an error), within the
    /// page's deadline.
    async fn page<T: serde::de::DeserializeOwned>(
        &self,
        service: &Upstream,
        path: &str,
    ) -> Result<Page<T>, UpstreamError> {
        self.bounded(service.instances().name(), service.get_found(&self.ctx, path)).await
    }

    /// The recommendations: recommend's `/v2/recommendations`, with the
    /// user's topics ranked first (the web front uses v2).
    pub async fn recommendations(&self, topics: &[String], limit: i64) -> Result<Vec<Post>, UpstreamError> {
        let topics = topics.iter().take(MAX_TOPICS).map(String::as_str).collect::<Vec<_>>().join(",");
        let path = format!("/v2/recommendations?topics={}&max_results={limit}", urlencoding::encode(&topics));
        let mut posts = items(self.page::<Post>(&self.clients.recommend, &path).await?);
        for post in &mut posts {
            post.weight = post.why.as_ref().map(|why| why.weight).or(post.weight);
        }
        Ok(posts)
    }

    /// One page of posts that carry every keyword of `query`, best score
    /// first, and whether a next page exists: search's `/v1/search` (which
    /// extracts the keywords with the same function that the posts'
    /// `keywords` were computed with).
    pub async fn search(&self, query: &str, page: u32, page_size: u32) -> Result<(Vec<Post>, bool), UpstreamError> {
        let path = format!("/v1/search?q={}&page={page}&max_results={page_size}", urlencoding::encode(query));
        let page: Page<Post> = self.page(&self.clients.search, &path).await?;
        let has_next = page.links.get("next").is_some();
        Ok((page.items, has_next))
    }

    /// Whether one of the services answers `method path` with a success
    /// (the readiness probe).
    pub async fn probe(&self, service: &str, method: Method, path: &str) -> bool {
        let client = match service {
            "posts" => &self.clients.posts,
            "search" => &self.clients.search,
            "recommend" => &self.clients.recommend,
            "likes" => &self.clients.likes,
            "shares" => &self.clients.shares,
            "hide" => &self.clients.hide,
            _ => &self.clients.tags,
        };
        client.call(&self.ctx, method, path, None).await.is_ok_and(|reply| reply.status.is_success())
    }

    /// One post by id.
    pub async fn post(&self, id: ObjectId) -> Result<Option<Post>, UpstreamError> {
        self.bounded("posts", self.clients.posts.get_json(&self.ctx, &format!("/posts/{id}"))).await
    }

    /// The tags of `user` on one post, as documents.
    async fn tag_items(&self, filter: Value) -> Result<Vec<TagItem>, UpstreamError> {
        let path = format!("/tags?where={}&max_results=50&count=none", urlencoding::encode(&filter.to_string()));
        Ok(self.page(&self.clients.tags, &path).await?.items)
    }

    /// The tags `user` put on one post, sorted.
    pub async fn post_tags(&self, user: &str, post_id: ObjectId) -> Result<Vec<String>, UpstreamError> {
        let items = self.tag_items(json!({ "user": user, "post_id": post_id.to_hex() })).await?;
        let mut tags: Vec<String> = items.into_iter().map(|t| t.tag).collect();
        tags.sort();
        Ok(tags)
    }

    /// Adds a tag; adding it twice is a no-op (the API answers 409 on the
    /// unique `(user, post_id, tag)` index).
    pub async fn add_tag(&self, user: &str, post_id: ObjectId, tag: &str) -> Result<(), UpstreamError> {
        let body = json!({ "user": user, "post_id": post_id.to_hex(), "tag": tag });
        let reply = self.clients.tags.call(&self.ctx, Method::POST, "/tags", Some(&body)).await?;
        match reply.status {
            status if status.is_success() => Ok(()),
            StatusCode::CONFLICT => Ok(()),
            _ => Err(reply.error()),
        }
    }

    /// Removes a tag; removing a missing tag is a no-op. Each tag document
    /// is deleted with its ETag (`If-Match`); one that changed or vanished
    /// meanwhile (412, 404) was removed by someone else.
    pub async fn remove_tag(&self, user: &str, post_id: ObjectId, tag: &str) -> Result<(), UpstreamError> {
        for item in self.tag_items(json!({ "user": user, "post_id": post_id.to_hex(), "tag": tag })).await? {
            let path = format!("/tags/{}", item.id);
            let if_match = format!("\"{}\"", item.etag);
            let reply = self
                .clients
                .tags
                .call_with_headers(&self.ctx, Method::DELETE, &path, None, &[("if-match", &if_match)])
                .await?;
            match reply.status {
                status if status.is_success() => {}
                StatusCode::NOT_FOUND | StatusCode::PRECONDITION_FAILED => {}
                _ => return Err(reply.error()),
            }
        }
        Ok(())
    }

    /// Every distinct tag of `user`, sorted (the `user_tags` aggregation).
    pub async fn user_tags(&self, user: &str) -> Result<Vec<String>, UpstreamError> {
        #[derive(Deserialize)]
        struct Tag {
            tag: String,
        }
        let path = format!("/aggregations/user_tags?user={}&max_results=200", urlencoding::encode(user));
        Ok(self.page::<Tag>(&self.clients.tags, &path).await?.items.into_iter().map(|t| t.tag).collect())
    }

    /// The user's topics: the search keywords of their tags (tags computes
    /// them when a tag is written), so that they can be matched against the
    /// posts' `keywords`: tags' `user_topics` aggregation.
    pub async fn user_topics(&self, user: &str) -> Result<Vec<String>, UpstreamError> {
        #[derive(Deserialize)]
        struct Topic {
            topic: String,
        }
        let path = format!("/aggregations/user_topics?user={}&max_results={MAX_TOPICS}", urlencoding::encode(user));
        Ok(self.page::<Topic>(&self.clients.tags, &path).await?.items.into_iter().map(|t| t.topic).collect())
    }

    /// The posts `user` tagged, most recently tagged first, with their tags:
    /// tags' `tagged_posts` aggregation, then the posts from posts in one
    /// request.
    pub async fn tagged_posts(&self, user: &str) -> Result<Vec<TaggedPost>, UpstreamError> {
        #[derive(Deserialize)]
        struct Group {
            post_id: String,
            tags: Vec<String>,
        }
        let path =
            format!("/aggregations/tagged_posts?user={}&max_results={ME_POSTS_LIMIT}", urlencoding::encode(user));
        let groups = self.page::<Group>(&self.clients.tags, &path).await?.items;
        if groups.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<&str> = groups.iter().map(|g| g.post_id.as_str()).collect();
        let filter = json!({ "_id": { "$in": ids } });
        let path = format!(
            "/posts?where={}&max_results={ME_POSTS_LIMIT}&count=none",
            urlencoding::encode(&filter.to_string())
        );
        let mut posts: std::collections::HashMap<String, Post> = self
            .page::<Post>(&self.clients.posts, &path)
            .await?
            .items
            .into_iter()
            .map(|p| (p.id.to_hex(), p))
            .collect();
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

/// Step 10's services: likes, shares and hide.
impl Services {
    /// The likes of `post_ids` (and whether `user` likes each), keyed by
    /// post id: likes' `GET /v1/likes?post_ids=…&user=…`, in calls of at
    /// most [`MAX_LIKES_IDS`] ids, all at once (one at a time with
    /// `FANOUT=sequential`). Posts likes does not list
    /// have no like.
    pub async fn likes(
        &self,
        post_ids: &[String],
        user: Option<&str>,
    ) -> Result<HashMap<String, Likes>, UpstreamError> {
        let user = user.map(|u| format!("&user={}", urlencoding::encode(u))).unwrap_or_default();
        self.counts_by_post(&self.clients.likes, "/v1/likes", post_ids, MAX_LIKES_IDS, &user).await
    }

    /// The share counts of `post_ids`, keyed by post id: shares'
    /// `GET /v1/shares?post_ids=…`, in calls of at most [`MAX_SHARES_IDS`]
    /// ids (one call for any page the web front shows), all at once (one at
    /// a time with `FANOUT=sequential`). Posts shares does not list were
    /// never shared; the first failure fails the whole (the page then says
    /// the counts are missing).
    pub async fn shares(&self, post_ids: &[String]) -> Result<HashMap<String, Shares>, UpstreamError> {
        self.counts_by_post(&self.clients.shares, "/v1/shares", post_ids, MAX_SHARES_IDS, "").await
    }

    /// One batched count call of likes or shares: `{path}?post_ids=…{rest}`
    /// in calls of at most `max` ids, all at once (one at a time with
    /// `FANOUT=sequential`), each answer's `_items` keyed by their
    /// `post_id`; the first failure fails the whole.
    async fn counts_by_post<T: serde::de::DeserializeOwned>(
        &self,
        service: &Upstream,
        path: &str,
        post_ids: &[String],
        max: usize,
        rest: &str,
    ) -> Result<HashMap<String, T>, UpstreamError> {
        #[derive(Deserialize)]
        struct Item<T> {
            post_id: String,
            #[serde(flatten)]
            counts: T,
        }
        let calls: Vec<_> = post_ids
            .chunks(max)
            .map(|ids| {
                // Hex ids need no escaping: the commas stay commas, as both services document.
                let path = format!("{path}?post_ids={}{rest}", ids.join(","));
                async move { self.page::<Item<T>>(service, &path).await }
            })
            .collect();
        let in_flight = self.fanout().in_flight(calls.len());
        let mut pages = futures::stream::iter(calls).buffered(in_flight);
        let mut counts = HashMap::new();
        while let Some(page) = pages.next().await {
            counts.extend(page?.items.into_iter().map(|item| (item.post_id, item.counts)));
        }
        Ok(counts)
    }

    /// The posts with these hex ids (at most [`ME_POSTS_LIMIT`] of them, in
    /// the order given; ids posts does not know are skipped): one request.
    pub async fn posts_by_ids(&self, ids: &[String]) -> Result<Vec<Post>, UpstreamError> {
        let ids: Vec<&str> = ids.iter().take(ME_POSTS_LIMIT as usize).map(String::as_str).collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let filter = json!({ "_id": { "$in": &ids } });
        let path = format!(
            "/posts?where={}&max_results={ME_POSTS_LIMIT}&count=none",
            urlencoding::encode(&filter.to_string())
        );
        let mut found: HashMap<String, Post> = self
            .page::<Post>(&self.clients.posts, &path)
            .await?
            .items
            .into_iter()
            .map(|p| (p.id.to_hex(), p))
            .collect();
        Ok(ids.iter().filter_map(|id| found.remove(*id)).collect())
    }

    /// The ids of the posts `user` hid: hide's `GET /v1/hidden/{user}`.
    pub async fn hidden(&self, user: &str) -> Result<Vec<String>, UpstreamError> {
        #[derive(Deserialize)]
        struct Hidden {
            post_ids: Vec<String>,
        }
        let path = format!("/v1/hidden/{}", urlencoding::encode(user));
        let hidden = self.bounded("hide", self.clients.hide.get_json::<Hidden>(&self.ctx, &path)).await?;
        Ok(hidden.map(|h| h.post_ids).unwrap_or_default())
    }

    /// A `PUT` or `DELETE` of one of `user`'s marks (a like, a hidden
    /// post) on `service`, with the form's `Idempotency-Key` on the `PUT`.
    async fn mark(
        &self,
        service: &Upstream,
        method: Method,
        path: &str,
        idempotency_key: &str,
    ) -> Result<Change, UpstreamError> {
        let key = [("idempotency-key", idempotency_key)];
        let headers: &[(&str, &str)] = if method == Method::PUT { &key } else { &[] };
        let reply = service.call_with_headers(&self.ctx, method.clone(), path, None, headers).await?;
        match reply.status {
            StatusCode::CREATED | StatusCode::NO_CONTENT => Ok(Change::Done),
            StatusCode::OK if method == Method::PUT => Ok(Change::Already),
            StatusCode::NOT_FOUND if method == Method::DELETE => Ok(Change::Already),
            _ => Err(reply.error()),
        }
    }

    /// `user` likes `post_id` (`PUT /v1/likes/{post_id}/{user}`).
    pub async fn like(&self, post_id: ObjectId, user: &str, idempotency_key: &str) -> Result<Change, UpstreamError> {
        let path = format!("/v1/likes/{post_id}/{}", urlencoding::encode(user));
        self.mark(&self.clients.likes, Method::PUT, &path, idempotency_key).await
    }

    /// `user` no longer likes `post_id` (`DELETE /v1/likes/{post_id}/{user}`).
    pub async fn unlike(&self, post_id: ObjectId, user: &str) -> Result<Change, UpstreamError> {
        let path = format!("/v1/likes/{post_id}/{}", urlencoding::encode(user));
        self.mark(&self.clients.likes, Method::DELETE, &path, "").await
    }

    /// `user` hides `post_id` (`PUT /v1/hidden/{user}/{post_id}`).
    pub async fn hide(&self, user: &str, post_id: ObjectId, idempotency_key: &str) -> Result<Change, UpstreamError> {
        let path = format!("/v1/hidden/{}/{post_id}", urlencoding::encode(user));
        self.mark(&self.clients.hide, Method::PUT, &path, idempotency_key).await
    }

    /// `user` shows `post_id` again (`DELETE /v1/hidden/{user}/{post_id}`).
    pub async fn unhide(&self, user: &str, post_id: ObjectId) -> Result<Change, UpstreamError> {
        let path = format!("/v1/hidden/{}/{post_id}", urlencoding::encode(user));
        self.mark(&self.clients.hide, Method::DELETE, &path, "").await
    }

    /// `user` shares `post_id`: shares' `POST /v1/shares`, which hands out
    /// the same link when that user shared the post before. `None` when
    /// shares does not know the post (422).
    pub async fn share(
        &self,
        post_id: ObjectId,
        user: &str,
        idempotency_key: &str,
    ) -> Result<Option<ShareLink>, UpstreamError> {
        let body = json!({ "post_id": post_id.to_hex(), "user": user });
        let headers = [("idempotency-key", idempotency_key)];
        let reply =
            self.clients.shares.call_with_headers(&self.ctx, Method::POST, "/v1/shares", Some(&body), &headers).await?;
        match reply.status {
            StatusCode::OK | StatusCode::CREATED => reply.json().map(Some),
            StatusCode::UNPROCESSABLE_ENTITY => Ok(None),
            _ => Err(reply.error()),
        }
    }

    /// Follows a share link: shares' `POST /v1/shares/visits/{code}` counts
    /// one visit and names the post; `None` for an unknown code. A `POST`,
    /// so never retried (a retry could count the visit twice).
    pub async fn visit(&self, code: &str) -> Result<Option<String>, UpstreamError> {
        #[derive(Deserialize)]
        struct Visit {
            post_id: String,
        }
        let path = format!("/v1/shares/visits/{}", urlencoding::encode(code));
        let reply = self.clients.shares.call(&self.ctx, Method::POST, &path, None).await?;
        match reply.status {
            StatusCode::OK | StatusCode::CREATED => Ok(Some(reply.json::<Visit>()?.post_id)),
            StatusCode::NOT_FOUND => Ok(None),
            _ => Err(reply.error()),
        }
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
    fn posts_are_read_from_eve_json() {
        let post: Post = serde_json::from_value(json!({
            "_id": "4b43a616a1b588c68c000000", "title": "t", "created_utc": "Tue, 02 Apr 2013 10:29:13 GMT",
            "score": 3, "_etag": "x", "_links": {}
        }))
        .unwrap();
        assert_eq!(post.id.to_hex(), "4b43a616a1b588c68c000000");
        assert_eq!(post.created_utc, Some(DateTime::from_millis(1_364_898_553_000)));
        assert_eq!(post.score, 3);
        assert!(post.why.is_none());
    }

    #[test]
    fn recommendations_say_why() {
        let post: Post = serde_json::from_value(json!({
            "_id": "4b43a616a1b588c68c000000", "title": "t", "score": 120,
            "why": { "topics": ["python"], "weight": 12.0, "rank": 3.5 }
        }))
        .unwrap();
        let why = post.why.unwrap();
        assert_eq!((why.topics, why.weight), (vec!["python".to_owned()], 12.0));
    }
}
