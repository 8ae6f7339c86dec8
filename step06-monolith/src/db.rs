//! Every MongoDB query the monolith makes, and the indexes they need.
//!
//! Collections: `posts` (the dataset, written by `datasets import`), `tags`
//! (one document per user, post and tag), `users` (one per username) and
//! `sessions` (see [`crate::session_store`]). The indexes are created at
//! startup, idempotently: creating an index that exists is a no-op.

use futures::TryStreamExt;
use mongodb::{
    bson::{doc, oid::ObjectId, DateTime, Document},
    error::ErrorKind,
    options::{ClientOptions, IndexOptions},
    Client, Collection, Database, IndexModel,
};
use serde::Deserialize;

use crate::settings::Settings;

/// The number of posts on the home page's recommendations grid.
pub const GRID_SIZE: i64 = 12;
/// The number of posts on the full `/recommended/` list.
pub const RECOMMENDED_LIST_SIZE: i64 = 50;
/// Only posts above this score are recommended (the workshop's threshold).
pub const RECOMMENDATION_MIN_SCORE: i64 = 50;
/// How many tagged posts `/me` lists.
pub const ME_POSTS_LIMIT: i64 = 100;

/// One post as stored by `datasets import` (only the fields the pages use).
#[derive(Debug, Clone, Deserialize)]
pub struct Post {
    /// The MongoDB id, used in `/posts/{id}` links.
    #[serde(rename = "_id")]
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
    /// When it was posted.
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

/// The database handle with one typed handle per collection.
#[derive(Clone)]
pub struct Db {
    database: Database,
    posts: Collection<Post>,
    tags: Collection<Document>,
    users: Collection<Document>,
}

/// Whether an error means "MongoDB cannot be reached" (answered with 503)
/// rather than "the query failed" (500).
pub fn is_unavailable(e: &mongodb::error::Error) -> bool {
    matches!(*e.kind, ErrorKind::ServerSelection { .. } | ErrorKind::Io(_) | ErrorKind::ConnectionPoolCleared { .. })
        || e.contains_label("RetryableWriteError")
}

impl Db {
    /// Builds the client. This does not connect yet: the driver connects on
    /// first use and reconnects by itself, so the app starts (and recovers)
    /// even while MongoDB is down.
    pub async fn connect(settings: &Settings) -> mongodb::error::Result<Self> {
        let mut options = ClientOptions::parse(&settings.mongodb_uri).await?;
        options.app_name = Some("step06-monolith".into());
        // A request waits at most this long for a server before we answer 503.
        options.server_selection_timeout = Some(settings.db_timeout);
        options.connect_timeout = Some(settings.db_timeout);
        let client = Client::with_options(options)?;
        Ok(Self::new(client.database(&settings.mongodb_db)))
    }

    /// Wraps an existing database handle.
    pub fn new(database: Database) -> Self {
        Self {
            posts: database.collection("posts"),
            tags: database.collection("tags"),
            users: database.collection("users"),
            database,
        }
    }

    /// The underlying database (the session store shares it).
    pub fn database(&self) -> &Database {
        &self.database
    }

    /// A round trip to the server: `Ok` when MongoDB answers.
    pub async fn ping(&self) -> mongodb::error::Result<()> {
        self.database.run_command(doc! { "ping": 1 }).await.map(|_| ())
    }

    /// Creates the indexes every query below relies on. Idempotent.
    pub async fn ensure_indexes(&self) -> mongodb::error::Result<()> {
        let unique = || IndexOptions::builder().unique(true).build();
        self.posts
            .create_indexes([
                // The importer upserts on `name`.
                IndexModel::builder().keys(doc! { "name": 1 }).options(unique()).build(),
                // Search: every query keyword must be present, best score first.
                IndexModel::builder().keys(doc! { "keywords": 1, "score": -1 }).build(),
                // Recommendations: `score > 50` is the pipeline's first stage.
                IndexModel::builder().keys(doc! { "score": -1 }).build(),
            ])
            .await?;
        self.tags
            .create_indexes([
                IndexModel::builder().keys(doc! { "user": 1, "post_id": 1, "tag": 1 }).options(unique()).build(),
                IndexModel::builder().keys(doc! { "user": 1, "created_at": -1 }).build(),
            ])
            .await?;
        crate::session_store::ensure_indexes(&self.database).await?;
        Ok(())
    }

