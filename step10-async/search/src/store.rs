//! The search service's own store: the fields of each post that a results
//! list shows, plus its keywords, kept in `reddit_search.posts` by sync.
//!
//! The documents are written only by the sync target
//! ([`kit::sync::Target`], through `POST /sync/apply`); this module
//! declares which fields the target keeps, creates the one index the
//! search needs, and runs the search itself.

use std::time::Duration;

use futures::TryStreamExt;
use kit::{
    mongo::Mongo,
    sync::{Field, Kind, Target},
};
use mongodb::{
    bson::{doc, Document},
    IndexModel,
};

/// The collection of the posts the service keeps.
pub const COLLECTION: &str = "posts";

/// The fields kept of each post: everything a results list shows (title,
/// link, thumbnail, author, date, score, comments), plus `keywords`, what
/// the search filters on. The post's text, subreddit and the rest stay in
/// the posts service: search has no use for them.
pub const FIELDS: &[Field] = &[
    Field { name: "title", kind: Kind::Text },
    Field { name: "url", kind: Kind::Text },
    Field { name: "permalink", kind: Kind::Text },
    Field { name: "domain", kind: Kind::Text },
    Field { name: "author", kind: Kind::Text },
    Field { name: "thumbnail", kind: Kind::Text },
    Field { name: "created_utc", kind: Kind::Date },
    Field { name: "score", kind: Kind::Integer },
    Field { name: "num_comments", kind: Kind::Integer },
    Field { name: "is_self", kind: Kind::Bool },
    Field { name: "keywords", kind: Kind::TextList },
];

/// How often startup retries creating the index while MongoDB is down.
pub const INDEX_RETRY: Duration = Duration::from_secs(5);

/// The store: the service's database and the sync target writing into it.
#[derive(Clone)]
pub struct Store {
    /// The service's client and database (it touches no other).
    pub mongo: Mongo,
    /// The sync target keeping [`FIELDS`] of each post in [`COLLECTION`].
    pub target: Target,
}

impl Store {
    /// The store on `mongo`'s database.
    pub fn new(mongo: Mongo) -> Self {
        let target = Target::new(&mongo, COLLECTION, FIELDS);
        Self { mongo, target }
    }

    /// The search's index: equality on one keyword, then the sort order,
    /// so that `$all` plus the sort is served by the index without an
    /// in-memory sort. Creating an existing index is a no-op.
    pub async fn ensure_index(&self) -> mongodb::error::Result<()> {
        let index = IndexModel::builder().keys(doc! { "keywords": 1, "score": -1, "_id": -1 }).build();
        self.target.collection().create_index(index).await.map(|_| ())
    }

    /// Creates the index, or, while MongoDB is down, keeps retrying every
    /// [`INDEX_RETRY`] in the background so that the service starts (and
    /// answers its 503s) anyway. Must run inside the actix runtime.
    pub async fn ensure_index_or_retry(&self) {
        if let Err(e) = self.ensure_index().await {
            log::warn!("cannot create the search index yet ({e}); retrying every {INDEX_RETRY:?} in the background");
            let store = self.clone();
            actix_web::rt::spawn(async move {
                loop {
                    actix_web::rt::time::sleep(INDEX_RETRY).await;
                    if store.ensure_index().await.is_ok() {
                        log::info!("search index created");
                        break;
                    }
                }
            });
        }
    }

    /// The posts holding every one of `keywords`, best score first, then
    /// newest `_id`: page `page` (from 1) of `max_results`, and whether a
    /// next page exists (one more document is asked for; nothing is
    /// counted). Tombstones of deleted posts have no `keywords`, so they
    /// never match. `keywords` must not be empty (`$all: []` matches
    /// nothing anyway).
    pub async fn search(
        &self,
        keywords: &[String],
        page: u64,
        max_results: u32,
    ) -> mongodb::error::Result<(Vec<Document>, bool)> {
        let skip = (page - 1) * u64::from(max_results);
        let mut projection = Document::new();
        for field in FIELDS.iter().filter(|f| f.name != "keywords") {
            projection.insert(field.name, 1);
        }
        let mut docs: Vec<Document> = self
            .target
            .collection()
            .find(doc! { "keywords": { "$all": keywords } })
            .sort(doc! { "score": -1, "_id": -1 })
            .projection(projection)
            .skip(skip)
            .limit(i64::from(max_results) + 1)
            .await?
            .try_collect()
            .await?;
        let has_next = docs.len() > max_results as usize;
        docs.truncate(max_results as usize);
        Ok((docs, has_next))
    }
}