    /// The recommendations: see [`recommendations_pipeline`].
    pub async fn recommendations(&self, topics: &[String], limit: i64) -> mongodb::error::Result<Vec<Post>> {
        let cursor = self.posts.aggregate(recommendations_pipeline(topics, limit)).with_type::<Post>().await?;
        cursor.try_collect().await
    }

    /// One page of posts that carry every keyword, best score first. Returns
    /// the page and whether a next page exists (one extra post is fetched
    /// instead of counting every match: counting is slow on big collections).
    pub async fn search(
        &self,
        keywords: &[String],
        page: u32,
        page_size: u32,
    ) -> mongodb::error::Result<(Vec<Post>, bool)> {
        let skip = u64::from(page.saturating_sub(1)) * u64::from(page_size);
        let mut posts: Vec<Post> = self
            .posts
            .find(search_filter(keywords))
            // A results row needs neither the text nor the keywords.
            .projection(doc! { "selftext": 0, "keywords": 0 })
            // `_id` breaks ties so that pages never overlap.
            .sort(doc! { "score": -1, "_id": -1 })
            .skip(skip)
            .limit(i64::from(page_size) + 1)
            .await?
            .try_collect()
            .await?;
        let has_next = posts.len() > page_size as usize;
        posts.truncate(page_size as usize);
        Ok((posts, has_next))
    }

    /// One post by id.
    pub async fn post(&self, id: ObjectId) -> mongodb::error::Result<Option<Post>> {
        self.posts.find_one(doc! { "_id": id }).await
    }

    /// Records a login: creates the user on first login.
    pub async fn record_login(&self, user: &str) -> mongodb::error::Result<()> {
        let now = DateTime::now();
        self.users
            .update_one(
                doc! { "_id": user },
                doc! { "$set": { "last_login_at": now }, "$setOnInsert": { "created_at": now } },
            )
            .upsert(true)
            .await
            .map(|_| ())
    }

    /// The tags `user` put on one post, sorted.
    pub async fn post_tags(&self, user: &str, post_id: ObjectId) -> mongodb::error::Result<Vec<String>> {
        let mut tags: Vec<String> = self
            .tags
            .find(doc! { "user": user, "post_id": post_id })
            .await?
            .try_filter_map(|d| async move { Ok(d.get_str("tag").ok().map(str::to_owned)) })
            .try_collect()
            .await?;
        tags.sort();
        Ok(tags)
    }

    /// Adds a tag; adding it twice is a no-op (an upsert on the unique key).
    pub async fn add_tag(&self, user: &str, post_id: ObjectId, tag: &str) -> mongodb::error::Result<()> {
        self.tags
            .update_one(
                doc! { "user": user, "post_id": post_id, "tag": tag },
                doc! { "$setOnInsert": { "created_at": DateTime::now() } },
            )
            .upsert(true)
            .await
            .map(|_| ())
    }

    /// Removes a tag; removing a missing tag is a no-op.
    pub async fn remove_tag(&self, user: &str, post_id: ObjectId, tag: &str) -> mongodb::error::Result<()> {
        self.tags.delete_one(doc! { "user": user, "post_id": post_id, "tag": tag }).await.map(|_| ())
    }

    /// Every distinct tag of `user`, sorted: their preferred topics.
    pub async fn user_tags(&self, user: &str) -> mongodb::error::Result<Vec<String>> {
        let mut tags: Vec<String> = self
            .tags
            .distinct("tag", doc! { "user": user })
            .await?
            .into_iter()
            .filter_map(|b| b.as_str().map(str::to_owned))
            .collect();
        tags.sort();
        Ok(tags)
    }

    /// The user's topics: the search keywords of their tags, so that they can
    /// be matched against the posts' `keywords`.
    pub async fn user_topics(&self, user: &str) -> mongodb::error::Result<Vec<String>> {
        Ok(datasets::keywords(&self.user_tags(user).await?.join(" ")))
    }

    /// The posts `user` tagged, most recently tagged first, with their tags.
    pub async fn tagged_posts(&self, user: &str) -> mongodb::error::Result<Vec<TaggedPost>> {
        let groups: Vec<Document> = self
            .tags
            .aggregate([
                doc! { "$match": { "user": user } },
                doc! { "$group": { "_id": "$post_id", "tags": { "$push": "$tag" }, "last": { "$max": "$created_at" } } },
                doc! { "$sort": { "last": -1, "_id": -1 } },
                doc! { "$limit": ME_POSTS_LIMIT },
            ])
            .await?
            .try_collect()
            .await?;
        let ids: Vec<ObjectId> = groups.iter().filter_map(|g| g.get_object_id("_id").ok()).collect();
        let mut posts: std::collections::HashMap<ObjectId, Post> =
            self.posts.find(doc! { "_id": { "$in": &ids } }).await?.map_ok(|p| (p.id, p)).try_collect().await?;
        Ok(groups
            .iter()
            .filter_map(|g| {
                let post = posts.remove(&g.get_object_id("_id").ok()?)?;
                let mut tags: Vec<String> =
                    g.get_array("tags").ok()?.iter().filter_map(|t| t.as_str().map(str::to_owned)).collect();
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
pub fn search_filter(keywords: &[String]) -> Document {
    doc! { "keywords": { "$all": keywords } }
}

/// The workshop's recommendations aggregation.
///
/// Posts with `score > 50`, projected with `weight = score / 10` (the tile's
/// visual weight) and `upsanddowns = downs - ups`, sorted by `upsanddowns`
/// ascending then `num_comments` descending, limited to `limit`. With topics,
/// posts whose keywords share more of them come first ("recommended posts
/// based on topics").
///
/// This runs on every page view: the step's deliberate bottleneck.
pub fn recommendations_pipeline(topics: &[String], limit: i64) -> Vec<Document> {
    let mut projection = doc! {
        "title": 1, "author": 1, "url": 1, "domain": 1, "permalink": 1, "is_self": 1,
        "created_utc": 1, "score": 1, "num_comments": 1,
        "weight": { "$divide": ["$score", 10] },
        "upsanddowns": { "$subtract": ["$downs", "$ups"] },
    };
    let mut sort = Document::new();
    if !topics.is_empty() {
        projection
            .insert("topic_hits", doc! { "$size": { "$setIntersection": [{ "$ifNull": ["$keywords", []] }, topics] } });
        sort.insert("topic_hits", -1);
    }
    sort.insert("upsanddowns", 1);
    sort.insert("num_comments", -1);
    // A total order, so the grid does not shuffle between page views.
    sort.insert("_id", 1);
    vec![
        doc! { "$match": { "score": { "$gt": RECOMMENDATION_MIN_SCORE } } },
        doc! { "$project": projection },
        doc! { "$sort": sort },
        doc! { "$limit": limit },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipeline_without_topics_is_the_workshop_aggregation() {
        let p = recommendations_pipeline(&[], 12);
        assert_eq!(p.len(), 4);
        assert_eq!(p[0], doc! { "$match": { "score": { "$gt": 50_i64 } } });
        let projection = p[1].get_document("$project").unwrap();
        assert_eq!(projection.get_document("weight").unwrap(), &doc! { "$divide": ["$score", 10] });
        assert_eq!(projection.get_document("upsanddowns").unwrap(), &doc! { "$subtract": ["$downs", "$ups"] });
        assert!(!projection.contains_key("topic_hits"));
        let sort = p[2].get_document("$sort").unwrap();
        let keys: Vec<&str> = sort.keys().map(String::as_str).collect();
        assert_eq!(keys, ["upsanddowns", "num_comments", "_id"]);
        assert_eq!(sort.get_i32("upsanddowns").unwrap(), 1);
        assert_eq!(sort.get_i32("num_comments").unwrap(), -1);
        assert_eq!(p[3], doc! { "$limit": 12_i64 });
    }

    #[test]
    fn every_keyword_must_be_present() {
        assert_eq!(search_filter(&["flask".into()]), doc! { "keywords": { "$all": ["flask"] } });
        assert_eq!(
            search_filter(&["flask".into(), "async".into()]),
            doc! { "keywords": { "$all": ["flask", "async"] } }
        );
    }

    #[test]
    fn pipeline_with_topics_ranks_topic_matches_first() {
        let topics = vec!["django".to_string(), "async".to_string()];
        let p = recommendations_pipeline(&topics, 50);
        let projection = p[1].get_document("$project").unwrap();
        let hits = projection.get_document("topic_hits").unwrap();
        let intersection = hits.get_document("$size").unwrap().get_array("$setIntersection").unwrap();
        assert_eq!(intersection[1], mongodb::bson::bson!(["django", "async"]));
        let sort = p[2].get_document("$sort").unwrap();
        assert_eq!(sort.keys().next().map(String::as_str), Some("topic_hits"));
        assert_eq!(sort.get_i32("topic_hits").unwrap(), -1);
        assert_eq!(p[3], doc! { "$limit": 50_i64 });
    }
}
